/**
 * Read-only IB queries (CONTRACT §6): `accounts`, `positions`, `summary`, `orders`, `fills`,
 * `quote SYMBOL`, `history SYMBOL [--bar 1d] [--duration 1M]`, `chain SYMBOL` (chain.ts). Human tables by
 * default, `--json` for machine JSON on stdout, `--account ID` to filter. Options: `quote "AAPL 20271217 200 C"`
 * (or `--expiry/--strike/--right`) shows the greeks; `positions` shows option greeks and the delta exposure
 * per underlying (per account and for the household; `--json --exposure` prints that table as JSON).
 *
 * Connection: host and port from the config (env `IB_HOST` / `IB_PORT` override it, see src/config.ts).
 * Client id: `--client-id N`, else `IB_CLIENT_ID`/config `ib.clientId` + 1 — a read-only CLI must never
 * take the daemon's id (TWS would refuse one of them with 326, and orders are bound to the id that placed
 * them). One attempt, no reconnect loop; failures are one sentence on stderr, exit 1.
 *
 * Accounts linked at IB but not declared in the config are shown and marked `undeclared` (they are never
 * traded); declared accounts IB does not link are marked `not linked`.
 */
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { Decimal } from '../../domain/types.js';
import type { AccountConfig, Instrument, OptionGreeks, PositionSnapshot, SecType } from '../../domain/types.js';
import { BrokerError } from '../../execution/broker-port.js';
import type { BrokerPort, HistoryRequest } from '../../execution/broker-port.js';
import { cliConfig, connectCliBroker, globalOptions } from '../context.js';
import { connectCpCliBroker } from '../../cp/cli-broker.js';
import { CliError, formatTable } from '../output.js';
import { GREEK_HEADERS, deltaExposure, formatExposure, greekCells, parseOptionSpec, positionGreeks, registerChainCommand } from './chain.js';

/** What the query commands need from a broker (IbBroker in production, anything BrokerPort-like in tests). */
export type QueryBroker = Pick<
  BrokerPort,
  'managedAccounts' | 'accountSummaries' | 'positions' | 'openOrders' | 'completedOrders' | 'executions' | 'quote' | 'historicalBars'
  | 'optionChain' | 'optionGreeks'
>;

/** Per-invocation context of a query command. */
export interface QueryContext {
  readonly broker: QueryBroker;
  readonly accounts: readonly AccountConfig[];
  readonly json: boolean;
  /** --account filter */
  readonly account?: string;
  /** where output goes (stdout in the CLI) */
  readonly out: (text: string) => void;
}

/** Injectable pieces of the query commands (tests pass their config and an output sink). */
export interface QueryCommandDeps {
  /** the validated config for a command (default: --config / IBKR_EXEC_CONFIG via `cliConfig`) */
  readonly loadConfig?: (cmd: Command) => Config;
  /** broker factory (default: a one-shot IbBroker) */
  readonly connect?: (c: { host: string; port: number; clientId: number; timeoutMs: number }) => Promise<QueryBroker & { disconnect(): Promise<void> }>;
  /** where command output goes (default process.stdout) */
  readonly out?: (text: string) => void;
}

const keep = (ctx: QueryContext, account: string): boolean => ctx.account === undefined || ctx.account === account;
const emit = (ctx: QueryContext, json: unknown, table: () => string): void =>
  ctx.out(ctx.json ? JSON.stringify(json, null, 2) + '\n' : table() + '\n');
const s = (d: Decimal | undefined): string => (d === undefined ? '' : d.toString());

/** `accounts`: linked accounts with declared type/label; undeclared ones marked. */
export async function accountsCommand(ctx: QueryContext): Promise<void> {
  const linked = await ctx.broker.managedAccounts();
  const summaries = await ctx.broker.accountSummaries();
  const ids = [...new Set([...linked, ...ctx.accounts.map((a) => a.id)])].filter((id) => keep(ctx, id));
  const rows = ids.map((id) => {
    const decl = ctx.accounts.find((a) => a.id === id);
    const sum = summaries.find((x) => x.account === id);
    const status = !linked.includes(id) ? 'not linked' : decl ? 'declared' : 'undeclared';
    return { account: id, declaredType: decl?.type ?? null, label: decl?.label ?? null, brokerAccountType: sum?.accountType ?? null,
      baseCurrency: sum?.baseCurrency ?? null, status };
  });
  emit(ctx, rows, () => formatTable(['account', 'declared type', 'label', 'IB type', 'base', 'status'],
    rows.map((r) => [r.account, r.declaredType, r.label, r.brokerAccountType, r.baseCurrency, r.status])));
}

