/**
 * SHELL: loads what the pure evaluation needs from the broker — the account snapshot, a quote, the
 * contract details — with small caches so one signal costs as few IB messages as possible:
 *  - contract details are cached for the life of the process (they do not change intraday);
 *  - quotes are not cached here: the IB adapter keeps one streaming subscription per instrument, so a
 *    quote is a local read that is always as fresh as the broker's last tick;
 *  - account snapshots (summary + positions of every linked account, one request each) are reused
 *    for `snapshotMaxAgeMs`. Cash and shares held by our own working orders are reserved separately
 *    (see `working` in the evaluation), so a snapshot that predates an order never lets two orders
 *    spend the same cash. An order state change without an execution changes nothing at the broker
 *    and keeps the snapshot. Activity we cannot attribute drops it (`invalidateAccounts`).
 *  - our own executions (`noteActivity` with `executed`) make `account()` load a fresh snapshot, as
 *    before; `accountForBuy()` instead keeps the cached snapshot and returns the orders that executed
 *    since it was requested as `pending`, which the caller reserves as if they were still working with
 *    their full quantity. That is exactly what the snapshot saw while they were working, so it is as
 *    safe, and it spares a stock BUY two broker round trips (four messages) per signal. It falls back
 *    to a fresh snapshot whenever that would not be conservative: a pending SELL or non-stock execution,
 *    or a short position in the instrument (a BUY would cover it). A snapshot load prunes the pending
 *    executions noted before it was requested.
 * Concurrent callers share one in-flight request.
 */
import { optionFieldsOfPayload } from '../domain/option-fields.js';
import { Decimal } from '../domain/types.js';
import type { AccountSnapshot, AccountConfig, ContractInfo, Instrument, LegName, Quote, SecType, Side, WorkingOrder } from '../domain/types.js';
import { workingOrderOf } from '../infra/outbox.js';
import type { Clock } from '../domain/clock.js';
import type { BrokerAccountSummary, BrokerPort } from './broker-port.js';

export interface MarketContextOptions {
  readonly snapshotMaxAgeMs: number;
  /** how long an FX rate is reused before it is asked again; default 60000 */
  readonly fxMaxAgeMs?: number;
}

interface Timed<T> {
  readonly at: number;
  readonly value: Promise<T>;
}

/** The fields of one of our orders (its outbox record) that a reservation needs. */
export interface OwnOrder {
  readonly orderRef: string;
  readonly account: string;
  readonly symbol: string;
  readonly secType: SecType;
  readonly currency: string;
  readonly side: Side;
  readonly quantity: number;
  /** the price its cash was reserved at (limit, or the reference price for MKT) */
  readonly price?: Decimal;
  readonly multiplier: number;
  readonly leg?: LegName;
  /** the stored leg (JSON), for conId and OCA group */
  readonly payload?: string;
}

/** What touched an account: one of our own orders, and whether shares changed hands. */
export interface OwnOrderActivity {
  readonly order: OwnOrder;
  /** a fill, or a move to PARTIALLY_FILLED / FILLED */
  readonly executed: boolean;
}

/** A snapshot for a stock BUY plus our executions it may not reflect yet (reserve them in full). */
export interface BuyContext {
  readonly snapshot: AccountSnapshot | undefined;
  readonly pending: readonly WorkingOrder[];
}

/** Caching reader over a BrokerPort; see the module comment. */
export class MarketContext {
  private readonly contracts = new Map<string, Promise<ContractInfo>>();
  /** `seq`: the last execution noted before the snapshot was requested (those are reflected in it) */
  private snapshots: (Timed<ReadonlyMap<string, AccountSnapshot>> & { readonly seq: number }) | undefined;
  private linked: Timed<readonly string[]> | undefined;
  private generation = 0;
  /** our orders that executed, by orderRef, with the sequence number of the latest note */
  private readonly executed = new Map<string, { readonly seq: number; readonly order: WorkingOrder }>();
  private seq = 0;
  private readonly fx = new Map<string, Timed<Decimal | undefined>>();

  constructor(
    private readonly broker: BrokerPort,
    private readonly declared: readonly AccountConfig[],
    private readonly clock: Clock,
    private readonly opts: MarketContextOptions,
  ) {}

