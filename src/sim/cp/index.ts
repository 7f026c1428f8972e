/**
 * The Client Portal Web API simulator (`ibkr-exec cp-sim`, CONTRACT §10): `/v1/api` on 127.0.0.1 over
 * HTTPS (a self-signed certificate made at start; its SHA-256 fingerprint is returned for pinning) or
 * plain HTTP, answered from a `SimEngine` — its own, or the one a TWS simulator already runs, so one
 * household answers both protocols in one process.
 *
 * Pitfalls: the session starts authenticated unless `loginRequired`; it expires after `idleTimeoutMs`
 * without /tickle or /iserver calls; the documented rate limits apply (scale them with
 * `rateLimitScale` in tests, or turn them off with `rateLimits: false`).
 */
import type { Server } from 'node:http';
import { SimEngine } from '../engine/engine.js';
import type { Fixture } from '../fixture/schema.js';
import { CpSession } from './cp-auth.js';
import { boundPort, listen, startCpAdmin } from './cp-admin.js';
import { generateSelfSignedCert } from './cp-cert.js';
import { CpRateLimiter } from './cp-rate.js';
import { createCpServer } from './cp-server.js';
import type { CpSimState } from './cp-types.js';

/** Options of `startCpSimulator`; everything is optional. */
export interface CpSimulatorOptions {
  /** the API port; 0 = a free port (default 5000) */
  readonly port?: number;
  /** admin HTTP port; 0 = free; undefined/null = none */
  readonly adminPort?: number | null;
  /** plain HTTP instead of HTTPS */
  readonly http?: boolean;
  /** start unauthenticated (ssodh/init or reauthenticate logs in) */
  readonly loginRequired?: boolean;
  /** share a running engine (the TWS simulator's); else a new one from `fixture` and `seed` */
  readonly engine?: SimEngine;
  readonly fixture?: Fixture;
  readonly seed?: number;
  /** random-walk period when the engine is our own (default 1000; 0 = prices move via admin only) */
  readonly tickIntervalMs?: number;
  /** the brokerage session ends after this long without /tickle or /iserver calls (default 6 min) */
  readonly idleTimeoutMs?: number;
  /** enforce the documented rate limits (default true) */
  readonly rateLimits?: boolean;
  /** multiplies every rate-limit window (default 1; tests use e.g. 0.01) */
  readonly rateLimitScale?: number;
  /** positions per page (default 100) */
  readonly positionsPageSize?: number;
  readonly logger?: (line: string) => void;
}

/** A running Client Portal simulator. */
export interface CpSimulatorHandle {
  readonly port: number;
  /** e.g. https://127.0.0.1:5000/v1/api */
  readonly baseUrl: string;
  readonly adminPort: number | undefined;
  /** the certificate (PEM) and its SHA-256 fingerprint; undefined with `http` */
  readonly certificate: { readonly pem: string; readonly fingerprint256: string } | undefined;
  readonly engine: SimEngine;
  /** the simulator's state (session, faults) for tests */
  readonly state: CpSimState;
  close(): Promise<void>;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Starts the Client Portal simulator; rejects when the port cannot be bound or no certificate can be made. */
export async function startCpSimulator(opts: CpSimulatorOptions = {}): Promise<CpSimulatorHandle> {
  const log = opts.logger ?? (() => undefined);
  const engine = opts.engine ?? new SimEngine({ fixture: opts.fixture, seed: opts.seed, logger: log });
  const now = engine.now;
  const state: CpSimState = {
    engine, clientId: 990, positionsPageSize: opts.positionsPageSize ?? 100, pending: undefined, replySeq: 0, log,
    session: new CpSession(now, opts.idleTimeoutMs ?? 360_000, opts.loginRequired ?? false, engine.accountIds()[0] ?? ''),
    limiter: new CpRateLimiter(now, opts.rateLimitScale ?? 1, opts.rateLimits ?? true),
    faults: { dropNextOrderResponses: 0, delayNext: 0, delayMs: 0, questionsNext: [], unavailableNext: 0 },
  };
  const cert = opts.http ? undefined : generateSelfSignedCert();
  const server = createCpServer(state, cert);
  await listen(server, opts.port ?? 5000);
  const port = boundPort(server, opts.port ?? 5000);
  let admin: { server: Server; port: number } | undefined;
  try {
    if (opts.adminPort !== undefined && opts.adminPort !== null) admin = await startCpAdmin(state, opts.adminPort);
  } catch (e) {
    await closeServer(server);
    throw e;
  }
  const tick = !opts.engine && (opts.tickIntervalMs ?? 1000) > 0 ? setInterval(() => engine.step(), opts.tickIntervalMs ?? 1000) : undefined;
  tick?.unref();
  let closing: Promise<void> | undefined;
  return {
    port, adminPort: admin?.port, engine, state,
    baseUrl: `${cert ? 'https' : 'http'}://127.0.0.1:${port}/v1/api`,
    certificate: cert ? { pem: cert.cert, fingerprint256: cert.fingerprint256 } : undefined,
    close: () => {
      closing ??= (async () => {
        if (tick) clearInterval(tick);
        await closeServer(server);
        if (admin) await closeServer(admin.server);
      })();
      return closing;
    },
  };
}