/** `positions`: every position of every linked account; options with greeks, then the delta exposure per underlying. */
export async function positionsCommand(ctx: QueryContext, opts: { exposure?: boolean } = {}): Promise<void> {
  const rows = (await ctx.broker.positions()).filter((p) => keep(ctx, p.account))
    .slice().sort((a, b) => a.account.localeCompare(b.account) || a.symbol.localeCompare(b.symbol) || a.secType.localeCompare(b.secType)
      || (a.lastTradeDateOrContractMonth ?? '').localeCompare(b.lastTradeDateOrContractMonth ?? '') || (a.strike?.cmp(b.strike ?? 0) ?? 0));
  const greeks = await positionGreeks(ctx, rows);
  const exposure = deltaExposure(rows, greeks);
  if (ctx.json && opts.exposure) return emit(ctx, exposure, () => '');
  const g = (p: PositionSnapshot): OptionGreeks | undefined => (p.conId !== undefined ? greeks.get(p.conId) : undefined);
  emit(ctx, rows.map((p) => ({ ...p, declared: ctx.accounts.some((a) => a.id === p.account), ...(p.secType === 'OPT' ? { greeks: g(p) ?? null } : {}) })), () => {
    const hasOptions = rows.some((p) => p.secType === 'OPT');
    const table = formatTable(['account', 'symbol', 'secType', 'currency', 'quantity', 'avgCost', ...(hasOptions ? ['expiry', 'strike', 'right', ...GREEK_HEADERS] : [])],
      rows.map((p) => [p.account, p.symbol, p.secType, p.currency, p.quantity, p.avgCost.toDecimalPlaces(4),
        ...(hasOptions ? [p.lastTradeDateOrContractMonth ?? '', p.strike?.toString() ?? '', p.right ?? '', ...(p.secType === 'OPT' ? greekCells(g(p)) : ['', '', '', '', ''])] : [])]));
    return exposure.length > 0 ? `${table}

delta exposure per underlying (shares + delta × multiplier × contracts)
${formatExposure(exposure)}` : table;
  });
}

/** `summary`: net liquidation, cash and buying power per account. */
export async function summaryCommand(ctx: QueryContext): Promise<void> {
  const rows = (await ctx.broker.accountSummaries()).filter((x) => keep(ctx, x.account));
  emit(ctx, rows, () =>
    formatTable(['account', 'IB type', 'base', 'net liquidation', 'total cash', 'settled cash', 'available funds', 'buying power'],
      rows.map((r) => [r.account, r.accountType, r.baseCurrency, s(r.netLiquidation), s(r.totalCashValue), s(r.settledCash),
        s(r.availableFunds), s(r.buyingPower)])));
}

/** `orders`: open orders of all clients (+ today's completed ones with `all`). */
export async function ordersCommand(ctx: QueryContext, opts: { all?: boolean } = {}): Promise<void> {
  const open = await ctx.broker.openOrders();
  const done = opts.all ? await ctx.broker.completedOrders() : [];
  const rows = [...open, ...done].filter((o) => keep(ctx, o.account));
  emit(ctx, rows, () =>
    formatTable(['orderId', 'account', 'symbol', 'side', 'qty', 'type', 'limit', 'stop', 'status', 'filled', 'remaining', 'orderRef'],
      rows.map((o) => [o.orderId, o.account, o.instrument.symbol, o.side, o.quantity, o.orderType, s(o.limitPrice), s(o.stopPrice),
        o.status, o.filled, o.remaining, o.orderRef])));
}

