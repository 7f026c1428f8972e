/**
 * Shared types of the Client Portal simulator: the parsed request, the answer, a route, and the
 * simulator state every route reads (engine, session, rate limiter, faults, the open reply chain).
 */
import type { SimEngine } from '../engine/engine.js';
import type { CpSession } from './cp-auth.js';
import type { CpRateLimiter } from './cp-rate.js';

/** A parsed request under /v1/api. */
export interface CpRequest {
  readonly method: string;
  /** the path below /v1/api, e.g. "/iserver/accounts" */
  readonly path: string;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/** An answer: status and JSON body. */
export interface CpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  /** fault: the work is done but the HTTP answer is dropped (socket destroyed) */
  readonly drop?: boolean;
}

/** Which session a route needs: none (session endpoints), the SSO session (/portfolio), or the brokerage session (/iserver). */
export type CpTier = 'none' | 'sso' | 'brokerage';

/** One route. */
export interface CpRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly tier: CpTier;
  /** needs GET /iserver/accounts first in this session */
  readonly primed?: boolean;
  readonly handle: (s: CpSimState, r: CpRequest) => CpAnswer;
}

/** One ticket of a place-order body, as the simulator reads it. */
export interface CpTicket {
  readonly conid: number;
  readonly orderType: string;
  readonly side: string;
  readonly quantity: number;
  readonly tif: string;
  readonly price?: number | undefined;
  readonly auxPrice?: number | undefined;
  readonly trailingAmt?: number | undefined;
  readonly trailingType?: string | undefined;
  readonly cOID?: string | undefined;
  readonly parentId?: string | undefined;
  readonly outsideRTH?: boolean | undefined;
  readonly acctId?: string | undefined;
}

/** An order waiting on its reply chain. */
export interface PendingReply {
  readonly id: string;
  readonly account: string;
  readonly tickets: readonly CpTicket[];
  /** questions still to ask, in order */
  readonly questions: readonly { readonly messageId: string; readonly text: string }[];
}

/** Injected faults (admin POST /fault). */
export interface CpFaults {
  /** the next N order placements are booked but their HTTP answer is dropped (socket destroyed) */
  dropNextOrderResponses: number;
  /** the next N requests are delayed by delayMs */
  delayNext: number;
  delayMs: number;
  /** scripted questions for the next order */
  questionsNext: { messageId: string; text: string }[];
  /** the next N /iserver requests answer 503 */
  unavailableNext: number;
}

/** Everything the routes share. */
export interface CpSimState {
  readonly engine: SimEngine;
  readonly session: CpSession;
  readonly limiter: CpRateLimiter;
  readonly faults: CpFaults;
  readonly clientId: number;
  readonly positionsPageSize: number;
  pending: PendingReply | undefined;
  replySeq: number;
  readonly log: (line: string) => void;
}

/** A JSON answer. */
export const ok = (body: unknown, status = 200): CpAnswer => ({ status, body });

/** An `{error}` answer. */
export const fail = (status: number, error: string): CpAnswer => ({ status, body: { error, statusCode: status } });
