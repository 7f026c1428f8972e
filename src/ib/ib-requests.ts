/**
 * One request/response exchange with IB over the session's hub: send through the pacer, collect events
 * until the end marker, fail on an error for the request id, on the session ending or on a timeout, and
 * send the cancel message afterwards when the request was a subscription.
 */
import type { IBApi } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import { BrokerError, BrokerUnavailableError } from '../execution/broker-port.js';
import type { IbConnection } from './ib-connection.js';
import { classifyIbCode } from './ib-errors.js';
import type { Priority } from './ib-pacer.js';

/** How to run one request: what to send, what to listen for, how it ends. */
export interface RequestSpec<T> {
  /** for messages: "contract details AAPL" */
  readonly name: string;
  readonly timeoutMs: number;
  readonly priority?: Priority;
  /** errors carrying this id fail the request (unless `onError` says otherwise) */
  readonly reqId?: number;
  /** attach hub listeners; call `done`/`fail`; return the detach function */
  readonly listen: (done: (v: T) => void, fail: (e: Error) => void) => () => void;
  readonly send: (api: IBApi) => void;
  /** sent once the exchange is over (subscriptions): cancelMktData, cancelPositions, … */
  readonly cancel?: (api: IBApi) => void;
  /** whether `cancel` is still needed when the exchange is over (default yes); false saves a message */
  readonly needsCancel?: () => boolean;
  /** decide about an error for `reqId`: an Error fails, 'ignore' ignores, undefined = default (fail unless info/warning) */
  readonly onError?: (code: number, message: string) => Error | 'ignore' | undefined;
  /** on timeout: a value resolves, an Error rejects (default: BrokerError retryable) */
  readonly onTimeout?: () => T | Error;
}

/** The error a request fails with for an IB code. */
export function requestError(name: string, code: number, message: string): BrokerError {
  const c = classifyIbCode(code, message, 'request');
  return new BrokerError(`${name} failed: IB ${code} ${message}`, c.kind, code);
}

/** Run one request (see `RequestSpec`). */
export function runRequest<T>(conn: IbConnection, spec: RequestSpec<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let sent = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      detach();
      conn.hub.off(EventName.error, onError);
      conn.hub.off('sessionEnded', onEnded);
      if (sent && spec.cancel && (spec.needsCancel?.() ?? true) && conn.isSessionUp()) conn.send('control', spec.cancel).catch(() => undefined);
      fn();
    };
    const done = (v: T): void => finish(() => resolve(v));
    const fail = (e: Error): void => finish(() => reject(e));
    const onError = (err: Error, code: number, reqId: number): void => {
      if (spec.reqId === undefined || reqId !== spec.reqId) return;
      const decided = spec.onError?.(code, err.message);
      if (decided === 'ignore') return;
      if (decided instanceof Error) return fail(decided);
      const kind = classifyIbCode(code, err.message, 'request').kind;
      if (kind === 'info' || kind === 'warning') return;
      fail(requestError(spec.name, code, err.message));
    };
    const onEnded = (reason: string): void => fail(new BrokerUnavailableError(`${spec.name}: IB session ended (${reason})`));
    const timer = setTimeout(() => {
      const r = spec.onTimeout ? spec.onTimeout() : undefined;
      if (r instanceof Error) fail(r);
      else if (spec.onTimeout) done(r as T);
      else fail(new BrokerError(`${spec.name}: no answer from IB within ${spec.timeoutMs} ms`, 'retryable'));
    }, spec.timeoutMs);
    const detach = spec.listen(done, fail);
    conn.hub.on(EventName.error, onError);
    conn.hub.on('sessionEnded', onEnded);
    conn.send(spec.priority ?? 'data', (api) => {
      sent = true;
      spec.send(api);
    }).catch(fail);
  });
}

/** Subscribe `fn` to a hub event; returns the detach function. */
export function on(conn: IbConnection, event: string, fn: (...args: never[]) => void): () => void {
  const f = fn as (...args: unknown[]) => void;
  conn.hub.on(event, f);
  return () => conn.hub.off(event, f);
}

/** Detach several listeners at once. */
export const all = (...fns: (() => void)[]) => (): void => fns.forEach((f) => f());