/** `fills`: today's executions (IB Gateway keeps only the current day). */
export async function fillsCommand(ctx: QueryContext): Promise<void> {
  const rows = (await ctx.broker.executions(ctx.account ? { account: ctx.account } : {})).filter((f) => keep(ctx, f.account));
  emit(ctx, rows, () =>
    formatTable(['time', 'account', 'symbol', 'side', 'shares', 'price', 'commission', 'orderId', 'orderRef', 'execId'],
      rows.map((f) => [f.time, f.account, f.instrument.symbol, f.side, f.shares, f.price, f.commission ? `${f.commission} ${f.commissionCurrency ?? ''}`.trim() : '',
        f.orderId, f.orderRef, f.execId])));
}

/** `quote SYMBOL` (an option also shows its greeks). */
export async function quoteCommand(ctx: QueryContext, instrument: Instrument, label = instrument.symbol): Promise<void> {
  const q = await ctx.broker.quote(instrument);
  const greeks = q.greeks ?? (instrument.secType === 'OPT' && ctx.broker.optionGreeks ? await ctx.broker.optionGreeks(instrument) : undefined);
  const opt = instrument.secType === 'OPT';
  emit(ctx, { symbol: label, ...q, ...(opt ? { greeks: greeks ?? null } : {}) }, () =>
    formatTable(['symbol', 'bid', 'ask', 'last', 'close', 'delayed', 'stale', 'time', ...(opt ? [...GREEK_HEADERS, 'und'] : [])],
      [[label, s(q.bid), s(q.ask), s(q.last), s(q.close), q.delayed, q.stale, new Date(q.ts).toISOString(),
        ...(opt ? [...greekCells(greeks), s(greeks?.undPrice)] : [])]]));
}

/** `history SYMBOL`. */
export async function historyCommand(ctx: QueryContext, instrument: Instrument, req: HistoryRequest): Promise<void> {
  const bars = await ctx.broker.historicalBars(instrument, req);
  emit(ctx, bars, () => formatTable(['time', 'open', 'high', 'low', 'close', 'volume'],
    bars.map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume])));
}

const BAR_UNITS: Readonly<Record<string, [string, string]>> = {
  s: ['sec', 'secs'], m: ['min', 'mins'], h: ['hour', 'hours'], d: ['day', 'days'], w: ['week', 'weeks'], mo: ['month', 'months'],
};

/** "1d" → "1 day", "5m" → "5 mins", "1h" → "1 hour", "1w" → "1 week"; IB's own spelling passes through. */
export function parseBarSize(v: string): string {
  const m = /^(\d+)\s*(s|m|h|d|w|mo)$/i.exec(v.trim());
  if (!m) {
    if (/^\d+ (secs?|mins?|hours?|day|week|month)$/.test(v.trim())) return v.trim();
    throw new CliError(`--bar: expected e.g. 1d, 1h, 5m, 30s, 1w, 1mo, received ${v}`, 2);
  }
  const n = Number(m[1]);
  const unit = BAR_UNITS[m[2]!.toLowerCase()]!;
  return `${n} ${n === 1 ? unit[0] : unit[1]}`;
}

/** "1M" → "1 M", "5D" → "5 D", "1Y", "2W", "3600S"; IB's own spelling passes through. */
export function parseDuration(v: string): string {
  const m = /^(\d+)\s*([SDWMY])$/i.exec(v.trim());
  if (!m) throw new CliError(`--duration: expected e.g. 1M, 5D, 2W, 1Y, 3600S, received ${v}`, 2);
  return `${Number(m[1])} ${m[2]!.toUpperCase()}`;
}

interface InstrumentOpts {
  secType?: string;
  exchange?: string;
  currency?: string;
  primaryExchange?: string;
  expiry?: string;
  strike?: string;
  right?: string;
  multiplier?: string;
}

