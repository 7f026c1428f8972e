/**
 * Schemas and helpers shared by the tools: the instrument arguments, account arguments, the `mode` /
 * `asOf` every read carries, decimal strings.
 */
import { z } from 'zod';
import { SEC_TYPES, type Decimal, type Instrument, type Quote } from '../../domain/types.js';
import { accountTypeOf, resolveAccount } from '../accounts.js';
import type { McpContext, McpSession } from '../context.js';
import { ToolError } from '../tool-def.js';

export const SYMBOL = z.string().trim().min(1).max(20).describe('ticker symbol, e.g. AAPL; EUR.USD for a currency pair');
export const ACCOUNT_ARG = z.string().trim().min(1).max(64).describe('an account id, label or type: "DU1000002", "THK", "roth", "personal"');

/** The instrument arguments of market-data tools. */
export const instrumentArgs = {
  symbol: SYMBOL,
  secType: z.enum(SEC_TYPES).optional().describe('STK (default), FUT, OPT or CASH'),
  exchange: z.string().trim().min(1).max(20).optional().describe('default SMART (IDEALPRO for CASH)'),
  currency: z.string().regex(/^[A-Za-z]{3}$/).optional().describe('3-letter currency, default USD'),
  conId: z.number().int().positive().optional().describe('IB contract id, when known'),
} as const;

/**
 * A positive whole number, also as a digit string ("10"): some clients send every argument as a string.
 * The handler always receives a number.
 */
export const quantityArg = (max: number) =>
  z.union([z.number().int().positive().max(max), z.string().regex(/^[1-9]\d{0,15}$/).transform(Number).pipe(z.number().int().positive().max(max))]);

/** Decimal string or null. */
export const DEC = z.string().nullable();
export const MODE = z.enum(['paper', 'live']);
export const ISO = z.string().describe('ISO-8601 time');

export const dec = (d: Decimal | undefined | null): string | null => (d === undefined || d === null ? null : d.toString());
export const iso = (ms: number): string => new Date(ms).toISOString();

/** `{ mode, asOf }` for a read. */
export const readStamp = (ctx: McpContext): { mode: 'paper' | 'live'; asOf: string } => ({ mode: ctx.config.mode, asOf: iso(ctx.clock.now()) });

/** An instrument from the tool arguments (EUR.USD → CASH on IDEALPRO). */
export function instrumentOf(a: { symbol: string; secType?: Instrument['secType'] | undefined; exchange?: string | undefined; currency?: string | undefined; conId?: number | undefined }): Instrument {
  const symbol = a.symbol.toUpperCase();
  const fx = /^([A-Z]{3})\.([A-Z]{3})$/.exec(symbol);
  const secType = a.secType ?? (fx ? 'CASH' : 'STK');
  return {
    symbol: fx && secType === 'CASH' ? fx[1]! : symbol,
    secType,
    exchange: a.exchange ?? (secType === 'CASH' ? 'IDEALPRO' : 'SMART'),
    currency: (a.currency ?? (fx ? fx[2]! : 'USD')).toUpperCase(),
    ...(a.conId !== undefined ? { conId: a.conId } : {}),
  };
}

/** The broker session is usable, else a ToolError saying where it was looked for. */
export async function brokerReady(ctx: McpContext): Promise<void> {
  try {
    await ctx.broker.ready(ctx.brokerWaitMs);
  } catch (e) {
    const { host, port } = ctx.config.ib;
    throw new ToolError(`TWS / IB Gateway at ${host}:${port} is not reachable (client id ${ctx.broker.clientId}): ${(e as Error).message} — start it (or the simulator) and try again`);
  }
}

/**
 * The accounts a read covers: the named one, else the session default (switch_account), else every
 * declared and linked account (declared first, in config order).
 */
export async function accountsFor(ctx: McpContext, session: McpSession, account: string | undefined, opts: { all?: boolean } = {}): Promise<string[]> {
  // Redis-only tools (fills, audit) must work without TWS: then only declared accounts can be named
  const linked = await ctx.broker.managedAccounts().catch((): string[] => []);
  if (account !== undefined) return [resolveAccount(account, ctx.config.accounts, linked).id];
  if (session.defaultAccount !== undefined && !opts.all) return [session.defaultAccount];
  const declared = ctx.config.accounts.map((a) => a.id);
  return [...declared, ...linked.filter((id) => !declared.includes(id))];
}

/** The type to report for an account id. */
export const typeOf = (ctx: McpContext, id: string): string => accountTypeOf(id, ctx.config.accounts);

/** Market data type of a quote: delayed (IB type 3/4), frozen (no fresh tick), else live. */
export const dataTypeOf = (q: Quote): 'live' | 'delayed' | 'frozen' => (q.delayed ? 'delayed' : q.stale ? 'frozen' : 'live');

/** The price a position is marked at: last, else the bid/ask midpoint, else the close. */
export function markPrice(q: Quote | undefined): Decimal | undefined {
  if (!q) return undefined;
  if (q.last) return q.last;
  if (q.bid && q.ask) return q.bid.add(q.ask).div(2);
  return q.close;
}

/** Requires an account name (argument or session default); for tools that act on exactly one account. */
export async function oneAccount(ctx: McpContext, session: McpSession, account: string | undefined): Promise<string> {
  if (account === undefined && session.defaultAccount === undefined) {
    throw new ToolError('name an account (id, label or type), or choose a default with switch_account');
  }
  const [id] = await accountsFor(ctx, session, account);
  return id!;
}
