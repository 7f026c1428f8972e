/**
 * Option queries over the IB session (issue 12): the chain's expirations and strikes
 * (`reqSecDefOptParams`), the contracts of an expiry (`reqContractDetails` with secType OPT: one
 * request answers every strike and right, with conIds), and per-option snapshots (`reqMktData`
 * snapshot=true) that carry the quote and `tickOptionComputation` greeks.
 *
 * Pitfalls handled here:
 *  - IB's strikes list is the union over all expirations: a strike may not exist for a given expiry, so the
 *    contracts come from contract details, never from params × params.
 *  - greeks: the model computation (13 / delayed 83) is preferred, then last, bid, ask; IB's "not computed"
 *    markers (−1, −2, Double.MAX) become undefined (the decoder already maps −1/−2).
 *  - each snapshot holds one market-data line of the shared budget while open; 10167 (delayed data shown)
 *    is not an error; a snapshot that ends without greeks answers without them.
 */
import type { Contract } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import type { Clock } from '../domain/clock.js';
import { Decimal } from '../domain/types.js';
import type { Instrument, OptionChainParams, OptionChainQuery, OptionChainRow, OptionChainSnapshot, OptionGreeks } from '../domain/types.js';
import { BrokerError } from '../execution/broker-port.js';
import type { IbConnection } from './ib-connection.js';
import { decOrUndefined, instrumentFromWire, toWireContract } from './ib-mapping.js';
import type { IbQueries } from './ib-queries.js';
import { all, on, runRequest } from './ib-requests.js';
import type { WireContract, WireContractDetails } from './ib-wire.js';

const asContract = (c: WireContract): Contract => c as unknown as Contract;

/** tickOptionComputation tick types → the price they belong to (live and delayed). */
const COMPUTATION: Readonly<Record<number, NonNullable<OptionGreeks['source']>>> = {
  10: 'bid', 11: 'ask', 12: 'last', 13: 'model', 80: 'bid', 81: 'ask', 82: 'last', 83: 'model',
};
const PREFERENCE: readonly NonNullable<OptionGreeks['source']>[] = ['model', 'last', 'bid', 'ask'];
const PRICE_FIELD: Readonly<Record<number, 'bid' | 'ask' | 'last'>> = { 1: 'bid', 2: 'ask', 4: 'last', 66: 'bid', 67: 'ask', 68: 'last' };

/** Pure: one tickOptionComputation's values as domain greeks (unset markers dropped). */
export function greeksFromComputation(
  source: OptionGreeks['source'], iv?: number, delta?: number, optPrice?: number, gamma?: number, vega?: number, theta?: number, undPrice?: number,
): OptionGreeks {
  const d = (v: number | undefined, unset: number): Decimal | undefined => (v === undefined || v === unset ? undefined : decOrUndefined(v));
  const g: Record<string, unknown> = {
    impliedVol: d(iv, -1), delta: d(delta, -2), optPrice: d(optPrice, -1), gamma: d(gamma, -2), vega: d(vega, -2), theta: d(theta, -2),
    undPrice: d(undPrice, -1), source,
  };
  for (const k of Object.keys(g)) if (g[k] === undefined) delete g[k];
  return g as OptionGreeks;
}

/** Pure: the N strikes nearest `price` (all when N ≥ count), ascending. */
export function nearestStrikes(strikes: readonly Decimal[], price: Decimal | undefined, n: number): Decimal[] {
  if (price === undefined || n >= strikes.length) return [...strikes].sort((a, b) => a.cmp(b));
  return [...strikes].sort((a, b) => a.sub(price).abs().cmp(b.sub(price).abs()) || a.cmp(b)).slice(0, n).sort((a, b) => a.cmp(b));
}

/** A quote-and-greeks snapshot of one option. */
export interface OptionSnapshot {
  readonly bid?: Decimal;
  readonly ask?: Decimal;
  readonly last?: Decimal;
  readonly greeks?: OptionGreeks;
}

/** Option queries; shares the connection and the market-data line budget of `IbQueries`. */
export class IbOptions {
  private readonly timeoutMs: number;