/** An option from `--expiry/--strike/--right` (all three needed once one is given). */
function optionFromOpts(symbol: string, o: InstrumentOpts): Instrument | undefined {
  if (o.expiry === undefined && o.strike === undefined && o.right === undefined) return undefined;
  if (o.expiry === undefined || !/^\d{8}$/.test(o.expiry)) throw new CliError(`--expiry: expected yyyymmdd for an option, received ${o.expiry ?? 'nothing'}`, 2);
  const strike = Number(o.strike);
  if (!Number.isFinite(strike) || strike <= 0) throw new CliError(`--strike: expected a positive price for an option, received ${o.strike ?? 'nothing'}`, 2);
  const right = o.right?.toUpperCase();
  if (right !== 'C' && right !== 'P') throw new CliError(`--right: expected C or P for an option, received ${o.right ?? 'nothing'}`, 2);
  return { symbol: symbol.toUpperCase(), secType: 'OPT', exchange: o.exchange ?? 'SMART', currency: o.currency ?? 'USD',
    lastTradeDateOrContractMonth: o.expiry, strike: new Decimal(o.strike!), right, multiplier: o.multiplier ?? '100' };
}

/**
 * Build the instrument of `quote` / `history` from SYMBOL and options (EUR.USD is CASH on IDEALPRO;
 * "AAPL 20271217 200 C" or `--expiry/--strike/--right` is an option).
 */
export function instrumentFromArgs(symbol: string, o: InstrumentOpts): Instrument {
  const option = parseOptionSpec(symbol, o.currency) ?? optionFromOpts(symbol, o);
  if (option) return option;
  const fx = /^[A-Z]{3}\.[A-Z]{3}$/.exec(symbol);
  const secType = (o.secType ?? (fx ? 'CASH' : 'STK')).toUpperCase() as SecType;
  if (!['STK', 'FUT', 'OPT', 'CASH'].includes(secType)) throw new CliError(`--sec-type: expected STK, FUT, OPT or CASH, received ${o.secType}`, 2);
  const [base, quote] = fx ? symbol.split('.') : [symbol, undefined];
  return {
    symbol: base!,
    secType,
    exchange: o.exchange ?? (secType === 'CASH' ? 'IDEALPRO' : 'SMART'),
    currency: o.currency ?? quote ?? 'USD',
    ...(o.primaryExchange ? { primaryExchange: o.primaryExchange } : {}),
  };
}

/** One clear sentence for a connection failure. */
export function connectionErrorMessage(host: string, port: number, clientId: number, e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const where = `TWS / IB Gateway at ${host}:${port}`;
  const hint = 'is it running, is the API enabled, is the port right (TWS 7497 paper / 7496 live, Gateway 4002/4001)?';
  if (/ECONNREFUSED/.test(msg)) return `cannot reach ${where}: connection refused — ${hint}`;
  if (/326|already in use/.test(msg)) return `${where} refused client id ${clientId}: it is already in use — pass --client-id with a free id`;
  if (/timed out|ETIMEDOUT|handshake/.test(msg)) return `no answer from ${where} — ${hint}`;
  if (/EHOSTUNREACH|ENOTFOUND|EAI_AGAIN/.test(msg)) return `cannot reach ${where}: ${msg.replace(/^.*?: /, '')} — check IB_HOST / ib.host`;
  return `cannot use ${where}: ${msg.replace(/^cannot connect to IB at [^:]+:\d+: /, '')}`;
}

const defaultConnect: NonNullable<QueryCommandDeps['connect']> = connectCliBroker;

interface CommonOpts {
  account?: string;
  clientId?: string;
  timeout?: string;
}

