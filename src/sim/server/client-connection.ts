/**
 * One client socket: handshake ("API\0" + version range → [serverVersion, connectionTime]), framing,
 * pacing, START_API (MANAGED_ACCTS, NEXT_VALID_ID, 2104/2106/2158; 326 and close for a client id in
 * use), dispatch, and the translation of engine events. Never throws out of a socket handler: every
 * failure is logged, and only a broken stream (bad handshake or framing) closes this connection.
 */
import type { Socket } from 'node:net';
import type { SimEngine } from '../engine/engine.js';
import type { SimEvent } from '../engine/events.js';
import { twsTime } from '../engine/executions.js';
import {
  FrameDecoder, WireDecodeError, decodeClientMessage, encodeFrame, encodeServerMessage, negotiateVersion, parseHandshake,
  type ClientMessage, type ServerMessage,
} from '../wire/index.js';
import { onAccountChanged } from './account-handlers.js';
import { onPriceChanged } from './market-handlers.js';
import { onOrderEvent } from './order-handlers.js';
import { PacingMeter, pacingErrorText, type PacingMode } from './pacing.js';
import { dispatch } from './request-dispatch.js';
import { emptySubscriptions, type SessionContext } from './session-types.js';

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly engine: SimEngine;
  readonly pacing: PacingMode;
  readonly maxMessagesPerSecond: number;
  readonly connectivityLost: boolean;
  log(line: string): void;
  /** false when another live connection holds this client id */
  claimClientId(conn: ClientConnection, clientId: number): boolean;
  orderGate(action: () => void): void;
  onClosed(conn: ClientConnection): void;
}

const FARM_OK: readonly [number, string][] = [
  [2104, 'Market data farm connection is OK:usfarm'],
  [2106, 'HMDS data farm connection is OK:ushmds'],
  [2158, 'Sec-def data farm connection is OK:secdefnj'],
];

/** A connected client (one socket). */
export class ClientConnection implements SessionContext {
  readonly engine: SimEngine;
  readonly subs = emptySubscriptions();
  clientId = -1;
  marketDataType = 1;
  private version = 0;
  private started = false;
  private closed = false;
  private handshakeBuf: Buffer | undefined = Buffer.alloc(0);
  private readonly decoder = new FrameDecoder();
  private readonly meter: PacingMeter;
  private readonly paced: string[][] = [];
  private paceTimer: NodeJS.Timeout | undefined;
  private readonly stats;
  private readonly unsubscribe: () => void;

