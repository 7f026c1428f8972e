/**
 * Read-only queries over the IB session: accounts, summaries (every account, never collapsed), positions
 * (every account), contract details (cached), quotes (streaming, `ib-quote-stream.ts`), historical
 * bars (paced), shortable shares (generic tick 236) and borrow fee (FEE_RATE history).
 *
 * Pitfalls handled here:
 *  - reqPositions / reqAllOpenOrders / reqCompletedOrders have no request id: one at a time (a lock each).
 *  - quotes: one streaming subscription per instrument; 354 ("not subscribed") switches the session to
 *    market data type 3 (delayed) and subscribes again; 10167 only marks the quote delayed.
 *  - market-data lines are a budget (`LinePool`): a quote subscription holds one until evicted (least
 *    recently used first, when the pool is full), a shortable-shares request while open.
 */
import type { Contract } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import type { Clock } from '../domain/clock.js';
import { Decimal } from '../domain/types.js';
import type { ContractInfo, Instrument, PositionSnapshot, Quote } from '../domain/types.js';
import { BrokerError } from '../execution/broker-port.js';
import type { Bar, BrokerAccountSummary, HistoryRequest } from '../execution/broker-port.js';
import { SUMMARY_TAGS, summariesFromRows } from './account-summary.js';
import type { SummaryRow } from './account-summary.js';
import type { IbConnection } from './ib-connection.js';
import { contractInfoFromWire, decOrUndefined, instrumentFromWire, instrumentKey, qty, toWireContract } from './ib-mapping.js';
import { all, on, runRequest } from './ib-requests.js';
import type { WireContract, WireContractDetails } from './ib-wire.js';
import { Mutex } from './mutex.js';
import { LinePool, QuoteStream } from './ib-quote-stream.js';
import { HistoricalPacer } from './pacing.js';

/** Timeouts and budgets of the read-only queries. */
export interface IbQueryOptions {
  /** default per-request timeout (15 s) */
  readonly timeoutMs?: number;
  /** wait for the first ticks of a new quote subscription (5 s) */
  readonly quoteTimeoutMs?: number;
  /** a quote whose newest tick is older than this is stale (10 s) */
  readonly quoteFreshMs?: number;
  /** concurrent market-data lines we allow ourselves (90 of IB's 100); quote subscriptions hold one each (LRU-evicted) */
  readonly marketDataLines?: number;
  readonly historicalPacer?: HistoricalPacer;
}

const TICK = { SHORTABLE_SHARES: 89 } as const;

const asContract = (c: WireContract): Contract => c as unknown as Contract;

/** The contract fields of an option or future position (expiry, strike, right, multiplier). */
function contractFieldsOf(i: Instrument): Partial<PositionSnapshot> {
  return {
    ...(i.lastTradeDateOrContractMonth ? { lastTradeDateOrContractMonth: i.lastTradeDateOrContractMonth } : {}),
    ...(i.strike ? { strike: i.strike } : {}),
    ...(i.right ? { right: i.right } : {}),
    ...(i.multiplier ? { multiplier: i.multiplier } : {}),
  };
}

/** Read-only queries over an `IbConnection`. */
export class IbQueries {
  private readonly contractCache = new Map<string, Promise<ContractInfo>>();
  private readonly positionsLock = new Mutex();
  private readonly summaryLock = new Mutex();
  private readonly lines: LinePool;
  private readonly stream: QuoteStream;
  private readonly hist: HistoricalPacer;
  private readonly timeoutMs: number;

  constructor(
    private readonly conn: IbConnection,
    private readonly clock: Clock,
    private readonly o: IbQueryOptions = {},
  ) {
    this.lines = new LinePool(o.marketDataLines ?? 90);
    this.stream = new QuoteStream(conn, clock, this.lines, o);
    this.hist = o.historicalPacer ?? new HistoricalPacer();
    this.timeoutMs = o.timeoutMs ?? 15_000;
  }

