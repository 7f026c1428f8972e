/**
 * Shared helpers of the `pipeline-*` end-to-end suites: signal payloads, the simulator's GET /state
 * view, stream reads and bounded polling. Everything talks to real Redis and the simulator over TCP.
 */
import { expect } from 'vitest';
import type { Redis } from 'ioredis';
import type { Stack } from '../../src/app/stack.js';
import type { AccountResult, Outcome } from '../../src/domain/types.js';
import { readStream, type StreamEntry } from '../../src/infra/streams.js';
import { createRedis } from '../../src/infra/redis.js';

export const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const IRA = 'DU1000001';
export const PERSONAL = 'DU1000002';
export const BUSINESS = 'DU1000003';

/** A signal payload (wire shape) with `createdAt` now; `extra` overrides any field. */
export function sig(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    createdAt: new Date().toISOString(),
    instrument: { symbol: 'AAPL' },
    side: 'BUY',
    size: { quantity: 10 },
    ...extra,
  };
}

export interface SimOrder {
  orderId: number;
  permId: number;
  clientId: number;
  account: string;
  orderRef: string;
  symbol: string;
  action: string;
  totalQuantity: number;
  orderType: string;
  status: string;
  filled: number;
  parentId?: number;
  ocaGroup?: string;
  tif?: string;
  lmtPrice: number | null;
  auxPrice: number | null;
}

export interface SimState {
  accounts: { id: string; cash: Record<string, number>; settledCash: Record<string, number>; netLiquidation: number; availableFunds: number; buyingPower: number }[];
  positions: { account: string; symbol: string; quantity: number }[];
  orders: SimOrder[];
  executions: { execId: string; orderId: number; orderRef: string; account: string; symbol: string; side: string; shares: number; price: number }[];
  quotes: { symbol: string; bid: number; ask: number; last: number }[];
}

export const simState = (stack: Stack): Promise<SimState> => stack.admin<SimState>('/state');

/** Sends a payload and waits for its outcome. */
export async function run(stack: Stack, payload: Record<string, unknown>, jobId?: string): Promise<Outcome> {
  return stack.outcome(await stack.send(payload, jobId));
}

/** The result for one account (fails the test when absent). */
export function resultFor(outcome: Outcome, account: string): AccountResult {
  const r = outcome.results.find((x) => x.account === account);
  expect(r, `no result for ${account} in ${JSON.stringify(outcome)}`).toBeDefined();
  return r as AccountResult;
}

export const codes = (r: AccountResult): string[] => r.reasons.map((x) => x.code);

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(fn: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A fresh Redis connection for reading a stack's streams (the caller disconnects it). */
export const reader = (): Redis => createRedis(REDIS);

export const entries = (redis: Redis, key: string): Promise<StreamEntry[]> => readStream(redis, key);

/** Entries of `<prefix>:orders` for one orderRef, in order. */
export async function orderEvents(redis: Redis, stack: Stack, orderRef: string): Promise<StreamEntry[]> {
  return (await entries(redis, `${stack.config.redis.prefix}:orders`)).filter((e) => e.fields.orderRef === orderRef);
}

/** Fill entries (type FILL) of `<prefix>:fills` for one orderRef. */
export async function fillEntries(redis: Redis, stack: Stack, orderRef: string): Promise<StreamEntry[]> {
  return (await entries(redis, `${stack.config.redis.prefix}:fills`)).filter((e) => e.fields.orderRef === orderRef && e.fields.type !== 'COMMISSION');
}

/** Sim orders carrying one of this signal's orderRefs (entry or bracket legs) for an account. */
export async function simOrdersFor(stack: Stack, account: string): Promise<SimOrder[]> {
  return (await simState(stack)).orders.filter((o) => o.account === account);
}

/** The quote the simulator holds for a symbol. */
export async function quoteOf(stack: Stack, symbol: string): Promise<{ bid: number; ask: number; last: number }> {
  const q = (await simState(stack)).quotes.find((x) => x.symbol === symbol);
  if (!q) throw new Error(`no simulator quote for ${symbol}`);
  return q;
}
