/**
 * Pure connection state machine of the IB session: (state, event) → (state, actions). The shell
 * (`ib-connection.ts`) feeds socket and IB-code events and performs the actions; nothing here touches a
 * socket or a timer, so every transition is unit-tested.
 *
 * Rules (ib-operations.md §1.5):
 *  - a fresh session (socket up, nextValidId + managed accounts in) is NOT ready for orders until a
 *    reconciliation pass ran: state CONNECTING, reason "reconciling";
 *  - 1100 / 2110 → CONNECTIVITY_LOST (socket stays up, orders blocked);
 *  - 1101 / 1102 while lost → still CONNECTIVITY_LOST ("restored, reconciling") + a reconciliation pass;
 *    CONNECTED only when that pass completes (and no new 1100 arrived meanwhile);
 *  - 326 (client id in use) → DISCONNECTED with the reason; the shell retries slowly, never with another id;
 *  - 10197 (a competing session: the same username logged in elsewhere) → DISCONNECTED with code 10197 and
 *    a reason that says what to do; the shell closes the socket and retries slowly with a doubling delay
 *    (`competingRetries`), so the daemon never fights the other login in a reconnect loop; the first
 *    session that comes up again clears it;
 *  - a socket close → DISCONNECTED; the shell reconnects with backoff.
 */
import type { ConnectionStatus } from '../execution/broker-port.js';

/** Internal phase; `status.state` is what callers see. */
export type Phase = 'down' | 'connecting' | 'reconciling' | 'ready' | 'lost' | 'restoredReconciling' | 'stopped';

/** State of the machine (immutable; a new value per transition). */
export interface ConnState {
  readonly phase: Phase;
  readonly status: ConnectionStatus;
  /** the last close was caused by 326: retry slowly */
  readonly clientIdInUse: boolean;
  /** the last close was caused by 10197 (another login of the same username): retry slowly, backing off */
  readonly competing: boolean;
  /** slow attempts made since the competing session was detected; kept across a session that is taken again soon */
  readonly competingRetries: number;
  /** when the last 10197 came (epoch ms; 0 = never): a new one within 30 min keeps doubling the delay */
  readonly competingAt: number;
  /** reconciliation passes started so far (a pass result is accepted only for the newest one) */
  readonly reconcileSeq: number;
}

/** Inputs: socket milestones, IB codes without request id, reconciliation results, stop. */
export type ConnEvent =
  | { readonly type: 'connecting' }
  | { readonly type: 'sessionReady' }
  | { readonly type: 'reconciled'; readonly seq: number }
  | { readonly type: 'reconcileFailed'; readonly seq: number; readonly reason: string }
  | { readonly type: 'code'; readonly code: number; readonly message: string }
  | { readonly type: 'socketClosed'; readonly reason: string }
  | { readonly type: 'stopped' };

/** Side effects the shell performs. */
export type ConnAction =
  | { readonly type: 'reconcile'; readonly seq: number; readonly why: 'session' | 'restored' }
  | { readonly type: 'scheduleReconnect'; readonly slow: boolean; readonly competingRetries?: number };

/** Result of one transition. */
export interface Transition {
  readonly state: ConnState;
  readonly actions: readonly ConnAction[];
}

/** DISCONNECTED, nothing attempted yet. */
export const initialConnState = (now: number): ConnState => ({
  phase: 'down',
  status: { state: 'DISCONNECTED', since: now, reason: 'not connected yet' },
  clientIdInUse: false,
  competing: false,
  competingRetries: 0,
  competingAt: 0,
  reconcileSeq: 0,
});

/** A 10197 within this long of the previous one continues the backoff (30 min). */
export const COMPETING_MEMORY_MS = 30 * 60_000;

/** The one sentence for a competing session (10197): what happened and what a person should do. */
export const COMPETING_SESSION_REASON =
  'competing session (IB error 10197): the same IB username logged in elsewhere (TWS, the mobile app or the web portal) and took the session; trading is stopped, reconnects back off; log out the other session or give this daemon its own IB username';


const st = (s: ConnectionStatus['state'], now: number, reason?: string, code?: number): ConnectionStatus => ({
  state: s,
  since: now,
  ...(reason !== undefined ? { reason } : {}),
  ...(code !== undefined ? { code } : {}),
});

