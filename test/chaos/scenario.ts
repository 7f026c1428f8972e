/**
 * The seeded part of the chaos suite: a small PRNG, the fixture, the signals (valid ones across the
 * three accounts, a few invalid payloads, a few replays of a signal under another job id) and the fault
 * schedule. Everything here is a pure function of the seed and the sizes, so a failing seed replays the
 * same signals and the same fault order (the timing of the processes around it still varies).
 */
import type { Fixture } from '../../src/sim/index.js';
import { mulberry32 } from '../../src/sim/engine/prng.js';

/** The simulator's seeded PRNG (mulberry32), uniform in [0, 1). */
export const prng = mulberry32;

/** The three accounts of the default household (Roth IRA, personal, business). */
export const ACCOUNTS = ['DU1000001', 'DU1000002', 'DU1000003'] as const;
/** Starting prices of the traded symbols; price moves and limit prices are relative to them. */
export const BASE_PRICES: Readonly<Record<string, number>> = { AAPL: 190, MSFT: 420, SPY: 600, ET: 17.5 };

/** Large cash and long positions everywhere, so most signals are PLACED; ET is an MLP (IRA: denied). */
export const CHAOS_FIXTURE: Fixture = {
  nextOrderId: 1,
  accounts: ACCOUNTS.map((id, i) => ({
    id,
    accountType: ['IRA', 'INDIVIDUAL', 'CORPORATION'][i],
    baseCurrency: 'USD',
    cash: { USD: 500_000_000 },
    positions: ['AAPL', 'MSFT', 'SPY'].map((symbol) => ({ symbol, quantity: 1_000_000, avgCost: 100 })),
  })),
};