  constructor(private readonly socket: Socket, private readonly host: ConnectionHost) {
    this.engine = host.engine;
    this.stats = host.engine.stats.open(host.engine.now());
    this.meter = new PacingMeter(this.stats, host.pacing, host.maxMessagesPerSecond);
    this.unsubscribe = host.engine.subscribe((e) => this.onEngineEvent(e));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.guard('data', () => this.onData(chunk)));
    socket.on('error', (err) => this.log(`sim: socket error (client ${this.clientId}): ${err.message}`));
    socket.on('close', () => this.guard('close', () => this.cleanup()));
  }

  /** Whether START_API has been accepted. */
  get isStarted(): boolean {
    return this.started && !this.closed;
  }

  log(line: string): void {
    this.host.log(line);
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`sim: ${what} handler failed (client ${this.clientId}): ${(err as Error).stack ?? String(err)}`);
    }
  }

  /** Encodes and writes one message; an encoding failure is logged and the message skipped. */
  send(msg: ServerMessage): void {
    if (this.closed) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(encodeServerMessage(msg, this.version));
    } catch (err) {
      this.log(`sim: cannot encode ${msg.type}: ${(err as Error).message}`);
      return;
    }
    this.socket.write(frame);
  }

  /** An info/error message with reqId −1. */
  info(code: number, message: string): void {
    this.send({ type: 'ERR_MSG', reqId: -1, code, message });
  }

  /** Closes the socket (after flushing what was written). */
  close(hard = false): void {
    if (this.closed) return;
    if (hard) this.socket.destroy();
    else this.socket.end();
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.paceTimer) clearTimeout(this.paceTimer);
    this.stats.closedAt = this.engine.now();
    this.unsubscribe();
    this.host.onClosed(this);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.handshakeBuf) {
      this.handshakeBuf = Buffer.concat([this.handshakeBuf, chunk]);
      const hs = parseHandshake(this.handshakeBuf);
      if (hs.kind === 'incomplete') return;
      if (hs.kind === 'error') return this.fail(`bad handshake: ${hs.message}`);
      const v = negotiateVersion(hs.minVersion, Math.min(hs.maxVersion, this.engine.serverVersion ?? hs.maxVersion));
      if (v === null) return this.fail(`no common version with client range v${hs.minVersion}..${hs.maxVersion}`);
      this.version = v;
      if (/(^|\s)\+PACEAPI(\s|$)/.test(hs.options)) this.meter.usePacing();
      this.socket.write(encodeFrame([v, twsTime(this.engine.now())]));
      chunk = this.handshakeBuf.subarray(hs.consumed);
      this.handshakeBuf = undefined;
    }
    try {
      this.decoder.push(chunk);
      for (const fields of this.decoder.drain()) this.onFrame(fields);
    } catch (err) {
      this.fail(`malformed frame: ${(err as Error).message}`);
    }
  }

  private fail(reason: string): void {
    this.log(`sim: closing connection (client ${this.clientId}): ${reason}`);
    this.close(true);
  }

  private onFrame(fields: string[]): void {
    if (this.closed) return;
    const verdict = this.meter.receive(this.engine.now());
    if (verdict.kind === 'reject') {
      this.info(100, pacingErrorText(this.host.maxMessagesPerSecond, verdict.count, verdict.violations));
      if (verdict.violations >= 3) this.fail('third pacing violation');
      return;
    }
    if (verdict.kind === 'wait' || this.paced.length > 0) {
      this.paced.push(fields);
      this.schedulePaced();
      return;
    }
    this.meter.markProcessed(this.engine.now());
    this.handleFrame(fields);
  }

  private schedulePaced(): void {
    if (this.paceTimer || this.closed) return;
    const slot = this.meter.nextSlot(this.engine.now());
    const ms = slot.kind === 'wait' ? slot.ms : 0;
    this.paceTimer = setTimeout(() => {
      this.paceTimer = undefined;
      this.guard('pace', () => {
        while (this.paced.length > 0 && !this.closed && this.meter.nextSlot(this.engine.now()).kind === 'process') {
          this.meter.markProcessed(this.engine.now());
          this.handleFrame(this.paced.shift() ?? []);
        }
        if (this.paced.length > 0) this.schedulePaced();
      });
    }, ms);
  }

  private handleFrame(fields: string[]): void {
    const msgId = fields[0];
    if (msgId === undefined || !/^\d+$/.test(msgId)) return this.fail(`frame without a numeric message id (${JSON.stringify(fields.slice(0, 3))})`);
    let msg: ClientMessage;
    try {
      msg = decodeClientMessage(fields, this.version);
    } catch (err) {
      const detail = err instanceof WireDecodeError ? err.message : String(err);
      this.log(`sim: cannot decode message ${msgId} (client ${this.clientId}): ${detail}`);
      this.info(320, `Error reading request. Message id ${msgId}. ${detail}`);
      return;
    }
    if (!this.started) return this.beforeStart(msg);
    this.guard(msg.type, () => dispatch(this, msg, {
      setMarketDataType: (t) => { this.marketDataType = t; },
      orderGate: (action) => this.host.orderGate(action),
    }));
  }

  private beforeStart(msg: ClientMessage): void {
    if (msg.type !== 'START_API') return this.log(`sim: ${msg.type} before START_API ignored`);
    if (!this.host.claimClientId(this, msg.clientId)) {
      this.info(326, `Unable to connect as the client id is already in use. Retry with a unique client id.`);
      this.log(`sim: client id ${msg.clientId} already in use; connection refused`);
      this.close();
      return;
    }
    this.clientId = msg.clientId;
    this.stats.clientId = msg.clientId;
    this.started = true;
    this.send({ type: 'MANAGED_ACCTS', accounts: this.engine.accountIds().join(',') });
    this.send({ type: 'NEXT_VALID_ID', orderId: this.engine.nextValidId(msg.clientId) });
    if (this.host.connectivityLost) {
      this.info(1100, 'Connectivity between IB and Trader Workstation has been lost.');
    } else {
      for (const [code, text] of FARM_OK) this.info(code, text);
    }
    this.log(`sim: client ${msg.clientId} connected (server version ${this.version})`);
  }

  private onEngineEvent(e: SimEvent): void {
    if (!this.isStarted) return;
    if (onOrderEvent(this, e)) return;
    if (e.kind === 'accountChanged') onAccountChanged(this, e.account, e.conId);
    else if (e.kind === 'priceChanged') onPriceChanged(this, e.conId);
  }
}