/** The transition function. `now` is epoch ms (the `since` of a new status). */
export function reduceConn(s: ConnState, e: ConnEvent, now: number): Transition {
  const same: Transition = { state: s, actions: [] };
  if (s.phase === 'stopped' && e.type !== 'connecting') return same;
  switch (e.type) {
    case 'connecting':
      return { state: { ...s, phase: 'connecting', status: st('CONNECTING', now, 'connecting') }, actions: [] };
    case 'sessionReady': {
      const seq = s.reconcileSeq + 1;
      return {
        state: { ...s, phase: 'reconciling', clientIdInUse: false, competing: false, reconcileSeq: seq, status: st('CONNECTING', now, 'session up, reconciling') },
        actions: [{ type: 'reconcile', seq, why: 'session' }],
      };
    }
    case 'reconciled':
      if (e.seq !== s.reconcileSeq || (s.phase !== 'reconciling' && s.phase !== 'restoredReconciling')) return same;
      return { state: { ...s, phase: 'ready', status: st('CONNECTED', now) }, actions: [] };
    case 'reconcileFailed':
      if (e.seq !== s.reconcileSeq || (s.phase !== 'reconciling' && s.phase !== 'restoredReconciling')) return same;
      return retryReconcile(s, now, e.reason);
    case 'code':
      return onCode(s, e.code, e.message, now);
    case 'socketClosed': {
      if (s.phase === 'down') return same;
      if (s.competing) {
        // still taken by the other login (or closed while it was): the same status, one more slow try
        const retries = s.competingRetries + 1;
        return {
          state: { ...s, phase: 'down', competingRetries: retries, status: s.status.code === 10197 && s.status.state === 'DISCONNECTED' ? s.status : st('DISCONNECTED', now, COMPETING_SESSION_REASON, 10197) },
          actions: [{ type: 'scheduleReconnect', slow: true, competingRetries: retries }],
        };
      }
      const reason = s.clientIdInUse ? (s.status.reason ?? e.reason) : e.reason;
      const code = s.clientIdInUse ? 326 : undefined;
      return {
        state: { ...s, phase: 'down', status: st('DISCONNECTED', now, reason, code) },
        actions: [{ type: 'scheduleReconnect', slow: s.clientIdInUse }],
      };
    }
    case 'stopped':
      return { state: { ...s, phase: 'stopped', status: st('DISCONNECTED', now, 'disconnect() called') }, actions: [] };
  }
}

function retryReconcile(s: ConnState, now: number, reason: string): Transition {
  const seq = s.reconcileSeq + 1;
  const lost = s.phase === 'restoredReconciling';
  return {
    state: {
      ...s,
      reconcileSeq: seq,
      status: st(lost ? 'CONNECTIVITY_LOST' : 'CONNECTING', now, `reconciliation failed (${reason}), retrying`, s.status.code),
    },
    actions: [{ type: 'reconcile', seq, why: lost ? 'restored' : 'session' }],
  };
}

function onCode(s: ConnState, code: number, message: string, now: number): Transition {
  const up = s.phase === 'reconciling' || s.phase === 'ready' || s.phase === 'lost' || s.phase === 'restoredReconciling';
  if ((code === 1100 || code === 2110) && up) {
    if (s.phase === 'lost') return { state: s, actions: [] }; // IB floods 1100s: keep the first
    return { state: { ...s, phase: 'lost', status: st('CONNECTIVITY_LOST', now, message, code) }, actions: [] };
  }
  if ((code === 1101 || code === 1102) && (s.phase === 'lost' || s.phase === 'restoredReconciling')) {
    const seq = s.reconcileSeq + 1;
    return {
      state: {
        ...s,
        phase: 'restoredReconciling',
        reconcileSeq: seq,
        status: st('CONNECTIVITY_LOST', now, `connectivity restored (${code}), reconciling`, code),
      },
      actions: [{ type: 'reconcile', seq, why: 'restored' }],
    };
  }
  if (code === 10197) {
    if (s.competing && s.status.code === 10197) return { state: s, actions: [] };
    // the other login took the session again soon after we came back: keep backing off, do not start over
    const retries = s.competingAt > 0 && now - s.competingAt < COMPETING_MEMORY_MS ? s.competingRetries : 0;
    return { state: { ...s, competing: true, competingRetries: retries, competingAt: now, status: st('DISCONNECTED', now, COMPETING_SESSION_REASON, 10197) }, actions: [] };
  }
  if (code === 326) {
    return {
      state: { ...s, clientIdInUse: true, status: st('DISCONNECTED', now, `client id already in use: ${message}`, 326) },
      actions: [],
    };
  }
  return { state: s, actions: [] };
}

/** Orders may be sent only in phase `ready`, and never while a competing session (10197) holds the login. */
export const isReady = (s: ConnState): boolean => s.phase === 'ready' && !s.competing;
