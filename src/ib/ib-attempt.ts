/**
 * One connection attempt = one fresh `IBApi` object, with explicit host, port and the FIXED client id
 * (never @stoqey/ib's env/.env defaults), and its own limiter set far above ours (`maxReqPerSec` 10 000)
 * so that our `Pacer` is the binding budget. A new object per attempt also drops @stoqey/ib's command
 * buffer of the previous one: a message queued while the old socket was down can never leak into the
 * next session.
 */
import { EventName, IBApi } from '@stoqey/ib';

/** Where to connect, with which fixed client id. */
export interface AttemptTarget {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
}

/** Callbacks of one attempt; the caller discards late calls of an old attempt. */
export interface AttemptHandlers {
  /** every IBApi event (name + arguments), for the session hub */
  forward(name: string, args: unknown[]): void;
  /** server version received, START_API sent */
  connected(): void;
  accounts(list: readonly string[]): void;
  nextValidId(id: number): void;
  /** an IB code without a request id (info 1100/1102/326/2104…, client errors 502/504/505) */
  code(code: number, message: string): void;
  /** a 505 decoder error (any request id) */
  decodeError(err: Error): void;
  /** the socket closed */
  closed(): void;
}

/** Create the IBApi, bind the handlers and start connecting. */
export function openAttempt(t: AttemptTarget, h: AttemptHandlers): IBApi {
  const api = new IBApi({ host: t.host, port: t.port, clientId: t.clientId, maxReqPerSec: 10_000 });
  api.on(EventName.all, (name: string, args: unknown[]) => h.forward(name, args));
  api.on(EventName.connected, () => {
    disableNagle(api);
    h.connected();
  });
  api.on(EventName.managedAccounts, (list: string) =>
    h.accounts(list.split(',').map((a) => a.trim()).filter((a) => a.length > 0)));
  api.on(EventName.nextValidId, (id: number) => h.nextValidId(id));
  api.on(EventName.info, (message: string, code: number) => h.code(code, message));
  api.on(EventName.error, (err: Error, code: number, reqId: number) => {
    if (code === 505) h.decodeError(err);
    if (reqId === -1 || reqId === undefined) h.code(code, err.message);
  });
  api.on(EventName.disconnected, () => h.closed());
  api.connect(t.clientId);
  return api;
}

/** Unbind everything and close the socket (idempotent). */
export function closeAttempt(api: IBApi): void {
  api.removeAllListeners();
  api.on(EventName.error, () => undefined);
  try {
    api.disconnect();
  } catch {
    /* already closed */
  }
}

/**
 * @stoqey/ib leaves Nagle's algorithm on, so a small order message can wait for the previous segment's
 * ACK (tens of ms). Orders are latency-sensitive and tiny: send them at once. Reaches into the client's
 * socket, which @stoqey/ib does not expose; a missing field (another version) leaves the default.
 */
function disableNagle(api: IBApi): void {
  const socket = (api as unknown as { controller?: { socket?: { client?: { setNoDelay?: (on: boolean) => void } } } }).controller?.socket?.client;
  socket?.setNoDelay?.(true);
}
