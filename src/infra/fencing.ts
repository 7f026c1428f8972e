/**
 * Fencing for a hot standby (docs/ha.md): one shared guard for every state-changing Redis write.
 *
 * A connection can carry a `Fence` (the leader lease key and a token getter). Every `LuaScript.run` on a
 * fenced connection runs the script's fenced variant: the lease key is prepended to KEYS and the token to
 * ARGV, and the script first compares the token with the one stored in the lease; a mismatch (another
 * daemon leads) or a missing lease (expired) refuses the write with a `FENCED` error before any command
 * ran. Plain single-command writes go through `fencedWrite`, which is the same mechanism (a one-command
 * script). The token getter answers `undefined` when the holder's own monotonic clock says the lease may
 * have lapsed: then the write is refused locally, without a round trip.
 *
 * A connection without a fence (ha disabled, the CLI, producers) runs the plain script: one branch.
 */
import type { Redis } from 'ioredis';

/** The leader lease a fenced connection writes under. */
export interface Fence {
  /** the lease key (`<p>:leader`), whose value starts with the token: `<token>:<holder>` */
  readonly leaseKey: string;
  /** the token while the lease is valid on the holder's monotonic clock, else undefined */
  token(): string | undefined;
}

/** A write refused because this process does not hold the leader lease (any more). Never retried blindly. */
export class FencedError extends Error {
  constructor(message: string) {
    super(message.startsWith('FENCED') ? message : `FENCED ${message}`);
    this.name = 'FencedError';
  }
}

const fences = new WeakMap<Redis, Fence>();

/** Guard every script and `fencedWrite` on `redis` with `fence` (the daemon does this when `ha.enabled`). */
export function fenceConnection(redis: Redis, fence: Fence): void {
  fences.set(redis, fence);
}

/** The fence of a connection, if any. */
export function fenceOf(redis: Redis): Fence | undefined {
  return fences.get(redis);
}

/**
 * The fenced variant of a script: checks KEYS[1]/ARGV[1] against the lease, then runs the original body
 * with KEYS and ARGV shifted by one (the body is unchanged: `KEYS`/`ARGV` are the function's parameters).
 */
export function fencedSource(source: string): string {
  return `local lease = redis.call('GET', KEYS[1])
if not lease or string.match(lease, '^(%d+):') ~= ARGV[1] then
  return redis.error_reply('FENCED the leader lease is held by another daemon or expired (token ' .. ARGV[1] .. ')')
end
local function fenced_body(KEYS, ARGV)
${source}
end
local k, a = {}, {}
for i = 2, #KEYS do k[#k + 1] = KEYS[i] end
for i = 2, #ARGV do a[#a + 1] = ARGV[i] end
return fenced_body(k, a)
`;
}

/** The token for a write on a fenced connection, or a `FencedError` when the lease is not (safely) held. */
export function tokenFor(fence: Fence): string {
  const t = fence.token();
  if (t === undefined) throw new FencedError('FENCED this daemon does not hold a valid leader lease; nothing was written');
  return t;
}

/** Turns Redis's FENCED reply into a `FencedError`; other errors pass through. */
export function asFenced(e: unknown): unknown {
  return e instanceof Error && e.message.startsWith('FENCED') ? new FencedError(e.message) : e;
}
