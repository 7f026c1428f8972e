/**
 * `ibkr-exec chain SYMBOL [--expiry E] [--right C|P] [--strikes N]` (CONTRACT §6): an option chain with
 * greeks — the N strikes nearest the money of one expiration (default: the nearest), calls and puts or
 * one right. Plus the option helpers of `quote` and `positions`: parsing an option spec
 * ("AAPL 20271217 200 C"), greeks columns, and the household's delta exposure per underlying.
 */
import type { Command } from 'commander';
import { Decimal } from '../../domain/types.js';
import type { Instrument, OptionChainQuery, OptionChainSnapshot, OptionGreeks, PositionSnapshot } from '../../domain/types.js';
import { CliError, formatTable } from '../output.js';
import type { QueryContext } from './queries.js';

const s = (d: Decimal | undefined, dp?: number): string => (d === undefined ? '' : dp === undefined ? d.toString() : d.toDecimalPlaces(dp).toString());

/** The greeks columns of a table row: iv %, delta, gamma, vega, theta. */
export const GREEK_HEADERS = ['iv %', 'delta', 'gamma', 'vega', 'theta'] as const;

/** One row's greeks cells. */
export function greekCells(g: OptionGreeks | undefined): string[] {
  return [g?.impliedVol ? s(g.impliedVol.mul(100), 2) : '', s(g?.delta, 4), s(g?.gamma, 4), s(g?.vega, 4), s(g?.theta, 4)];
}

/** Parses `--expiry`, `--right`, `--strikes`; bad values are usage errors naming the option. */
export function chainQueryFromArgs(o: { expiry?: string; right?: string; strikes?: string }): OptionChainQuery {
  if (o.expiry !== undefined && !/^\d{8}$/.test(o.expiry)) throw new CliError(`--expiry: expected yyyymmdd, received ${o.expiry}`, 2);
  const right = o.right?.toUpperCase();
  if (right !== undefined && right !== 'C' && right !== 'P') throw new CliError(`--right: expected C or P, received ${o.right}`, 2);
  const strikes = o.strikes === undefined ? 10 : Number(o.strikes);
  if (!Number.isInteger(strikes) || strikes < 1 || strikes > 100) throw new CliError(`--strikes: expected a whole number 1..100, received ${o.strikes}`, 2);
  return { ...(o.expiry ? { expiry: o.expiry } : {}), ...(right ? { right } : {}), strikes };
}

/** "AAPL 20271217 200 C" → an OPT instrument; undefined for anything else. */
export function parseOptionSpec(spec: string, currency = 'USD'): Instrument | undefined {
  const m = /^([A-Z][A-Z0-9.]*)\s+(\d{8})\s+(\d+(?:\.\d+)?)\s*([CP])$/i.exec(spec.trim());
  if (!m) return undefined;
  return {
    symbol: m[1]!.toUpperCase(), secType: 'OPT', exchange: 'SMART', currency, lastTradeDateOrContractMonth: m[2]!,
    strike: new Decimal(m[3]!), right: m[4]!.toUpperCase() as 'C' | 'P', multiplier: '100',
  };
}

/** The name of an option the way people write it: "AAPL 20271217 200 C". */
export function optionLabel(i: { symbol: string; lastTradeDateOrContractMonth?: string; strike?: Decimal; right?: string }): string {
  return `${i.symbol} ${i.lastTradeDateOrContractMonth ?? ''} ${i.strike?.toString() ?? ''} ${i.right ?? ''}`.replace(/\s+/g, ' ').trim();
}

/** The option instrument of a position (for its greeks). */
const optionOf = (p: PositionSnapshot): Instrument => ({
  symbol: p.symbol, secType: 'OPT', exchange: 'SMART', currency: p.currency, ...(p.conId !== undefined ? { conId: p.conId } : {}),
  ...(p.lastTradeDateOrContractMonth ? { lastTradeDateOrContractMonth: p.lastTradeDateOrContractMonth } : {}),
  ...(p.strike ? { strike: p.strike } : {}), ...(p.right ? { right: p.right } : {}), ...(p.multiplier ? { multiplier: p.multiplier } : {}),
});

/** Greeks of every option position, by conId (one snapshot per contract; undefined when none came). */
export async function positionGreeks(ctx: QueryContext, rows: readonly PositionSnapshot[]): Promise<Map<number, OptionGreeks | undefined>> {
  const options = [...new Map(rows.filter((p) => p.secType === 'OPT' && p.conId !== undefined).map((p) => [p.conId!, p])).values()];
  const get = ctx.broker.optionGreeks?.bind(ctx.broker);
  const greeks = await Promise.all(options.map((p) => (get ? get(optionOf(p)).catch(() => undefined) : Promise.resolve(undefined))));
  return new Map(options.map((p, i) => [p.conId!, greeks[i]]));
}

/** One account's (or the household's) delta exposure on one underlying, in shares. */
export interface DeltaExposure {
  /** account id, or "TOTAL" for the household */
  readonly account: string;
  readonly underlying: string;
  readonly shares: number;
  /** Σ delta × multiplier × contracts over the option positions */
  readonly optionDelta: Decimal;
  readonly total: Decimal;
  /** option positions whose delta was unknown (not counted) */
  readonly missingGreeks: number;
}

