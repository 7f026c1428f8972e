/**
 * What request handlers see of a client session: the engine, the client id, a send function and the
 * session's subscriptions. Keeps handlers free of sockets.
 */
import type { SimEngine } from '../engine/engine.js';
import type { ServerMessage } from '../wire/messages.js';

/** Active subscriptions of one session (all keyed by the client's reqId where it has one). */
export interface Subscriptions {
  positions: boolean;
  /** reqAccountUpdates: the account followed, if any */
  accountUpdates: string | undefined;
  readonly accountSummary: Map<number, { readonly tags: readonly string[]; readonly group: string }>;
  readonly positionsMulti: Map<number, { readonly account: string | undefined; readonly modelCode: string | undefined }>;
  readonly accountUpdatesMulti: Map<number, { readonly account: string | undefined; readonly modelCode: string | undefined; readonly ledgerAndNLV: boolean }>;
  readonly marketData: Map<number, { readonly conId: number; readonly generic: readonly string[] }>;
  readonly historyUpdates: Map<number, { readonly conId: number; readonly barSec: number; readonly whatToShow: string; readonly formatDate: number }>;
}

/** A started client session as handlers use it. */
export interface SessionContext {
  readonly engine: SimEngine;
  readonly clientId: number;
  /** market data type requested by REQ_MARKET_DATA_TYPE (1 live, 2 frozen, 3 delayed, 4 delayed-frozen) */
  readonly marketDataType: number;
  readonly subs: Subscriptions;
  send(msg: ServerMessage): void;
  log(line: string): void;
}

/** Fresh, empty subscriptions. */
export function emptySubscriptions(): Subscriptions {
  return {
    positions: false, accountUpdates: undefined, accountSummary: new Map(), positionsMulti: new Map(),
    accountUpdatesMulti: new Map(), marketData: new Map(), historyUpdates: new Map(),
  };
}
