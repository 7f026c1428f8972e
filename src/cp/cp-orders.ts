/**
 * Order placement over the Client Portal: one order dialog at a time (the reply chain breaks when
 * another order request comes in between), `cOID` = our orderRef, each question answered at once by
 * the written policy (`reply-policy.ts`). Exactly-once: the outbox holds the intent before we are
 * called; an answer that never came (reset, timeout, 5xx, a lost reply id, "cOID already registered")
 * is resolved by looking the cOID up in the account's live orders and trades — never by sending again.
 * Not found within the lookup window: the call fails and the legs stay UNRESOLVED for reconciliation.
 */
import { Mutex } from '../ib/mutex.js';
import type { OrderLeg } from '../domain/types.js';
import { BrokerError, BrokerUnavailableError, type BrokerEvent, type PlacedLeg } from '../execution/broker-port.js';
import type { Subject } from 'rxjs';
import { errorOf, type CpApi } from './cp-api.js';
import type { CpBook } from './cp-book.js';
import { CpTransportError } from './cp-http.js';
import { cpStatus, legToTicket } from './cp-mapping.js';
import type { CpQueries } from './cp-queries.js';
import { decideQuestion, MAX_REPLY_ROUNDS } from './reply-policy.js';

/** Settings of the order path. */
export interface CpOrderOptions {
  readonly lookupTries: number;
  readonly lookupMs: number;
  readonly orderTimeoutMs: number;
  readonly now: () => number;
  readonly log: (msg: string, data?: Record<string, unknown>) => void;
}

type Step = { kind: 'ack'; ids: string[]; statuses: string[] } | { kind: 'reject'; message: string } | { kind: 'unknown'; why: string };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Places, resolves and cancels orders. */
export class CpOrders {
  private readonly mutex = new Mutex();

  constructor(
    private readonly api: CpApi,
    private readonly queries: CpQueries,
    private readonly book: CpBook,
    private readonly events$: Subject<BrokerEvent>,
    private readonly o: CpOrderOptions,
  ) {}

  async place(legs: readonly OrderLeg[]): Promise<PlacedLeg[]> {
    const account = legs[0]?.account;
    if (!account || legs.some((l) => l.account !== account)) throw new BrokerUnavailableError('the legs of one order must share one account');
    return this.mutex.run(async () => {
      const tickets: Record<string, unknown>[] = [];
      for (const leg of legs) {
        let t: Record<string, unknown> | string;
        try {
          t = legToTicket(leg, (await this.queries.contractDetails(leg.instrument)).conId);
        } catch (e) {
          if (e instanceof BrokerUnavailableError) throw e;
          t = `contract lookup failed: ${(e as Error).message}`;
        }
        if (typeof t === 'string') return this.reject(legs, t);
        tickets.push(t);
      }
      const step = await this.dialog(account, tickets);
      if (step.kind === 'reject') return this.reject(legs, step.message);
      if (step.kind === 'ack' && step.ids.length === legs.length) return this.accept(legs, step);
      return this.resolve(legs, step.kind === 'unknown' ? step.why : 'the acknowledgement did not list every leg');
    });
  }

  /** POST and the reply chain; throws BrokerUnavailableError only when nothing was sent. */
  private async dialog(account: string, tickets: Record<string, unknown>[]): Promise<Step> {
    let r;
    try {
      r = await this.api.call('POST', `/iserver/account/${encodeURIComponent(account)}/orders`, { orders: tickets }, { timeoutMs: this.o.orderTimeoutMs, maxWaitMs: 5000 });
    } catch (e) {
      if (e instanceof BrokerUnavailableError) throw e;
      if (e instanceof CpTransportError && !e.sent) throw new BrokerUnavailableError(`the order did not reach the gateway: ${e.message}`);
      return { kind: 'unknown', why: (e as Error).message };
    }
    for (let round = 0; round <= MAX_REPLY_ROUNDS; round++) {
      const body = r.body;
      const err = errorOf(body);
      if (r.status >= 500 || r.status === 429 || (err && /reply id not found|already registered/i.test(err))) return { kind: 'unknown', why: err ?? `status ${r.status}` };
      if (err) return { kind: 'reject', message: err };
      const first = Array.isArray(body) ? (body[0] as Record<string, unknown> | undefined) : undefined;
      if (first && typeof first['order_id'] === 'string') {
        const rows = body as Record<string, unknown>[];
        return { kind: 'ack', ids: rows.map((x) => String(x['order_id'])), statuses: rows.map((x) => String(x['order_status'] ?? 'Submitted')) };
      }
      if (!first || typeof first['id'] !== 'string') return { kind: 'unknown', why: `unexpected answer (status ${r.status})` };
      if (round === MAX_REPLY_ROUNDS) return { kind: 'reject', message: `more than ${MAX_REPLY_ROUNDS} questions in the reply chain` };
      const ids = Array.isArray(first['messageIds']) ? first['messageIds'].map(String) : [];
      const text = Array.isArray(first['message']) ? first['message'].map(String).join(' ') : String(first['message'] ?? '');
      const d = decideQuestion(ids, text);
      try {
        r = await this.api.http.request('POST', `/iserver/reply/${encodeURIComponent(first['id'])}`, { confirmed: d.confirm }, { timeoutMs: this.o.orderTimeoutMs, maxWaitMs: 5000 });
      } catch (e) {
        if (!d.confirm) return { kind: 'reject', message: d.reason };
        return { kind: 'unknown', why: (e as Error).message };
      }
      if (!d.confirm) return { kind: 'reject', message: d.reason };
    }
    return { kind: 'unknown', why: 'reply chain did not end' };
  }