/**
 * Pure: delta exposure per account and underlying (shares + delta × multiplier × contracts), then one
 * TOTAL row per underlying. `greeks` is keyed by the option's conId.
 */
export function deltaExposure(positions: readonly PositionSnapshot[], greeks: ReadonlyMap<number, OptionGreeks | undefined>): DeltaExposure[] {
  const rows = new Map<string, { account: string; underlying: string; shares: number; optionDelta: Decimal; missingGreeks: number }>();
  const row = (account: string, underlying: string) => {
    const key = `${account}|${underlying}`;
    const r = rows.get(key) ?? { account, underlying, shares: 0, optionDelta: new Decimal(0), missingGreeks: 0 };
    rows.set(key, r);
    return r;
  };
  for (const p of positions) {
    if (p.secType === 'STK') row(p.account, p.symbol).shares += p.quantity;
    if (p.secType !== 'OPT') continue;
    const r = row(p.account, p.symbol);
    const delta = p.conId !== undefined ? greeks.get(p.conId)?.delta : undefined;
    if (delta === undefined) r.missingGreeks += 1;
    else r.optionDelta = r.optionDelta.add(delta.mul(p.multiplier ?? '100').mul(p.quantity));
  }
  const perAccount = [...rows.values()].filter((r) => positions.some((p) => p.secType === 'OPT' && p.symbol === r.underlying));
  const out: DeltaExposure[] = perAccount
    .sort((a, b) => a.underlying.localeCompare(b.underlying) || a.account.localeCompare(b.account))
    .map((r) => ({ ...r, total: r.optionDelta.add(r.shares) }));
  for (const und of [...new Set(out.map((r) => r.underlying))]) {
    const mine = out.filter((r) => r.underlying === und);
    const shares = mine.reduce((a, r) => a + r.shares, 0);
    const optionDelta = mine.reduce((a, r) => a.add(r.optionDelta), new Decimal(0));
    out.push({ account: 'TOTAL', underlying: und, shares, optionDelta, total: optionDelta.add(shares), missingGreeks: mine.reduce((a, r) => a + r.missingGreeks, 0) });
  }
  return out;
}

/** Renders the delta exposure table. */
export function formatExposure(rows: readonly DeltaExposure[]): string {
  return formatTable(['account', 'underlying', 'shares', 'option delta (shares)', 'delta exposure (shares)', 'no greeks'],
    rows.map((r) => [r.account, r.underlying, r.shares, r.optionDelta.toDecimalPlaces(2), r.total.toDecimalPlaces(2), r.missingGreeks || '']));
}

function chainTable(snap: OptionChainSnapshot): string {
  const head = `${snap.underlying.symbol} ${s(snap.underlyingPrice)} (conId ${snap.underlyingConId}, class ${snap.tradingClass}, ×${snap.multiplier}); `
    + `expirations: ${snap.expirations.slice(0, 12).join(' ')}${snap.expirations.length > 12 ? ' …' : ''}`;
  const table = formatTable(['expiry', 'strike', 'right', 'bid', 'ask', 'last', ...GREEK_HEADERS, 'und', 'conId'],
    snap.rows.map((r) => [r.instrument.lastTradeDateOrContractMonth, r.instrument.strike?.toString(), r.instrument.right, s(r.bid), s(r.ask), s(r.last),
      ...greekCells(r.greeks), s(r.greeks?.undPrice), r.instrument.conId]));
  return `${head}\n${table}`;
}

/** `chain SYMBOL`: part of the chain with quotes and greeks. */
export async function chainCommand(ctx: QueryContext, underlying: Instrument, query: OptionChainQuery): Promise<void> {
  if (!ctx.broker.optionChain) throw new CliError('this broker connection cannot list option chains');
  const snap = await ctx.broker.optionChain(underlying, query);
  if (snap.rows.length === 0) throw new CliError(`no option contracts of ${underlying.symbol} match${query.expiry ? ` expiry ${query.expiry}` : ''}${query.right ? ` right ${query.right}` : ''}`);
  ctx.out(ctx.json ? JSON.stringify(snap, null, 2) + '\n' : chainTable(snap) + '\n');
}

/** Registers `chain` with the query commands' runner (connection, client id, errors). */
export function registerChainCommand(
  program: Command,
  common: (c: Command) => Command,
  run: (cmd: Command, o: object, fn: (ctx: QueryContext) => Promise<void>) => Promise<void>,
  underlyingOf: (symbol: string, o: { currency?: string }) => Instrument,
): void {
  common(program.command('chain').argument('<symbol>').description('an option chain with greeks (the strikes nearest the money)')
    .option('--expiry <yyyymmdd>', 'expiration (default: the nearest)').option('--right <C|P>', 'calls or puts only')
    .option('--strikes <n>', 'how many strikes around the money', '10').option('--currency <c>', 'currency of the underlying', 'USD'))
    .action((symbol: string, o: { expiry?: string; right?: string; strikes?: string; currency?: string }, cmd: Command) => {
      const query = chainQueryFromArgs(o);
      return run(cmd, o, (ctx) => chainCommand(ctx, underlyingOf(symbol, o), query));
    });
}
