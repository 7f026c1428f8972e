/**
 * The leader lease of a hot-standby group (docs/ha.md): one Redis key `<p>:leader` = `<token>:<holder>`
 * with a TTL. Acquiring it (only when free or expired) takes a new fencing token from `<p>:leader:token`
 * (INCR: monotonic, never reused); renewing succeeds only while the stored token is still ours.
 *
 * Validity on our side is measured on our own monotonic clock (`performance.now`), from the moment the
 * acquire/renew request was *sent* (so it ends before Redis's TTL, which starts when Redis received it),
 * minus a margin. A process that was frozen (SIGSTOP, a GC pause, a stalled VM) finds on waking that its
 * validity ran out, and stops at once: `onLost` fires exactly once and the lease is never used again by
 * this instance (crash-only: the daemon disconnects from TWS and exits; its supervisor starts it again as
 * a standby).
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Fence } from './fencing.js';
import type { Keys } from './keys.js';
import { LuaScript } from './redis.js';

// KEYS: lease, counter   ARGV: holder, ttlMs  → {1, token} acquired | {0, current value}
const ACQUIRE_LUA = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return {1, tostring(token)}
`, false);

// KEYS: lease   ARGV: token, ttlMs  → 1 renewed | 0 not ours (taken over or expired)
const RENEW_LUA = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur or string.match(cur, '^(%d+):') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`, false);

// KEYS: lease   ARGV: token  → 1 released | 0 not ours
const RELEASE_LUA = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur or string.match(cur, '^(%d+):') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`, false);

export interface LeaderLeaseOptions {
  /** any connection (the lease scripts are never fenced: they carry their own token check) */
  readonly redis: Redis;
  readonly keys: Keys;
  /** who we are, shown by `status` (e.g. `host pid 4242 client 17`) */
  readonly holder: string;
  /** the lease TTL (`ha.leaseSeconds`) */
  readonly leaseMs: number;
  /** renewal period (default leaseMs / 4) */
  readonly renewEveryMs?: number;
  /** how much earlier than the TTL we stop trusting the lease (default max(1 s, leaseMs / 5)) */
  readonly marginMs?: number;
  /** standby poll period (default 1 s) */
  readonly pollMs?: number;
  /** monotonic milliseconds (default performance.now) */
  readonly monotonic?: () => number;
}

/** Who holds the lease, for `status`. */
export interface LeaseHolder {
  readonly token: number;
  readonly holder: string;
  /** remaining TTL at Redis, ms */
  readonly ttlMs: number;
}

/** Reads the current holder (undefined when nobody leads). */
export async function readLeader(redis: Redis, keys: Keys): Promise<LeaseHolder | undefined> {
  const [v, ttl] = await Promise.all([redis.get(keys.leader), redis.pttl(keys.leader)]);
  const m = v === null ? null : /^(\d+):(.*)$/s.exec(v);
  return m ? { token: Number(m[1]), holder: m[2] ?? '', ttlMs: Math.max(0, ttl) } : undefined;
}

/** The lease of one daemon (see the module comment). Implements `Fence` for the fenced connection. */
export class LeaderLease implements Fence {
  readonly leaseKey: string;
  private tok: string | undefined;
  private validUntil = -Infinity;
  private lost = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((why: string) => void)[] = [];
  private readonly now: () => number;
  private readonly margin: number;

  constructor(private readonly o: LeaderLeaseOptions) {
    this.leaseKey = o.keys.leader;
    this.now = o.monotonic ?? (() => performance.now());
    this.margin = o.marginMs ?? Math.max(1_000, o.leaseMs / 5);
    if (this.margin >= o.leaseMs) throw new RangeError(`lease margin ${this.margin} ms must be below the lease ${o.leaseMs} ms`);
  }

  /** Called once when the lease is lost (taken over, expired, or our clock says it may have lapsed). */
  onLost(fn: (why: string) => void): void {
    this.listeners.push(fn);
  }

  /** The fencing token while the lease is valid with the margin, on our monotonic clock. */
  token(): string | undefined {
    return this.valid() ? this.tok : undefined;
  }

  /** True while we lead with time to spare; the first false after leading fires `onLost`. */
  valid(): boolean {
    if (this.tok === undefined || this.lost) return false;
    if (this.now() < this.validUntil) return true;
    this.lose('the lease validity ran out on this process\'s monotonic clock (paused or Redis unreachable)');
    return false;
  }

  /** The token once acquired (for logs and status). */
  get currentToken(): string | undefined {
    return this.tok;
  }

  /** Polls until the lease is ours (true) or `signal` aborts (false); then renews in the background. */
  async acquire(signal: AbortSignal, onWaiting?: (holder: string) => void): Promise<boolean> {
    let reported: string | undefined;
    while (!signal.aborted) {
      const sent = this.now();
      try {
        const [got, value] = (await ACQUIRE_LUA.run(this.o.redis, [this.o.keys.leader, this.o.keys.leaderToken], [this.o.holder, this.o.leaseMs])) as [number, string];
        if (got === 1) {
          this.tok = value;
          this.validUntil = sent + this.o.leaseMs - this.margin;
          this.timer = setInterval(() => void this.renew(), this.o.renewEveryMs ?? this.o.leaseMs / 4);
          this.timer.unref();
          return true;
        }
        if (value !== reported) onWaiting?.((reported = value));
      } catch {
        // Redis unreachable: keep polling
      }
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 1_000));
    }
    return false;
  }

  /** Gives the lease up (graceful stop) so a standby takes over at once; only if still ours. */
  async release(): Promise<void> {
    this.stopTimer();
    const t = this.tok;
    if (t === undefined || this.lost) return;
    this.lost = true;
    await RELEASE_LUA.run(this.o.redis, [this.o.keys.leader], [t]).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (!this.valid()) return;
    const sent = this.now();
    try {
      const ok = Number(await RENEW_LUA.run(this.o.redis, [this.o.keys.leader], [this.tok!, this.o.leaseMs]));
      if (ok === 1) this.validUntil = Math.max(this.validUntil, sent + this.o.leaseMs - this.margin);
      else this.lose('another daemon holds the lease or it expired at Redis');
    } catch {
      this.valid(); // Redis unreachable: the validity runs out by itself
    }
  }

  private lose(why: string): void {
    if (this.lost) return;
    this.lost = true;
    this.stopTimer();
    for (const fn of this.listeners) fn(why);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
