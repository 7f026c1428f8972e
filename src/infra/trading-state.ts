/**
 * The kill switch (CONTRACT §1): `<p>:trading-state` (global) and `<p>:trading-state:<account>`, values
 * `ACTIVE`, `REDUCE_ONLY`, `HALTED`. A missing key means `ACTIVE`; a key holding anything else (a typo
 * like `halted` set by hand) reads as `HALTED`: fail closed. The effective state of an account is the
 * stricter of global and account (`HALTED` > `REDUCE_ONLY` > `ACTIVE`).
 *
 * Usage: read `effective(account)` right before each order (one MGET round trip; a Redis error throws,
 * and the caller must then not trade). `set*` return the previous value so the caller can audit the
 * change; this module does not write the audit trail itself. `watch()` polls for operators/status.
 */
import type { Redis } from 'ioredis';
import { TRADING_STATES, type TradingState } from '../domain/types.js';
import type { Keys } from './keys.js';

const RANK: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCE_ONLY: 1, HALTED: 2 };

/** The stricter of the global and the account state (pure). */
export function effectiveState(global: TradingState, account: TradingState = 'ACTIVE'): TradingState {
  return RANK[account] > RANK[global] ? account : global;
}

/** A stored value → state: missing = ACTIVE, unknown = HALTED (fail closed). */
export function parseTradingState(v: string | null | undefined): TradingState {
  if (v === null || v === undefined) return 'ACTIVE';
  return (TRADING_STATES as readonly string[]).includes(v) ? (v as TradingState) : 'HALTED';
}

export interface EffectiveTradingState {
  readonly global: TradingState;
  readonly account: TradingState;
  readonly effective: TradingState;
}

export interface TradingStateSnapshot {
  readonly global: TradingState;
  readonly accounts: Readonly<Record<string, TradingState>>;
}

export interface TradingStateChange {
  /** "global" or the account id */
  readonly scope: string;
  readonly previous: TradingState;
  readonly current: TradingState;
}

function assertState(state: TradingState): void {
  if (!(TRADING_STATES as readonly string[]).includes(state)) throw new Error(`invalid trading state ${String(state)}`);
}

/** Reads and writes the trading-state keys; see the module comment. */
export class TradingStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async getGlobal(): Promise<TradingState> {
    return parseTradingState(await this.redis.get(this.keys.tradingState));
  }

  /** The account's own setting (not combined with the global one). */
  async getAccount(account: string): Promise<TradingState> {
    return parseTradingState(await this.redis.get(this.keys.tradingStateFor(account)));
  }

  /** Global, account and effective state in one round trip. */
  async effective(account: string): Promise<EffectiveTradingState> {
    const [g, a] = await this.redis.mget(this.keys.tradingState, this.keys.tradingStateFor(account));
    const global = parseTradingState(g);
    const acc = parseTradingState(a);
    return { global, account: acc, effective: effectiveState(global, acc) };
  }

  /** Global and per-account states of `accounts` in one round trip. */
  async snapshot(accounts: readonly string[]): Promise<TradingStateSnapshot> {
    const vals = await this.redis.mget(this.keys.tradingState, ...accounts.map((a) => this.keys.tradingStateFor(a)));
    const out: Record<string, TradingState> = {};
    accounts.forEach((a, i) => (out[a] = parseTradingState(vals[i + 1])));
    return { global: parseTradingState(vals[0]), accounts: out };
  }

  /** Set the global state atomically (SET … GET); returns the previous state, for the caller's audit record. */
  async setGlobal(state: TradingState): Promise<TradingState> {
    assertState(state);
    return parseTradingState(await this.redis.set(this.keys.tradingState, state, 'GET'));
  }

  /** Set one account's state atomically; returns the previous account-level state. */
  async setAccount(account: string, state: TradingState): Promise<TradingState> {
    assertState(state);
    return parseTradingState(await this.redis.set(this.keys.tradingStateFor(account), state, 'GET'));
  }

  /**
   * Poll every `intervalMs` (default 1000) and call `onChange` for each scope whose state changed since the
   * previous poll; the baseline is `opts.initial` when given (so no change after it can be missed), else
   * the first poll. Errors go to `onError`; polling continues.
   * The timer does not keep the process alive. Returns a function that stops polling.
   */
  watch(
    accounts: readonly string[],
    onChange: (change: TradingStateChange) => void,
    opts: { intervalMs?: number; onError?: (e: unknown) => void; initial?: TradingStateSnapshot } = {},
  ): () => void {
    let last: TradingStateSnapshot | undefined = opts.initial;
    let busy = false;
    const poll = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const snap = await this.snapshot(accounts);
        if (last !== undefined) diffSnapshots(last, snap).forEach(onChange);
        last = snap;
      } catch (e) {
        opts.onError?.(e);
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), opts.intervalMs ?? 1000);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** The changes between two snapshots (pure). */
export function diffSnapshots(a: TradingStateSnapshot, b: TradingStateSnapshot): TradingStateChange[] {
  const out: TradingStateChange[] = [];
  if (a.global !== b.global) out.push({ scope: 'global', previous: a.global, current: b.global });
  for (const [acc, cur] of Object.entries(b.accounts)) {
    const prev = a.accounts[acc] ?? 'ACTIVE';
    if (prev !== cur) out.push({ scope: acc, previous: prev, current: cur });
  }
  return out;
}