  /**
   * Something happened in `account`: with `own`, to one of our orders (an execution is remembered until
   * a snapshot requested after it arrives; a state change without one changes nothing); without, to
   * something we cannot attribute, which drops the cached snapshots.
   */
  noteActivity(account: string, own?: OwnOrderActivity): void {
    if (!own || own.order.account !== account) return this.invalidateAccounts();
    if (!own.executed) return;
    this.executed.set(own.order.orderRef, { seq: ++this.seq, order: reservationOf(own.order) });
  }

  /** Forget cached account state (unattributed activity, a reconnect). */
  invalidateAccounts(): void {
    this.generation += 1;
    this.snapshots = undefined;
  }

  /** Forget everything, including the linked-account list (after a reconnect). */
  invalidateAll(): void {
    this.invalidateAccounts();
    this.linked = undefined;
  }

  /** The accounts the broker reports as linked to this login. */
  linkedAccounts(): Promise<readonly string[]> {
    if (!this.linked) {
      const value = this.broker.managedAccounts();
      this.linked = { at: this.clock.now(), value };
      value.catch(() => (this.linked = undefined));
    }
    return this.linked.value;
  }

  /** The snapshot of one account reflecting every execution we know of, or undefined when the broker does not report it. */
  async account(id: string): Promise<AccountSnapshot | undefined> {
    const now = this.clock.now();
    if (!this.snapshots || now - this.snapshots.at > this.opts.snapshotMaxAgeMs || this.pendingSince(this.snapshots.seq).length > 0) this.reload(now);
    return (await this.snapshots!.value).get(id);
  }

  /**
   * For a stock BUY in `id`: the cached snapshot (reloaded only when missing or older than
   * `snapshotMaxAgeMs`) and our executions in `id` since it was requested, to be reserved in full by
   * the caller. Loads a fresh snapshot instead when that would not be conservative (see the module comment).
   */
  async accountForBuy(id: string, instrument: Instrument): Promise<BuyContext> {
    const now = this.clock.now();
    if (!this.snapshots || now - this.snapshots.at > this.opts.snapshotMaxAgeMs) this.reload(now);
    const snaps = this.snapshots!;
    const snapshot = (await snaps.value).get(id);
    // replaced or dropped while we waited: a newer load may have pruned executions `snaps` lacks
    if (this.snapshots !== snaps) return { snapshot: await this.account(id), pending: [] };
    const pending = this.pendingSince(snaps.seq).filter((o) => o.account === id);
    if (pending.length === 0) return { snapshot, pending };
    const unsafe = instrument.secType !== 'STK'
      || pending.some((o) => o.secType !== 'STK' || o.side !== 'BUY')
      || (snapshot?.positions ?? []).some((p) => p.symbol === instrument.symbol && p.secType === 'STK' && p.quantity < 0);
    if (!unsafe) return { snapshot, pending };
    return { snapshot: await this.account(id), pending: [] };
  }

  private pendingSince(seq: number): WorkingOrder[] {
    const out: WorkingOrder[] = [];
    for (const e of this.executed.values()) if (e.seq > seq) out.push(e.order);
    return out;
  }

  private reload(now: number): void {
    const gen = this.generation;
    const seq = this.seq;
    const value = this.loadSnapshots();
    this.snapshots = { at: now, value, seq };
    value.then(
      () => {
        for (const [ref, e] of this.executed) if (e.seq <= seq) this.executed.delete(ref);
      },
      () => {
        if (this.generation === gen) this.snapshots = undefined;
      },
    );
  }

  /** Contract details, cached; rejects when the broker knows no such contract. */
  contract(instrument: Instrument): Promise<ContractInfo> {
    const key = instrumentKey(instrument);
    let p = this.contracts.get(key);
    if (!p) {
      p = this.broker.contractDetails(instrument);
      this.contracts.set(key, p);
      p.catch(() => this.contracts.delete(key));
    }
    return p;
  }