/** One job the producer adds: a payload under a job id. */
export interface PlannedJob {
  readonly jobId: string;
  readonly signalId: string;
  readonly payload: Record<string, unknown>;
  /** an invalid payload: must fail permanently and land on the dead-letter stream */
  readonly invalid: boolean;
  /** a second job for an already planned signal id (different job id) */
  readonly replay: boolean;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Signal ids are `c<run>-<n>`; job ids follow `jobIdForSignal` (replays add `-replay`). */
export function planSignals(r: () => number, count: number, runId: string, jobIdOf: (signalId: string) => string): PlannedJob[] {
  const out: PlannedJob[] = [];
  const valid: PlannedJob[] = [];
  for (let n = 0; n < count; n++) {
    const signalId = `c${runId}-${n}`;
    const roll = r();
    if (roll < 0.02 || n === 3) {
      out.push({ jobId: jobIdOf(signalId), signalId, payload: invalidPayload(r, signalId), invalid: true, replay: false });
      continue;
    }
    if (roll < 0.04 && valid.length > 0) {
      const orig = pick(r, valid);
      out.push({ jobId: `${orig.jobId}-replay${n}`, signalId: orig.signalId, payload: orig.payload, invalid: false, replay: true });
      continue;
    }
    const job = { jobId: jobIdOf(signalId), signalId, payload: validPayload(r, signalId), invalid: false, replay: false };
    valid.push(job);
    out.push(job);
  }
  return out;
}

function validPayload(r: () => number, id: string): Record<string, unknown> {
  const symbol = r() < 0.08 ? 'ET' : pick(r, ['AAPL', 'MSFT', 'SPY']);
  const side = r() < 0.6 ? 'BUY' : 'SELL';
  const quantity = r() < 0.05 ? 5_000 : 1 + Math.floor(r() * 40); // 5 000 > maxOrderQuantity: DENIED
  const price = BASE_PRICES[symbol] ?? 100;
  const a = r();
  const accounts = a < 0.5 ? 'ALL' : a < 0.8 ? ACCOUNTS.filter(() => r() < 0.6).concat(pick(r, ACCOUNTS)).filter((x, i, xs) => xs.indexOf(x) === i) : { types: pick(r, [['ROTH_IRA'], ['PERSONAL', 'BUSINESS'], ['BUSINESS']]) };
  const lmt = r() < 0.4;
  // marketable (fills at once) or 1 % away (rests until a price move crosses it)
  const offset = r() < 0.5 ? 0.01 : -0.01;
  const limitPrice = Math.round(price * (1 + (side === 'BUY' ? offset : -offset)) * 100) / 100;
  return {
    id,
    createdAt: new Date().toISOString(),
    source: 'chaos',
    instrument: { symbol },
    side,
    size: { quantity },
    order: lmt ? { type: 'LMT', limitPrice, tif: 'DAY' } : { type: 'MKT' },
    accounts,
    meta: { chaos: true },
  };
}

function invalidPayload(r: () => number, id: string): Record<string, unknown> {
  const kind = Math.floor(r() * 3);
  if (kind === 0) return { id, createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, size: { quantity: 1 } }; // no side
  if (kind === 1) return { id, createdAt: 'yesterday', instrument: { symbol: 'AAPL' }, side: 'BUY', size: { quantity: 1 } };
  return { id, createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, side: 'HOLD', size: { quantity: -3 } };
}

/** What the scheduler can do to the running system. */
export type FaultKind =
  | 'daemon-kill'
  | 'disconnect'
  | 'connectivity-lost'
  | 'drop-acks'
  | 'reject-next'
  | 'sim-restart'
  | 'redis-restart'
  | 'price-move'
  /** IB unreachable (socket dropped, then 1100) for longer than the daemon's broker wait and retry delays */
  | 'gateway-down'
  /** the simulator books the next order twice under one orderRef (late in the run: it stops that account) */
  | 'duplicate-next'
  /** an INTENT written for a job that does not exist (as after a crash before the send, job removed) */
  | 'orphan-intent';

/** One scheduled fault. */
export interface PlannedFault {
  /** fraction of the run's duration at which it fires */
  readonly at: number;
  readonly kind: FaultKind;
  /** kind-specific numbers: ms (connectivity-lost), count (drop-acks), down time, price factor, symbol */
  readonly n: number;
  readonly symbol?: string;
  /** a second number (daemon-kill: price factor applied while the daemon is down) */
  readonly n2?: number;
}

/** How many faults of each family a run gets. */
export interface FaultCounts {
  readonly kills: number;
  readonly redisRestarts: number;
  readonly perSimFault: number;
  /** gateway-down faults and how long each lasts (ms) */
  readonly gatewayDowns?: number;
  readonly gatewayDownMs?: number;
  readonly duplicates?: number;
  readonly orphans?: number;
}

/** The fault schedule, sorted by time; every kind at least `perSimFault` times, kills and Redis restarts as asked. */
export function planFaults(r: () => number, c: FaultCounts): PlannedFault[] {
  const out: PlannedFault[] = [];
  const at = () => 0.05 + r() * 0.85;
  // while the daemon is down after a kill the price of `symbol` moves by the factor `n2`: resting limit orders
  // fill with nobody listening, so only reconciliation can publish those fills
  for (let i = 0; i < c.kills; i++) out.push({ at: at(), kind: 'daemon-kill', n: Math.floor(r() * 1500), symbol: pick(r, ['AAPL', 'MSFT', 'SPY']), n2: pick(r, [0.985, 1, 1.015]) });
  for (let i = 0; i < c.redisRestarts; i++) out.push({ at: at(), kind: 'redis-restart', n: i + 2 * Math.floor(r() * 1500) });
  for (let i = 0; i < c.perSimFault; i++) {
    out.push({ at: at(), kind: 'disconnect', n: 0 });
    out.push({ at: at(), kind: 'connectivity-lost', n: 500 + Math.floor(r() * 2500) });
    out.push({ at: at(), kind: 'drop-acks', n: 1 + Math.floor(r() * 3) });
    out.push({ at: at(), kind: 'reject-next', n: 0 });
    out.push({ at: at(), kind: 'sim-restart', n: 0 });
    const symbol = pick(r, ['AAPL', 'MSFT', 'SPY']);
    out.push({ at: at(), kind: 'price-move', n: r() < 0.5 ? 0.985 : 1.015, symbol });
  }
  for (let i = 0; i < (c.gatewayDowns ?? 0); i++) out.push({ at: at(), kind: 'gateway-down', n: c.gatewayDownMs ?? 6_000 });
  for (let i = 0; i < (c.orphans ?? 0); i++) out.push({ at: at(), kind: 'orphan-intent', n: i, symbol: pick(r, ['AAPL', 'MSFT', 'SPY']) });
  // a duplicate puts its account in REDUCE_ONLY for the rest of the run (an operator would resume it): late
  for (let i = 0; i < (c.duplicates ?? 0); i++) out.push({ at: 0.8 + r() * 0.12, kind: 'duplicate-next', n: 0 });
  return out.sort((x, y) => x.at - y.at);
}
