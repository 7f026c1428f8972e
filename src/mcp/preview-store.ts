/**
 * SHELL: pending order previews in Redis, shared by the MCP server and the dashboard's approval API.
 *
 * Layout (the dashboard reads the same):
 *  - `<prefix>:preview:<previewId>` — the record as JSON, expiring after `mcp.previewTtlSeconds`;
 *  - `<prefix>:previews` — sorted set of preview ids scored by expiry (epoch ms), pruned on listing;
 *  - `<prefix>:preview:<previewId>:used` — set once (SET NX) by the confirmation or rejection that wins;
 *    it makes a preview single use even when MCP and the dashboard race.
 *
 * A preview id is the signal id of the order it becomes, and its BullMQ job id derives from it, so a
 * repeated confirmation can never add a second job. The record carries `requestHash`, a SHA-256 over the
 * canonical request; a record whose request no longer hashes to it (edited in Redis) is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { canonicalJson } from '../infra/audit.js';
import { LuaScript } from '../infra/redis.js';

/** A previewed account's decision: what the daemon would do now. Money as decimal strings. */
export interface PreviewResult {
  readonly account: string;
  readonly accountType: string;
  readonly decision: 'APPROVED' | 'DENIED';
  readonly quantity: number;
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
  readonly notes: readonly string[];
  readonly referencePrice: string | null;
  readonly estimatedCost: string | null;
  readonly currency: string;
  readonly whatIf: {
    readonly initialMarginChange: string | null;
    readonly maintenanceMarginChange: string | null;
    readonly commission: string | null;
    readonly reason: string | null;
  } | null;
  /** MCP may confirm an order for this account (mcp.allowWrites and mcp.writeAccounts) */
  readonly writable: boolean;
}

/** A preview is pending until one confirmation or rejection wins. */
export type PreviewStatus = 'pending' | 'confirmed' | 'rejected';

/** The stored preview (JSON at `<prefix>:preview:<id>`). */
export interface PreviewRecord {
  readonly previewId: string;
  /** ISO-8601 */
  readonly createdAt: string;
  /** ISO-8601 */
  readonly expiresAt: string;
  readonly status: PreviewStatus;
  /** the signal fields as previewed (wire shape, no id/createdAt), with `accounts` as resolved ids */
  readonly request: Readonly<Record<string, unknown>>;
  readonly requestHash: string;
  readonly results: readonly PreviewResult[];
  /** the signal id (= previewId) and BullMQ job id the confirmation uses */
  readonly signalId: string;
  readonly jobId: string;
  readonly client: { readonly name: string; readonly version: string };
  readonly decidedAt?: string;
  readonly decidedBy?: string;
}

/** Keys of the preview layout for a Redis prefix. */
export function previewKeys(prefix: string): { record(id: string): string; used(id: string): string; index: string } {
  return {
    record: (id) => `${prefix}:preview:${id}`,
    used: (id) => `${prefix}:preview:${id}:used`,
    index: `${prefix}:previews`,
  };
}

/** A fresh preview id: `mcp-` + 32 hex digits (a valid signal id and BullMQ job id: no ":"). */
export const newPreviewId = (): string => `mcp-${randomBytes(16).toString('hex')}`;

/** The shape of a preview id; anything else is refused before Redis is asked. */
export const PREVIEW_ID_RE = /^mcp-[0-9a-f]{32}$/;

/** SHA-256 of the canonical request (hex). */
export const requestHashOf = (request: unknown): string => createHash('sha256').update(canonicalJson(request)).digest('hex');

// KEYS: record, used; ARGV: new record JSON, used value, used TTL ms. 1 = won, 0 = already decided, -1 = gone
const DECIDE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
return 1
`);

/** Who won a decision: this caller, an earlier one, or nobody (expired). */
export type DecideResult = { readonly kind: 'won'; readonly record: PreviewRecord } | { readonly kind: 'already'; readonly record: PreviewRecord } | { readonly kind: 'gone' };

/** Reads and writes preview records; see the module comment. */
export class PreviewStore {
  private readonly keys: ReturnType<typeof previewKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = previewKeys(prefix);
  }

  /** Stores a new record, expiring at its `expiresAt`. */
  async create(rec: PreviewRecord, now: number): Promise<void> {
    const expiry = Date.parse(rec.expiresAt);
    const ttl = Math.max(1, expiry - now);
    await this.redis.multi().set(this.keys.record(rec.previewId), JSON.stringify(rec), 'PX', ttl).zadd(this.keys.index, expiry, rec.previewId).exec();
  }

  /** The record, undefined when unknown or expired; throws when it is not valid JSON (tampered). */
  async get(previewId: string): Promise<PreviewRecord | undefined> {
    if (!PREVIEW_ID_RE.test(previewId)) return undefined;
    const raw = await this.redis.get(this.keys.record(previewId));
    if (raw === null) return undefined;
    return JSON.parse(raw) as PreviewRecord;
  }

  /** Unexpired previews, oldest first (expired ids are pruned from the index). */
  async list(now: number): Promise<PreviewRecord[]> {
    await this.redis.zremrangebyscore(this.keys.index, '-inf', now);
    const ids = await this.redis.zrange(this.keys.index, 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.keys.record(id)));
    const out: PreviewRecord[] = [];
    for (const raw of raws) {
      if (raw === null) continue;
      try {
        out.push(JSON.parse(raw) as PreviewRecord);
      } catch {
        // an unreadable record is never shown as approvable
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * Moves a pending preview to `status` once: the first caller wins (atomic SET NX on the used key), every
   * later one gets `already` with the stored record; `gone` when the record expired or never existed.
   */
  async decide(rec: PreviewRecord, status: Exclude<PreviewStatus, 'pending'>, by: string, now: number): Promise<DecideResult> {
    const next: PreviewRecord = { ...rec, status, decidedAt: new Date(now).toISOString(), decidedBy: by };
    const ttl = Math.max(1000, Date.parse(rec.expiresAt) - now + 24 * 3600_000);
    const r = Number(await DECIDE.run(this.redis, [this.keys.record(rec.previewId), this.keys.used(rec.previewId)], [JSON.stringify(next), `${status}:${by}`, ttl]));
    if (r === 1) return { kind: 'won', record: next };
    if (r === -1) return { kind: 'gone' };
    const stored = await this.get(rec.previewId).catch(() => undefined);
    return { kind: 'already', record: stored ?? next };
  }

  /** How an earlier decision went (`confirmed:mcp`), when the preview was decided. */
  async decision(previewId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.used(previewId))) ?? undefined;
  }
}