/** Register the query commands on the program. */
export function registerQueryCommands(program: Command, deps: QueryCommandDeps = {}): void {
  const load = deps.loadConfig ?? cliConfig;
  const connect = deps.connect ?? defaultConnect;
  const run = async (cmd: Command, o: CommonOpts, fn: (ctx: QueryContext) => Promise<void>): Promise<void> => {
    const config = load(cmd);
    const clientId = o.clientId !== undefined ? Number(o.clientId) : config.ib.clientId + 1;
    if (!Number.isInteger(clientId) || clientId < 0) throw new CliError(`--client-id: expected a non-negative integer, received ${o.clientId}`, 2);
    const timeoutMs = o.timeout !== undefined ? Number(o.timeout) * 1000 : 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout: expected a number of seconds above 0, received ${o.timeout}`, 2);
    const { host, port } = config.ib;
    let broker: Awaited<ReturnType<typeof connect>>;
    try {
      // `broker: "client-portal"`: the same commands over the Client Portal Web API (tests inject `connect`)
      broker = config.broker === 'client-portal' && !deps.connect ? await connectCpCliBroker(config.clientPortal, timeoutMs) : await connect({ host, port, clientId, timeoutMs });
    } catch (e) {
      throw new CliError(connectionErrorMessage(host, port, clientId, e));
    }
    try {
      await fn({ broker, accounts: config.accounts, json: Boolean(globalOptions(cmd).json), ...(o.account ? { account: o.account } : {}),
        out: deps.out ?? ((t) => void process.stdout.write(t)) });
    } catch (e) {
      if (e instanceof BrokerError) throw new CliError(e.message);
      throw e;
    } finally {
      await broker.disconnect();
    }
  };
  const common = (c: Command): Command =>
    c.option('--account <id>', 'only this account')
      .option('--client-id <n>', 'IB client id for this read-only session (default: config ib.clientId + 1)')
      .option('--timeout <seconds>', 'connect / answer timeout', '10');
  const instrumentOpts = (c: Command): Command =>
    c.option('--sec-type <t>', 'STK, FUT, OPT or CASH').option('--exchange <x>').option('--currency <c>').option('--primary-exchange <x>')
      .option('--expiry <yyyymmdd>', 'option expiry').option('--strike <k>', 'option strike').option('--right <C|P>', 'option right')
      .option('--multiplier <m>', 'option multiplier (100)');

  common(program.command('accounts').description('linked accounts (undeclared ones marked)'))
    .action((o: CommonOpts, cmd: Command) => run(cmd, o, accountsCommand));
  common(program.command('positions').description('positions of every linked account (options with greeks, delta exposure)')
    .option('--exposure', 'with --json: print the delta exposure per underlying instead of the positions'))
    .action((o: CommonOpts & { exposure?: boolean }, cmd: Command) => run(cmd, o, (ctx) => positionsCommand(ctx, { exposure: Boolean(o.exposure) })));
  common(program.command('summary').description('net liquidation, cash and buying power per account'))
    .action((o: CommonOpts, cmd: Command) => run(cmd, o, summaryCommand));
  common(program.command('orders').description('open orders (all clients)').option('--all', "also today's completed orders"))
    .action((o: CommonOpts & { all?: boolean }, cmd: Command) => run(cmd, o, (ctx) => ordersCommand(ctx, { all: Boolean(o.all) })));
  common(program.command('fills').description("today's executions"))
    .action((o: CommonOpts, cmd: Command) => run(cmd, o, fillsCommand));
  instrumentOpts(common(program.command('quote').argument('<symbol>').description('a quote (delayed data when not subscribed)')))
    .action((symbol: string, o: CommonOpts & InstrumentOpts, cmd: Command) => run(cmd, o, (ctx) => quoteCommand(ctx, instrumentFromArgs(symbol, o), symbol)));
  registerChainCommand(program, common, (cmd, o, fn) => run(cmd, o as CommonOpts, fn), (symbol, o) => instrumentFromArgs(symbol, { currency: o.currency ?? 'USD' }));
  instrumentOpts(common(program.command('history').argument('<symbol>').description('historical bars')
    .option('--bar <size>', 'bar size: 1d, 1h, 5m, …', '1d').option('--duration <d>', 'how far back: 1M, 5D, 1Y, …', '1M')
    .option('--what <w>', 'TRADES, MIDPOINT, BID, ASK', 'TRADES')))
    .action((symbol: string, o: CommonOpts & InstrumentOpts & { bar: string; duration: string; what: string }, cmd: Command) => {
      const what = o.what.toUpperCase();
      if (!['TRADES', 'MIDPOINT', 'BID', 'ASK', 'FEE_RATE'].includes(what)) throw new CliError(`--what: unsupported value ${o.what}`, 2);
      const req: HistoryRequest = { barSize: parseBarSize(o.bar), duration: parseDuration(o.duration), whatToShow: what as HistoryRequest['whatToShow'] };
      return run(cmd, o, (ctx) => historyCommand(ctx, instrumentFromArgs(symbol, o), req));
    });
}
