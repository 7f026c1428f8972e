/**
 * The TCP server that speaks TWS: accepts client sockets on 127.0.0.1, tracks client ids, runs the
 * random-walk timer, and implements the socket-level faults (disconnect, connectivity-lost with held
 * orders, restart). The engine holds all broker state; this file holds only connections and timers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { SimEngine } from '../engine/engine.js';
import { ClientConnection, type ConnectionHost } from './client-connection.js';
import type { PacingMode } from './pacing.js';

/** Options of `TwsServer`. */
export interface TwsServerOptions {
  readonly port: number;
  readonly pacing: PacingMode;
  readonly maxMessagesPerSecond: number;
  /** random-walk period; 0 disables the timer */
  readonly tickIntervalMs: number;
  readonly log: (line: string) => void;
}

/** The TWS socket server around one engine. */
export class TwsServer implements ConnectionHost {
  readonly pacing: PacingMode;
  readonly maxMessagesPerSecond: number;
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection>();
  private readonly sockets = new Set<Socket>();
  private lostUntil: NodeJS.Timeout | undefined;
  private readonly held: (() => void)[] = [];
  private walkTimer: NodeJS.Timeout | undefined;

  constructor(readonly engine: SimEngine, private readonly opts: TwsServerOptions) {
    this.pacing = opts.pacing;
    this.maxMessagesPerSecond = opts.maxMessagesPerSecond;
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (err) => this.log(`sim: server error: ${err.message}`));
  }

  /** Binds 127.0.0.1:port (0 = a free port) and starts the random walk; resolves to the bound port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.opts.port, '127.0.0.1', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    if (this.opts.tickIntervalMs > 0) {
      const stepsPerDay = Math.max(Math.round(23_400_000 / this.opts.tickIntervalMs), 1);
      this.walkTimer = setInterval(() => this.safely('random walk', () => this.engine.step(stepsPerDay)), this.opts.tickIntervalMs);
      this.walkTimer.unref();
    }
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  log(line: string): void {
    this.opts.log(line);
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`sim: ${what} failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private accept(socket: Socket): void {
    this.safely('accept', () => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.connections.add(new ClientConnection(socket, this));
    });
  }

  /** True while a connectivity-lost fault is active. */
  get connectivityLost(): boolean {
    return this.lostUntil !== undefined;
  }

  claimClientId(conn: ClientConnection, clientId: number): boolean {
    for (const c of this.connections) if (c !== conn && c.isStarted && c.clientId === clientId) return false;
    return true;
  }

  orderGate(action: () => void): void {
    if (this.connectivityLost) this.held.push(action);
    else this.safely('order', action);
  }

  onClosed(conn: ClientConnection): void {
    this.connections.delete(conn);
  }

  /** Client ids of the started connections. */
  clientIds(): number[] {
    return [...this.connections].filter((c) => c.isStarted).map((c) => c.clientId);
  }

  /** Fault: drops every client socket at once. */
  disconnectAll(): void {
    for (const c of [...this.connections]) c.close(true);
    for (const s of [...this.sockets]) s.destroy();
  }

  /**
   * Fault: 1100 to every client; orders received meanwhile are held (not acked); after `ms`, 1102 and
   * the held orders are processed in arrival order.
   */
  connectivityLostFor(ms: number): void {
    if (this.lostUntil) clearTimeout(this.lostUntil);
    else for (const c of this.connections) if (c.isStarted) c.info(1100, 'Connectivity between IB and Trader Workstation has been lost.');
    this.lostUntil = setTimeout(() => this.safely('connectivity restore', () => this.restore()), ms);
  }

  private restore(): void {
    this.lostUntil = undefined;
    for (const c of this.connections) {
      if (c.isStarted) c.info(1102, 'Connectivity between IB and Trader Workstation has been restored - data maintained.');
    }
    for (const action of this.held.splice(0)) this.safely('held order', action);
  }

  /**
   * Fault: a competing session (the same user logged in elsewhere): error 10197 to every client, then
   * each session is closed. Clients may connect again at once.
   */
  competingSession(): void {
    for (const c of [...this.connections]) {
      if (!c.isStarted) continue;
      c.info(10197, 'No market data during competing live session');
      c.close();
    }
  }

  /** Fault: the daily restart: sockets dropped, state kept, ids optionally rolled back. */
  restart(rollbackOrderIds: boolean): void {
    this.disconnectAll();
    this.engine.restart(rollbackOrderIds);
  }

  /** Stops timers, drops every client and closes the listener. */
  async close(): Promise<void> {
    if (this.walkTimer) clearInterval(this.walkTimer);
    if (this.lostUntil) clearTimeout(this.lostUntil);
    this.lostUntil = undefined;
    this.held.length = 0;
    this.disconnectAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