  private reject(legs: readonly OrderLeg[], message: string): PlacedLeg[] {
    for (const l of legs) this.events$.next({ type: 'orderRejected', orderId: 0, orderRef: l.orderRef, code: 201, message, ts: this.o.now() });
    return legs.map((l) => ({ orderRef: l.orderRef, orderId: 0 }));
  }

  private accept(legs: readonly OrderLeg[], ack: { ids: string[]; statuses: string[] }): PlacedLeg[] {
    return legs.map((l, n) => {
      const orderId = Number(ack.ids[n]);
      const status = cpStatus(ack.statuses[n]);
      // a FILLED ack is reported as SUBMITTED here: the fill and the final status follow from the next poll, fills first
      this.book.noteOrder({ orderId, account: l.account, orderRef: l.orderRef, instrument: l.instrument, side: l.side, quantity: l.quantity, orderType: l.type, status: status === 'UNKNOWN' || status === 'FILLED' ? 'SUBMITTED' : status, filled: 0, remaining: l.quantity, source: 'live' });
      return { orderRef: l.orderRef, orderId };
    });
  }

  /** The answer was lost: find the cOIDs in live orders and trades; never re-send. */
  private async resolve(legs: readonly OrderLeg[], why: string): Promise<PlacedLeg[]> {
    const account = legs[0]?.account ?? '';
    const refs = new Set(legs.map((l) => l.orderRef));
    this.o.log('Client Portal order answer missing: looking the cOID up', { account, refs: [...refs], why });
    for (let n = 0; n < this.o.lookupTries; n++) {
      try {
        const found = (await this.book.liveOrders(account)).filter((o) => o.orderRef !== undefined && refs.has(o.orderRef));
        if (found.length === refs.size) {
          for (const f of found) this.book.noteOrder(f);
          const fills = await this.book.trades(account, 1);
          for (const f of fills) if (f.orderRef && refs.has(f.orderRef)) this.book.noteFill(f);
          return legs.map((l) => ({ orderRef: l.orderRef, orderId: this.book.orderIdOf(l.orderRef) ?? 0 }));
        }
      } catch (e) {
        this.o.log('Client Portal cOID lookup failed', { reason: (e as Error).message });
      }
      await sleep(this.o.lookupMs);
    }
    throw new BrokerError(`no answer from the gateway (${why}) and the cOID ${[...refs].join(', ')} is not in live orders: left for reconciliation, never re-sent`, 'retryable');
  }

  /** Cancels one order by its CP order id (never the "-1 = all orders" form). */
  async cancel(orderId: number): Promise<void> {
    if (!Number.isSafeInteger(orderId) || orderId <= 0) throw new BrokerError(`refusing to cancel order id ${orderId}: only a real order id is sent (-1 would cancel every order)`, 'fatal');
    let account = this.book.accountOf(orderId);
    if (!account) {
      for (const a of this.api.session.accounts) {
        if ((await this.book.liveOrders(a)).some((o) => o.orderId === orderId)) account = a;
        if (account) break;
      }
    }
    if (!account) throw new BrokerError(`order ${orderId} is not known to the gateway`, 'orderRejected', 10147);
    const r = await this.mutex.run(() => this.api.call('DELETE', `/iserver/account/${encodeURIComponent(account)}/order/${orderId}`));
    const err = errorOf(r.body);
    if (r.status !== 200 || err) throw new BrokerError(`cancel of ${orderId} refused: ${err ?? `status ${r.status}`}`, 'orderRejected', 10147);
  }
}