  /** Every summary tag for EVERY linked account (group "All"), one entry per account. */
  accountSummaries(): Promise<BrokerAccountSummary[]> {
    return this.summaryLock.run(() => {
      const reqId = this.conn.nextReqId();
      const rows: SummaryRow[] = [];
      return runRequest(this.conn, {
        name: 'account summary',
        timeoutMs: this.timeoutMs,
        reqId,
        listen: (done) =>
          all(
            on(this.conn, EventName.accountSummary, (id: number, account: string, tag: string, value: string, currency: string) => {
              if (id === reqId) rows.push({ account, tag, value, currency });
            }),
            on(this.conn, EventName.accountSummaryEnd, (id: number) => {
              if (id === reqId) done(summariesFromRows(rows));
            }),
          ),
        send: (api) => api.reqAccountSummary(reqId, 'All', SUMMARY_TAGS.join(',')),
        cancel: (api) => api.cancelAccountSummary(reqId),
      });
    });
  }

  /** Positions of every account (zero positions dropped). */
  positions(): Promise<PositionSnapshot[]> {
    return this.positionsLock.run(() => {
      const out: PositionSnapshot[] = [];
      return runRequest(this.conn, {
        name: 'positions',
        timeoutMs: this.timeoutMs,
        listen: (done) =>
          all(
            on(this.conn, EventName.position, (account: string, c: WireContract, pos: number, avgCost?: number) => {
              const quantity = qty(pos);
              if (quantity === 0) return;
              const i = instrumentFromWire(c);
              out.push({
                account,
                symbol: i.symbol,
                secType: i.secType,
                currency: i.currency,
                ...(i.conId ? { conId: i.conId } : {}),
                quantity,
                avgCost: decOrUndefined(avgCost) ?? new Decimal(0),
                ...(i.secType === 'OPT' || i.secType === 'FUT' ? contractFieldsOf(i) : {}),
              });
            }),
            on(this.conn, EventName.positionEnd, () => done(out)),
          ),
        send: (api) => api.reqPositions(),
        cancel: (api) => api.cancelPositions(),
      });
    });
  }

  /** Contract details (cached per instrument; failures are not cached). Error 200 → BrokerError code 200. */
  contractDetails(instrument: Instrument): Promise<ContractInfo> {
    const key = instrumentKey(instrument);
    const hit = this.contractCache.get(key);
    if (hit) return hit;
    const p = this.fetchContractDetails(instrument);
    this.contractCache.set(key, p);
    p.catch(() => this.contractCache.delete(key));
    return p;
  }

  private fetchContractDetails(instrument: Instrument): Promise<ContractInfo> {
    const reqId = this.conn.nextReqId();
    const found: WireContractDetails[] = [];
    const name = `contract details for ${instrument.symbol} ${instrument.secType}`;
    return runRequest(this.conn, {
      name,
      timeoutMs: this.timeoutMs,
      reqId,
      listen: (done, fail) =>
        all(
          on(this.conn, EventName.contractDetails, (id: number, d: WireContractDetails) => {
            if (id === reqId) found.push(d);
          }),
          on(this.conn, EventName.contractDetailsEnd, (id: number) => {
            if (id !== reqId) return;
            const distinct = new Set(found.map((d) => d.contract.conId));
            if ((instrument.secType === 'OPT' || instrument.secType === 'FUT') && distinct.size > 1) {
              // an option or future that names several contracts is ambiguous: never pick one silently
              return fail(new BrokerError(`${name} is ambiguous: ${distinct.size} contracts match (give lastTradeDateOrContractMonth as yyyymmdd, strike and right, or conId)`, 'orderRejected', 200));
            }
            const best = found.find((d) => !instrument.primaryExchange || d.contract.primaryExch === instrument.primaryExchange) ?? found[0];
            if (best) done(contractInfoFromWire(best));
            else fail(new BrokerError(`${name} failed: no security definition found`, 'orderRejected', 200));
          }),
        ),
      send: (api) => api.reqContractDetails(reqId, asContract(toWireContract(instrument))),
    });
  }

  /**
   * The latest quote from a streaming subscription (see `ib-quote-stream.ts`): the first call for an
   * instrument subscribes and waits for its first ticks, later calls answer at once without a message.
   * Delayed data sets `delayed`; no bid/ask/last tick, or none within `quoteFreshMs`, sets `stale`.
   */
  quote(instrument: Instrument): Promise<Quote> {
    return this.stream.quote(instrument);
  }

