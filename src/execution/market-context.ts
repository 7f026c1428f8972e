/**
 * SHELL: loads what the pure evaluation needs from the broker — the account snapshot, a quote, the
 * contract details — with small caches so one signal costs as few IB messages as possible:
 *  - contract details are cached for the life of the process (they do not change intraday);
 *  - quotes are reused for `quoteMaxAgeMs`;
 *  - account snapshots (summary + positions of every linked account, one request each) are reused
 *    until an order event or fill touches the account, or `snapshotMaxAgeMs` passes. Cash and shares
 *    held by our own working orders are reserved separately (see `working` in the evaluation), so a
 *    snapshot that predates an order never lets two orders spend the same cash.
 * Concurrent callers share one in-flight request.
 */
import { Decimal } from '../domain/types.js';
import type { AccountSnapshot, AccountConfig, ContractInfo, Instrument, Quote } from '../domain/types.js';
import type { Clock } from '../domain/clock.js';
import type { BrokerAccountSummary, BrokerPort } from './broker-port.js';

export interface MarketContextOptions {
  readonly quoteMaxAgeMs: number;
  readonly snapshotMaxAgeMs: number;
}

interface Timed<T> {
  readonly at: number;
  readonly value: Promise<T>;
}

/** Caching reader over a BrokerPort; see the module comment. */
export class MarketContext {
  private readonly contracts = new Map<string, Promise<ContractInfo>>();
  private readonly quotes = new Map<string, Timed<Quote>>();
  private snapshots: Timed<ReadonlyMap<string, AccountSnapshot>> | undefined;
  private linked: Timed<readonly string[]> | undefined;
  private generation = 0;

  constructor(
    private readonly broker: BrokerPort,
    private readonly declared: readonly AccountConfig[],
    private readonly clock: Clock,
    private readonly opts: MarketContextOptions,
  ) {}

  /** Forget cached account state (after an order event, a fill or a reconnect). */
  invalidateAccounts(): void {
    this.generation += 1;
    this.snapshots = undefined;
  }

  /** Forget everything, including the linked-account list (after a reconnect). */
  invalidateAll(): void {
    this.invalidateAccounts();
    this.linked = undefined;
    this.quotes.clear();
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

  /** The snapshot of one account, or undefined when the broker does not report it. */
  async account(id: string): Promise<AccountSnapshot | undefined> {
    const now = this.clock.now();
    if (!this.snapshots || now - this.snapshots.at > this.opts.snapshotMaxAgeMs) {
      const gen = this.generation;
      const value = this.loadSnapshots();
      this.snapshots = { at: now, value };
      value.catch(() => {
        if (this.generation === gen) this.snapshots = undefined;
      });
    }
    return (await this.snapshots.value).get(id);
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

  /** A quote no older than `quoteMaxAgeMs`. */
  quote(instrument: Instrument): Promise<Quote> {
    const key = instrumentKey(instrument);
    const now = this.clock.now();
    const hit = this.quotes.get(key);
    if (hit && now - hit.at <= this.opts.quoteMaxAgeMs) return hit.value;
    const value = this.broker.quote(instrument);
    this.quotes.set(key, { at: now, value });
    value.catch(() => this.quotes.delete(key));
    return value;
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

function toSnapshot(
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
