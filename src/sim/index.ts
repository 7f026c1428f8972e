/**
 * The TWS / IB Gateway simulator (CONTRACT §7): `startSimulator` serves the TWS socket protocol on
 * 127.0.0.1 so @stoqey/ib (and ibapi, ib_async) connect to it as to IB Gateway, plus an optional admin
 * HTTP port. The broker state lives in a socket-free `SimEngine`.
 *
 * Pitfalls: `tickIntervalMs` defaults to 1000 (prices move); pass 0 in tests so only admin/API calls
 * move prices. Orders placed with `transmit` unset are HELD like in TWS (stoqey sends "" = false for
 * plain-object orders). Sale proceeds stay unsettled until POST /fault {action:"settle"} or "new-day".
 */
import type { Server } from 'node:http';
import { startAdminServer } from './admin/admin-server.js';
import { SimEngine } from './engine/engine.js';
import type { Fixture } from './fixture/schema.js';
import type { PacingMode } from './server/pacing.js';
import { TwsServer } from './server/tws-server.js';

export { DEFAULT_FIXTURE } from './fixture/default-fixture.js';
export { FixtureError, loadFixture, parseFixture } from './fixture/load-fixture.js';
export type { Fixture } from './fixture/schema.js';
export { SimEngine } from './engine/engine.js';
export type { SimEvent } from './engine/events.js';
export type { StatsSnapshot, ConnectionStats } from './engine/stats.js';

/** Options of `startSimulator`. Everything is optional. */
export interface SimulatorOptions {
  /** only loopback is allowed */
  host?: '127.0.0.1';
  /** TWS port; 0 = a free port (default 7497) */
  port?: number;
  /** admin HTTP port; 0 = a free port; null/undefined = no admin server */
  adminPort?: number | null;
  /** the household; default `DEFAULT_FIXTURE` */
  fixture?: Fixture;
  /** PRNG seed for the random walk, history and ids (default 1) */
  seed?: number;
  /** random-walk period in ms (default 1000); 0 = prices move only via admin/API */
  tickIntervalMs?: number;
  /** 'reject' (error 100, drop after the 3rd violation; default) or 'pace' (delay processing) */
  pacing?: PacingMode;
  /** TWS limit of client messages per second (default 50) */
  maxMessagesPerSecond?: number;
  /** receives log lines (default: none) */
  logger?: (line: string) => void;
}

/** A running simulator. */
export interface SimulatorHandle {
  /** the bound TWS port */
  port: number;
  /** the bound admin port, undefined without admin server */
  adminPort: number | undefined;
  /** the broker state (accounts, orders, executions, `stats`) */
  engine: SimEngine;
  /** drops every client, stops timers, closes both ports */
  close(): Promise<void>;
}

/** Starts the simulator; rejects when a port cannot be bound. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  if (opts.host !== undefined && opts.host !== '127.0.0.1') throw new Error('the simulator binds 127.0.0.1 only');
  const log = opts.logger ?? (() => undefined);
  const engine = new SimEngine({ fixture: opts.fixture, seed: opts.seed, logger: log });
  const tws = new TwsServer(engine, {
    port: opts.port ?? 7497,
    pacing: opts.pacing ?? 'reject',
    maxMessagesPerSecond: opts.maxMessagesPerSecond ?? 50,
    tickIntervalMs: opts.tickIntervalMs ?? 1000,
    log,
  });
  const port = await tws.listen();
  let admin: { server: Server; port: number } | undefined;
  if (opts.adminPort !== undefined && opts.adminPort !== null) {
    try {
      admin = await startAdminServer(engine, tws, opts.adminPort, log);
    } catch (err) {
      await tws.close();
      throw err;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    adminPort: admin?.port,
    engine,
    close: () => {
      closing ??= (async () => {
        await tws.close();
        if (admin) {
          admin.server.closeAllConnections();
          await new Promise<void>((resolve) => admin!.server.close(() => resolve()));
        }
      })();
      return closing;
    },
  };
}