  /** Shares available to borrow (generic tick 236 → tick 89), or undefined when IB sends none in time. */
  async shortableShares(instrument: Instrument, timeoutMs = 4_000): Promise<number | undefined> {
    await this.acquireLine();
    const reqId = this.conn.nextReqId();
    try {
      return await runRequest<number | undefined>(this.conn, {
        name: `shortable shares ${instrument.symbol}`,
        timeoutMs,
        reqId,
        listen: (done) => {
          const got = (id: number, field: number, value: number): void => {
            if (id === reqId && field === TICK.SHORTABLE_SHARES && Number.isFinite(value)) done(Math.max(0, Math.trunc(value)));
          };
          return all(on(this.conn, EventName.tickSize, got), on(this.conn, EventName.tickGeneric, got));
        },
        send: (api) => api.reqMktData(reqId, asContract(toWireContract(instrument)), '236', false, false),
        cancel: (api) => api.cancelMktData(reqId),
        onError: (code) => (code === 10167 || code === 10090 ? 'ignore' : undefined),
        onTimeout: () => undefined,
      });
    } finally {
      this.releaseLine();
    }
  }

  /** Historical bars, paced (≤ 60 / 10 min, no identical request within 15 s, ≤ 5 per contract / 2 s). */
  async historicalBars(instrument: Instrument, r: HistoryRequest): Promise<Bar[]> {
    const contractKey = `${instrumentKey(instrument)}|${r.whatToShow}`;
    const key = `${contractKey}|${r.endDateTime ?? ''}|${r.duration}|${r.barSize}|${r.useRth ?? true}`;
    for (let wait = this.hist.waitMs(key, contractKey, this.clock.now()); wait > 0; wait = this.hist.waitMs(key, contractKey, this.clock.now())) {
      await new Promise((res) => setTimeout(res, wait));
    }
    this.hist.record(key, contractKey, this.clock.now());
    const reqId = this.conn.nextReqId();
    const bars: Bar[] = [];
    return runRequest(this.conn, {
      name: `history ${instrument.symbol} ${r.duration} ${r.barSize}`,
      timeoutMs: Math.max(this.timeoutMs, 30_000),
      reqId,
      listen: (done) =>
        on(this.conn, EventName.historicalData,
          (id: number, time: string, open: number, high: number, low: number, close: number, volume: number, count: number | undefined, wap: number) => {
            if (id !== reqId) return;
            if (time.startsWith('finished')) return done(bars);
            const d = (v: number): Decimal => decOrUndefined(v) ?? new Decimal(0);
            const w = decOrUndefined(wap);
            bars.push({ time, open: d(open), high: d(high), low: d(low), close: d(close), volume: d(volume),
              ...(w !== undefined && w.gte(0) ? { wap: w } : {}), ...(count !== undefined && count >= 0 ? { count } : {}) });
          }),
      send: (api) =>
        api.reqHistoricalData(reqId, asContract(toWireContract(instrument)), r.endDateTime ?? '', r.duration,
          r.barSize as Parameters<typeof api.reqHistoricalData>[4], r.whatToShow as Parameters<typeof api.reqHistoricalData>[5],
          r.useRth === false ? 0 : 1, 1, false),
    });
  }

  /** Latest borrow fee rate in percent per year (FEE_RATE history, last daily bar's close), if any. */
  async borrowFee(instrument: Instrument): Promise<Decimal | undefined> {
    const bars = await this.historicalBars(instrument, { barSize: '1 day', duration: '5 D', whatToShow: 'FEE_RATE', useRth: false });
    return bars.at(-1)?.close;
  }

  /** Runs a short-lived market-data request while holding one line of the shared budget. */
  async withLine<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireLine();
    try {
      return await fn();
    } finally {
      this.releaseLine();
    }
  }

  private acquireLine(): Promise<void> {
    return this.lines.acquire();
  }

  private releaseLine(): void {
    this.lines.release();
  }
}
