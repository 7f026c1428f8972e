/**
 * SHELL: what the rules need from the broker beyond the snapshot, quote and contract — asked only when the
 * account gates pass (read-only or HALTED: nothing at all is sent to the broker for an order, not even a
 * what-if): the FX rate to the base currency, futures initial margins (this contract, and in an IRA every
 * future held or working, from a what-if probe of BUY 1 cached per contract), and the notional placed today.
 */
import { BrokerError, type BrokerPort } from './broker-port.js';
import { passesGates, type EvaluationContext } from './evaluate.js';
import type { MarketContext } from './market-context.js';
import { orderRefFor } from '../domain/order-ref.js';
import { isIraType, type Decimal, type Instrument, type OrderLeg, type Reason, type Signal, type WorkingOrder } from '../domain/types.js';
import { futuresKey } from '../sizing/futures-book.js';
import { isBrokerIra } from '../validation/rule.js';
import { utcDay, type DailyNotional } from '../infra/daily-notional.js';

export interface BrokerInputsDeps {
  readonly broker: BrokerPort;
  readonly market: MarketContext;
  readonly dailyNotional?: DailyNotional;
}

/** Loads the broker-side inputs of one evaluation; see the module comment. */
export class BrokerInputs {
  private readonly futuresMargin = new Map<string, Promise<Decimal | undefined>>();

  constructor(private readonly d: BrokerInputsDeps) {}

  /**
   * What the rules need beyond the snapshot, asked only when the account gates pass (read-only or HALTED:
   * nothing at all is sent to the broker for an order, not even a what-if): the FX rate to the base
   * currency, futures initial margins (this contract, and in an IRA every future held or working), and
   * the notional placed today.
   */
  async load(signal: Signal, ctx: EvaluationContext): Promise<Partial<EvaluationContext>> {
    const a = ctx.account;
    if (!a || !passesGates(signal, ctx)) return { brokerAsked: false };
    const i = signal.instrument;
    const others = [...new Set(ctx.working.filter((w) => w.side === 'BUY' && w.currency !== a.baseCurrency && w.currency !== i.currency).map((w) => w.currency))];
    const [fxToBase, futures, placedToday, fxRates] = await Promise.all([
      i.currency === a.baseCurrency ? undefined : this.d.market.fxRate(i.currency, a.baseCurrency),
      this.futuresInputs(signal, ctx),
      this.d.dailyNotional && ctx.limits.maxDailyNotional?.gt(0) ? this.d.dailyNotional.total(ctx.accountId, utcDay(ctx.now)) : undefined,
      this.ratesFor(others, a.baseCurrency),
    ]);
    return { ...(fxToBase ? { fxToBase } : {}), ...futures, ...(placedToday ? { placedToday } : {}), ...(fxRates.size > 0 ? { fxRates } : {}) };
  }

  /** FX rates to `base` for the currencies of working buys (for buying power); missing ones are left out. */
  private async ratesFor(currencies: readonly string[], base: string): Promise<ReadonlyMap<string, Decimal>> {
    const out = new Map<string, Decimal>();
    await Promise.all(currencies.map(async (c) => {
      const r = await this.d.market.fxRate(c, base);
      if (r) out.set(c, r);
    }));
    return out;
  }

  /**
   * A futures order: the margin of its contract. In an IRA, also the margins of every future held or
   * working — for any order, since IRA cash backs that margin (a stock buy may not spend it).
   */
  private async futuresInputs(signal: Signal, ctx: EvaluationContext): Promise<Partial<EvaluationContext>> {
    const i = signal.instrument;
    const fut = i.secType === 'FUT';
    const conId = ctx.contract?.conId ?? i.conId;
    const mine = futuresKey(conId, i.symbol);
    const futuresInitialMargin = fut ? await this.initialMargin(ctx.accountId, conId !== undefined ? { ...i, conId } : i) : undefined;
    const ira = (ctx.declaredType !== undefined && isIraType(ctx.declaredType)) || isBrokerIra(ctx.account?.brokerAccountType);
    if (!ira || !ctx.account) return futuresInitialMargin ? { futuresInitialMargin } : {};
    const others = new Map<string, Instrument>();
    for (const pos of ctx.account.positions) {
      if (pos.secType === 'FUT' && pos.quantity !== 0) others.set(futuresKey(pos.conId, pos.symbol), { symbol: pos.symbol, secType: 'FUT', exchange: '', currency: pos.currency, ...(pos.conId !== undefined ? { conId: pos.conId } : {}) });
    }
    for (const w of ctx.working as readonly WorkingOrder[]) {
      if (w.secType === 'FUT' && w.conId !== undefined) others.set(futuresKey(w.conId, w.symbol), { symbol: w.symbol, secType: 'FUT', exchange: '', currency: w.currency, conId: w.conId });
    }
    if (fut) others.delete(mine);
    if (others.size === 0) return futuresInitialMargin ? { futuresInitialMargin } : {};
    const margins = new Map<string, Decimal>();
    await Promise.all([...others].map(async ([key, inst]) => {
      const info = await this.d.market.contract(inst).catch(() => undefined);
      const m = await this.initialMargin(ctx.accountId, info ? { ...inst, exchange: info.exchange } : inst);
      if (m) margins.set(key, m);
    }));
    return { ...(futuresInitialMargin ? { futuresInitialMargin } : {}), futuresMargins: margins };
  }

  /** Initial margin per contract (account base currency) from a what-if probe of BUY 1, cached per contract. */
  private initialMargin(account: string, i: Instrument): Promise<Decimal | undefined> {
    const key = i.conId !== undefined ? `#${i.conId}` : `${i.symbol}|${i.exchange}|${i.lastTradeDateOrContractMonth ?? ''}`;
    let p = this.futuresMargin.get(key);
    if (!p) {
      const probe: OrderLeg = {
        leg: 'entry',
        orderRef: orderRefFor(`whatif:${key}`, account, 'entry'),
        signalId: `whatif:${key}`,
        account,
        instrument: i,
        side: 'BUY',
        quantity: 1,
        type: 'MKT',
        tif: 'DAY',
        outsideRth: false,
      };
      p = this.d.broker.whatIf(probe).then((r) => {
        const m = r.initMarginChange ?? r.initMarginAfter;
        return m && !m.isZero() ? m.abs() : undefined;
      });
      this.futuresMargin.set(key, p);
      p.catch(() => this.futuresMargin.delete(key));
    }
    return p.catch(() => undefined);
  }
}

/** A contract the broker cannot define (200) becomes a clear denial; anything else is retried. */
export function contractProblem(i: Instrument, e: unknown): { contractError: Reason } {
  if (e instanceof BrokerError && e.code === 200) {
    const what = [i.symbol, i.secType, i.exchange, i.currency, i.lastTradeDateOrContractMonth].filter(Boolean).join(' ');
    return { contractError: { code: 'BROKER_REJECTED', brokerCode: 200, message: `the broker has no security definition for ${what} (IB 200: ${e.message}); nothing was sent` } };
  }
  throw e;
}
