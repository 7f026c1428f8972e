/**
 * Shared helpers of the simulator suites: a simulator on free ports with the random walk off, @stoqey/ib
 * clients with explicit host/port/clientId, an event recorder that fails on any 505 (decode error),
 * bounded polling, and admin HTTP calls.
 */
import { connect, type Socket } from 'node:net';
import { EventName, IBApi } from '@stoqey/ib';
import { afterEach, expect } from 'vitest';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/sim/index.js';
import { FrameDecoder, encodeFrame } from '../../src/sim/wire/index.js';

/** Starts a simulator on free ports (TWS and admin) with tickIntervalMs 0. */
export function startTestSim(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  return startSimulator({ port: 0, adminPort: 0, tickIntervalMs: 0, seed: 42, ...opts });
}

/** Polls `cond` until true (bounded); throws with `what` otherwise. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One recorded error event. */
export interface RecordedError {
  readonly code: number;
  readonly reqId: number;
  readonly message: string;
}

/** An IBApi client with recorded errors/infos; `decodeErrors` collects every 505. */
export interface TestClient {
  readonly ib: IBApi;
  readonly errors: RecordedError[];
  readonly infos: { code: number; message: string }[];
  readonly decodeErrors: string[];
  /** every event the client emitted, in order (from EventName.all) */
  readonly events: { name: string; args: any[] }[];
  nextValidId: number | undefined;
  accounts: string | undefined;
  /** the args of every event with this name */
  of(name: string): any[][];
  /** waits until an event with this name (matching `pred`) was emitted; returns its args */
  until(name: string, pred?: (args: any[]) => boolean, what?: string): Promise<any[]>;
  disconnect(): void;
}

/** Every client created by `connectClient` (the decode guard checks them all). */
export const allClients: TestClient[] = [];

/** Adds an afterEach that fails the test if any client saw error 505, then disconnects all clients. */
export function installDecodeGuard(): void {
  afterEach(() => {
    const clients = allClients.splice(0);
    for (const c of clients) c.disconnect();
    expect(clients.flatMap((c) => c.decodeErrors)).toEqual([]);
  });
}

/** Connects an IBApi to the simulator and waits for NEXT_VALID_ID. */
export async function connectClient(port: number, clientId: number, opts: { waitReady?: boolean } = {}): Promise<TestClient> {
  const ib = new IBApi({ host: '127.0.0.1', port, maxReqPerSec: 1000 });
  const events: { name: string; args: any[] }[] = [];
  const of = (name: string): any[][] => events.filter((e) => e.name === name).map((e) => e.args);
  const c: TestClient = {
    ib, errors: [], infos: [], decodeErrors: [], events, nextValidId: undefined, accounts: undefined, of,
    until: async (name, pred = () => true, what = name) => {
      let found: any[] | undefined;
      await waitFor(() => (found = of(name).find(pred)) !== undefined, `${what} (client ${clientId})`);
      return found as any[];
    },
    disconnect: () => {
      try {
        ib.disconnect();
      } catch {
        /* already gone */
      }
    },
  };
  allClients.push(c);
  ib.on(EventName.all, (name: string, args: any[]) => events.push({ name, args }));
  ib.on(EventName.error, (err: Error, code: number, reqId: number) => {
    if (code === 505) c.decodeErrors.push(err.message);
    c.errors.push({ code, reqId, message: err.message });
  });
  ib.on(EventName.info, (message: string, code: number) => c.infos.push({ code, message }));
  ib.on(EventName.nextValidId, (id: number) => {
    c.nextValidId = id;
  });
  ib.on(EventName.managedAccounts, (a: string) => {
    c.accounts = a;
  });
  ib.connect(clientId);
  if (opts.waitReady !== false) await waitFor(() => c.nextValidId !== undefined, `nextValidId for client ${clientId}`);
  return c;
}

/** Calls the admin HTTP server. */
export async function admin(sim: SimulatorHandle, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`http://127.0.0.1:${sim.adminPort}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** A raw TWS client socket that collects server frames. */
export class RawClient {
  readonly frames: string[][] = [];
  closed = false;
  private readonly decoder = new FrameDecoder();
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (b) => {
      this.decoder.push(b);
      this.frames.push(...this.decoder.drain());
    });
    this.socket.on('close', () => {
      this.closed = true;
    });
    this.socket.on('error', () => undefined);
  }

  handshake(range = 'v100..193'): void {
    const body = Buffer.from(range, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    this.socket.write(Buffer.concat([Buffer.from('API\0', 'latin1'), len, body]));
  }

  send(fields: (string | number)[]): void {
    this.socket.write(encodeFrame(fields));
  }

  async start(clientId: number): Promise<void> {
    this.handshake();
    await waitFor(() => this.frames.length >= 1, 'handshake reply');
    this.send([71, 2, clientId, '']);
    await waitFor(() => this.frames.some((f) => f[0] === '4' && f[3] === '2158'), '2158');
  }
}