  constructor(
    private readonly conn: IbConnection,
    private readonly clock: Clock,
    private readonly queries: IbQueries,
    opts: { readonly timeoutMs?: number } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  /** Expirations and strikes per exchange and trading class. Unknown underlying → BrokerError 200. */
  async optionChainParams(underlying: Instrument): Promise<OptionChainParams[]> {
    const conId = underlying.conId ?? (await this.queries.contractDetails(underlying)).conId;
    const reqId = this.conn.nextReqId();
    const out: OptionChainParams[] = [];
    return runRequest(this.conn, {
      name: `option chain of ${underlying.symbol}`,
      timeoutMs: this.timeoutMs,
      reqId,
      listen: (done) =>
        all(
          on(this.conn, EventName.securityDefinitionOptionParameter,
            (id: number, exchange: string, underlyingConId: number, tradingClass: string, multiplier: number | string, expirations: string[], strikes: number[]) => {
              if (id !== reqId) return;
              out.push({ exchange, underlyingConId, tradingClass, multiplier: String(multiplier), expirations: [...expirations].sort(),
                strikes: strikes.map((k) => new Decimal(k)).sort((a, b) => a.cmp(b)) });
            }),
          on(this.conn, EventName.securityDefinitionOptionParameterEnd, (id: number) => {
            if (id === reqId) done(out);
          }),
        ),
      send: (api) => api.reqSecDefOptParams(reqId, underlying.symbol, '', underlying.secType as never, conId),
    });
  }

  /** Every contract matching `query` (e.g. an option expiry, all months of a future), with conIds; none on 200. */
  contracts(query: Instrument): Promise<Instrument[]> {
    const reqId = this.conn.nextReqId();
    const found: Instrument[] = [];
    return runRequest(this.conn, {
      name: `option contracts ${query.symbol} ${query.lastTradeDateOrContractMonth ?? ''}`,
      timeoutMs: this.timeoutMs,
      reqId,
      listen: (done) =>
        all(
          on(this.conn, EventName.contractDetails, (id: number, d: WireContractDetails) => {
            if (id === reqId) found.push({ ...instrumentFromWire(d.contract), exchange: query.exchange });
          }),
          on(this.conn, EventName.contractDetailsEnd, (id: number) => {
            if (id === reqId) done(found);
          }),
        ),
      send: (api) => api.reqContractDetails(reqId, asContract(toWireContract(query))),
      onError: (code) => (code === 200 ? 'ignore' : undefined),
      onTimeout: () => found,
    });
  }

  /**
   * A snapshot of one option: bid/ask/last and the preferred greeks; fields missing when IB sent none in
   * time. 354 (no live subscription) switches the session to delayed data (type 3) and asks once more.
   */
  async snapshot(option: Instrument, timeoutMs = 6_000): Promise<OptionSnapshot> {
    try {
      return await this.snapshotOnce(option, timeoutMs);
    } catch (e) {
      if (!(e instanceof BrokerError) || e.code !== 354) throw e;
      await this.conn.send('data', (api) => api.reqMarketDataType(3));
      return this.snapshotOnce(option, timeoutMs);
    }
  }

  private snapshotOnce(option: Instrument, timeoutMs: number): Promise<OptionSnapshot> {
    return this.queries.withLine(() => {
      const reqId = this.conn.nextReqId();
      const prices: { bid?: Decimal; ask?: Decimal; last?: Decimal } = {};
      const greeks = new Map<string, OptionGreeks>();
      const result = (): OptionSnapshot => {
        const best = PREFERENCE.map((p) => greeks.get(p)).find((g) => g !== undefined);
        return { ...prices, ...(best ? { greeks: best } : {}) };
      };
      return runRequest<OptionSnapshot>(this.conn, {
        name: `option snapshot ${option.symbol} ${option.lastTradeDateOrContractMonth ?? ''} ${option.strike?.toString() ?? ''} ${option.right ?? ''}`,
        timeoutMs,
        reqId,
        listen: (done) =>
          all(
            on(this.conn, EventName.tickPrice, (id: number, tickType: number, price: number) => {
              const field = PRICE_FIELD[tickType];
              const v = decOrUndefined(price);
              if (id === reqId && field && v !== undefined && v.gt(0)) prices[field] = v;
            }),
            on(this.conn, EventName.tickOptionComputation,
              (id: number, tickType: number, _attrib: number, iv?: number, delta?: number, optPrice?: number, _pv?: number, gamma?: number, vega?: number, theta?: number, und?: number) => {
                const source = COMPUTATION[tickType];
                if (id === reqId && source) greeks.set(source, greeksFromComputation(source, iv, delta, optPrice, gamma, vega, theta, und));
              }),
            on(this.conn, EventName.tickSnapshotEnd, (id: number) => {
              if (id === reqId) done(result());
            }),
          ),
        send: (api) => api.reqMktData(reqId, asContract(toWireContract(option)), '', true, false),
        onError: (code) => (code === 10167 || code === 10090 ? 'ignore' : undefined),
        onTimeout: result,
      });
    });
  }

  /** The model greeks of one option (undefined when IB sent none). */
  async optionGreeks(option: Instrument): Promise<OptionGreeks | undefined> {
    return (await this.snapshot(option)).greeks;
  }

  /** Part of a chain at one instant: expirations by `query`, the N strikes nearest the money, quotes and greeks. */
  async optionChain(underlying: Instrument, query: OptionChainQuery = {}): Promise<OptionChainSnapshot> {
    const params = await this.optionChainParams(underlying);
    const main = params.find((p) => p.exchange === 'SMART' && p.tradingClass === underlying.symbol) ?? params.find((p) => p.exchange === 'SMART') ?? params[0];
    if (!main) throw new BrokerError(`no options are listed for ${underlying.symbol}`, 'orderRejected', 200);
    const quote = await this.queries.quote(underlying);
    const price = quote.last ?? (quote.bid && quote.ask ? quote.bid.add(quote.ask).div(2) : undefined);
    const expiries = this.expiriesFor(main.expirations, query);
    const rows: OptionChainRow[] = [];
    for (const expiry of expiries) {
      const base: Instrument = { symbol: underlying.symbol, secType: 'OPT', exchange: 'SMART', currency: underlying.currency,
        lastTradeDateOrContractMonth: expiry, multiplier: main.multiplier, ...(query.right ? { right: query.right } : {}) };
      const listed = await this.contracts(base);
      const strikes = nearestStrikes([...new Map(listed.map((c) => [c.strike!.toString(), c.strike!])).values()], price, query.strikes ?? 10);
      const wanted = listed.filter((c) => strikes.some((k) => c.strike?.eq(k)))
        .sort((a, b) => a.strike!.cmp(b.strike!) || (a.right ?? '').localeCompare(b.right ?? ''));
      // one contract IB will not quote (an error other than a lost session) leaves its row without prices
      const snaps = await Promise.all(wanted.map((c) => this.snapshot(c).catch((e: unknown) => {
        if (e instanceof BrokerError && e.kind === 'retryable') throw e;
        return {};
      })));
      wanted.forEach((c, i) => rows.push({ instrument: c, ...snaps[i] }));
    }
    return {
      underlying, underlyingConId: main.underlyingConId, ...(price !== undefined ? { underlyingPrice: price } : {}), asOf: this.clock.now(),
      tradingClass: main.tradingClass, multiplier: main.multiplier, expirations: main.expirations, rows,
    };
  }

  private expiriesFor(all: readonly string[], q: OptionChainQuery): string[] {
    if (q.expiryRange) return all.filter((e) => e >= q.expiryRange![0] && e <= q.expiryRange![1]);
    if (q.expiry) {
      if (!all.includes(q.expiry)) throw new BrokerError(`no expiration ${q.expiry} (listed: ${all.slice(0, 8).join(', ')}${all.length > 8 ? ', …' : ''})`, 'orderRejected', 200);
      return [q.expiry];
    }
    const today = new Date(this.clock.now()).toISOString().slice(0, 10).replaceAll('-', '');
    const next = all.find((e) => e >= today);
    return next ? [next] : [];
  }
}
