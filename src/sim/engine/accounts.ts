/**
 * Account state: cash and settled cash per currency, positions with average cost and realized P&L.
 * Invariants: unsettled cash = cash − settled; buys spend settled cash first; sale proceeds are
 * unsettled until `settle()` (admin POST /fault {action:"settle"}); commissions are paid from settled
 * cash. Futures move only commission and realized P&L through cash; CASH pairs convert currencies.
 */
import { Decimal } from '../../domain/types.js';
import type { FixtureAccount } from '../fixture/schema.js';
import type { InstrumentRegistry, SimInstrument } from './instruments.js';

/** One position; `avgCost` is per unit incl. commission, `avgPrice` without it (neither multiplied). */
export interface SimPosition {
  readonly instrument: SimInstrument;
  quantity: number;
  avgCost: Decimal;
  avgPrice: Decimal;
  realizedPnl: Decimal;
}

const ZERO = new Decimal(0);

/** One linked account. */
export class SimAccount {
  readonly cash = new Map<string, Decimal>();
  readonly settled = new Map<string, Decimal>();
  /** keyed by conId */
  readonly positions = new Map<number, SimPosition>();

  constructor(
    readonly id: string,
    readonly accountType: string,
    readonly baseCurrency: string,
  ) {}

  /** True for IB's `IRA` account type: cash-account rules (no shorts, settled cash only). */
  get isIra(): boolean {
    return this.accountType.toUpperCase().includes('IRA');
  }

  cashIn(cur: string): Decimal {
    return this.cash.get(cur) ?? ZERO;
  }

  settledIn(cur: string): Decimal {
    return this.settled.get(cur) ?? ZERO;
  }

  /** Every currency with a cash entry, base currency first. */
  currencies(): string[] {
    const set = new Set<string>([this.baseCurrency, ...this.cash.keys()]);
    return [...set];
  }

  /** Signed quantity held of an instrument (by conId; 0 when none). */
  positionQty(conId: number): number {
    return this.positions.get(conId)?.quantity ?? 0;
  }

  private add(cur: string, cash: Decimal, settled: Decimal): void {
    this.cash.set(cur, this.cashIn(cur).add(cash));
    this.settled.set(cur, this.settledIn(cur).add(settled));
  }

  /** Pays `cost`: settled cash first, then unsettled, and any rest becomes a (settled) debit. */
  private spend(cur: string, cost: Decimal): void {
    const settled = this.settledIn(cur);
    const unsettled = Decimal.max(this.cashIn(cur).sub(settled), ZERO);
    const fromSettled = Decimal.min(Decimal.max(settled, ZERO), cost);
    const rest = cost.sub(fromSettled);
    const debit = Decimal.max(rest.sub(unsettled), ZERO);
    this.cash.set(cur, this.cashIn(cur).sub(cost));
    this.settled.set(cur, settled.sub(fromSettled).sub(debit));
  }

  /**
   * Books one execution; returns the realized P&L of this fill (net of commission when it closes
   * a position, 0 otherwise). `qty` is positive, `side` says the direction.
   */
  applyFill(ins: SimInstrument, side: 'BUY' | 'SELL', qty: number, price: Decimal, commission: Decimal): Decimal {
    const cur = ins.currency;
    if (ins.secType === 'CASH') {
      const quoteAmount = price.mul(qty);
      if (side === 'BUY') {
        this.add(ins.symbol, new Decimal(qty), new Decimal(qty));
        this.spend(cur, quoteAmount.add(commission));
      } else {
        this.spend(ins.symbol, new Decimal(qty));
        this.add(cur, quoteAmount, quoteAmount);
        this.spend(cur, commission);
      }
      return ZERO;
    }
    const { realized, priceGross } = this.applyPosition(ins, side === 'BUY' ? qty : -qty, price, commission);
    const notional = price.mul(qty).mul(ins.multiplier);
    if (ins.secType === 'FUT') {
      this.spend(cur, commission);
      if (priceGross.gte(0)) this.add(cur, priceGross, priceGross);
      else this.spend(cur, priceGross.neg());
    } else if (side === 'BUY') {
      this.spend(cur, notional.add(commission));
    } else {
      this.add(cur, notional, ZERO);
      this.spend(cur, commission);
    }
    return realized;
  }