  /**
   * Base-currency units per one unit of `currency` (EUR → USD: about 1.08), from IB's CASH quotes: the
   * pair `currency.base` (e.g. EUR.USD on IDEALPRO), else the inverse of `base.currency`; bid/ask
   * midpoint, else last. Cached for `fxMaxAgeMs`; concurrent callers share one request (the adapter paces
   * what it sends). Undefined when no rate could be had (the order is then denied NO_FX_RATE).
   */
  fxRate(currency: string, base: string): Promise<Decimal | undefined> {
    if (currency === base) return Promise.resolve(new Decimal(1));
    const key = `${currency}.${base}`;
    const now = this.clock.now();
    const hit = this.fx.get(key);
    if (hit && now - hit.at <= (this.opts.fxMaxAgeMs ?? 60_000)) return hit.value;
    const value = this.loadFx(currency, base);
    this.fx.set(key, { at: now, value });
    void value.then((v) => {
      if (v === undefined && this.fx.get(key)?.value === value) this.fx.delete(key);
    });
    return value;
  }

  private async loadFx(currency: string, base: string): Promise<Decimal | undefined> {
    const pair = (sym: string, ccy: string): Instrument => ({ symbol: sym, secType: 'CASH', exchange: 'IDEALPRO', currency: ccy });
    const direct = await this.broker.quote(pair(currency, base)).then(mid, () => undefined);
    if (direct) return direct;
    const inverse = await this.broker.quote(pair(base, currency)).then(mid, () => undefined);
    return inverse ? new Decimal(1).div(inverse) : undefined;
  }

  /** The broker's current quote (the adapter streams; see the module comment). */
  quote(instrument: Instrument): Promise<Quote> {
    return this.broker.quote(instrument);
  }

  private async loadSnapshots(): Promise<ReadonlyMap<string, AccountSnapshot>> {
    const [summaries, positions] = await Promise.all([this.broker.accountSummaries(), this.broker.positions()]);
    const out = new Map<string, AccountSnapshot>();
    for (const s of summaries) {
      const declaredType = this.declared.find((a) => a.id === s.account)?.type;
      out.set(s.account, toSnapshot(s, declaredType, positions.filter((p) => p.account === s.account)));
    }
    return out;
  }
}

const ZERO = new Decimal(0);

/** A usable FX price from a quote: the bid/ask midpoint, else the last trade. */
function mid(q: Quote): Decimal | undefined {
  const ok = (x: Decimal | undefined) => (x !== undefined && x.gt(0) ? x : undefined);
  const bid = ok(q.bid);
  const ask = ok(q.ask);
  if (bid && ask && bid.lte(ask)) return bid.plus(ask).div(2);
  return ok(q.last);
}

/** An executed order reserved as if still working with its full quantity (conservative for partial fills). */
function reservationOf(o: OwnOrder): WorkingOrder {
  return { ...workingOrderOf({ ...o, leg: o.leg ?? 'entry' }, o.quantity), ...(o.secType === 'OPT' ? optionFieldsOfPayload((o as { payload?: string }).payload) : {}) };
}

/** A broker account summary and its positions as the pure core's AccountSnapshot (also the MCP preview's). */
export function toSnapshot(
  s: BrokerAccountSummary,
  declaredType: AccountConfig['type'] | undefined,
  positions: AccountSnapshot['positions'],
): AccountSnapshot {
  return {
    id: s.account,
    ...(declaredType ? { declaredType } : {}),
    ...(s.accountType ? { brokerAccountType: s.accountType } : {}),
    baseCurrency: s.baseCurrency,
    netLiquidation: s.netLiquidation ?? ZERO,
    totalCash: s.totalCashValue ?? ZERO,
    settledCash: s.settledCash ?? ZERO, // unknown settled cash counts as none (IRA buys are denied, never over-spent)
    availableFunds: s.availableFunds ?? ZERO,
    buyingPower: s.buyingPower ?? ZERO,
    cashByCurrency: s.cashByCurrency,
    positions,
  };
}

/** The cache key of an instrument: conId when known, else its descriptive fields. */
export function instrumentKey(i: Instrument): string {
  if (i.conId) return `#${i.conId}`;
  return [i.symbol, i.secType, i.exchange, i.currency, i.lastTradeDateOrContractMonth ?? '', i.strike?.toString() ?? '', i.right ?? '', i.multiplier ?? ''].join('|');
}