  /**
   * Updates the position. `realized` (as IB reports it) is against the commission-inclusive average cost
   * and net of the closing share of commission; `priceGross` is the pure price difference (futures cash).
   */
  private applyPosition(
    ins: SimInstrument,
    signedQty: number,
    price: Decimal,
    commission: Decimal,
  ): { realized: Decimal; priceGross: Decimal } {
    const pos = this.positions.get(ins.conId) ?? { instrument: ins, quantity: 0, avgCost: ZERO, avgPrice: ZERO, realizedPnl: ZERO };
    const absQ = Math.abs(signedQty);
    const perUnitComm = commission.div(new Decimal(absQ).mul(ins.multiplier));
    const dir = Math.sign(signedQty);
    let realized = ZERO;
    let priceGross = ZERO;
    let remaining = absQ;
    if (pos.quantity !== 0 && Math.sign(pos.quantity) !== dir) {
      const closeQty = Math.min(absQ, Math.abs(pos.quantity));
      const sign = Math.sign(pos.quantity);
      const gross = price.sub(pos.avgCost).mul(closeQty).mul(ins.multiplier).mul(sign);
      priceGross = price.sub(pos.avgPrice).mul(closeQty).mul(ins.multiplier).mul(sign);
      realized = gross.sub(commission.mul(closeQty).div(absQ));
      pos.quantity += dir * closeQty;
      remaining -= closeQty;
      if (pos.quantity === 0) {
        pos.avgCost = ZERO;
        pos.avgPrice = ZERO;
      }
    }
    if (remaining > 0) {
      const eff = price.add(perUnitComm.mul(dir));
      const held = Math.abs(pos.quantity);
      pos.avgCost = pos.avgCost.mul(held).add(eff.mul(remaining)).div(held + remaining);
      pos.avgPrice = pos.avgPrice.mul(held).add(price.mul(remaining)).div(held + remaining);
      pos.quantity += dir * remaining;
    }
    pos.realizedPnl = pos.realizedPnl.add(realized);
    this.positions.set(ins.conId, pos);
    return { realized, priceGross };
  }

  /** Settles all pending proceeds: settled cash becomes equal to cash in every currency. */
  settle(): void {
    for (const [cur, amount] of this.cash) this.settled.set(cur, amount);
  }
}

/** Builds the accounts of a fixture; positions name instruments by symbol or contract (checked by the fixture loader). */
export function createAccounts(fixtures: readonly FixtureAccount[], instruments: InstrumentRegistry): SimAccount[] {
  return fixtures.map((f) => {
    const acct = new SimAccount(f.id, f.accountType ?? 'INDIVIDUAL', f.baseCurrency ?? 'USD');
    for (const [cur, amount] of Object.entries(f.cash ?? {})) {
      acct.cash.set(cur, new Decimal(amount));
      acct.settled.set(cur, new Decimal(f.settledCash?.[cur] ?? amount));
    }
    if (!acct.cash.has(acct.baseCurrency)) {
      acct.cash.set(acct.baseCurrency, ZERO);
      acct.settled.set(acct.baseCurrency, ZERO);
    }
    for (const p of f.positions ?? []) {
      const ins = instruments.forPosition(p);
      if (!ins) throw new Error(`fixture position names unknown instrument ${p.symbol}`);
      const avg = new Decimal(p.avgCost);
      acct.positions.set(ins.conId, { instrument: ins, quantity: p.quantity, avgCost: avg, avgPrice: avg, realizedPnl: ZERO });
    }
    return acct;
  });
}
