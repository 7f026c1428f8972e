/**
 * The tamper-evident audit trail `<p>:audit` (CONTRACT §5): a keyed hash chain over stream entries with
 * fields `seq, ts, type, account, signalId, orderRef, data, prev, hash`, where
 * `hash = HMAC-SHA256(audit key, prev + canonical)` (hex) and `canonical` = JSON with recursively sorted keys
 * and no whitespace of `{ seq (number), ts, type, account, signalId, orderRef, data }` (absent ids are "");
 * `prev` of seq 1 is 64 zeros. The `data` field holds the canonical JSON of the data. Never trimmed.
 * Without the audit key nobody can forge, re-hash or renumber records; the head (seq, hash) is also
 * anchored outside Redis (the state directory, `onAppended`), so truncating the tail or deleting the whole
 * trail is caught by `verifyAudit(…, anchor)` too.
 *
 * Concurrency design (Redis Lua has sha1 but no HMAC-SHA256): optimistic compare-and-append. Node computes
 * the next record and its hash from the head it believes current; ONE Lua script checks that the head key
 * `<audit>:head` (`<seq>:<hash>`) still equals it and then XADDs the entry and moves the head, atomically.
 * On a conflict the script returns the current head and Node rebuilds and retries. Appends from one
 * `AuditLog` are serialized in-process (no self-conflicts) and it caches the head, so an append costs one
 * round trip; several processes or connections stay correct, they just retry. No WATCH is used, so the
 * connection can be shared with other code.
 *
 * Fail closed on lost state: when the head this instance knew vanishes or moves BACK (Redis restarted
 * empty, or from an older snapshot), `append` throws `AuditStateLostError` instead of silently starting a
 * new chain; only `restartChain` (called once the loss was handled) starts one, with a first record that
 * names the lost head.
 */
import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../domain/clock.js';
import { LuaScript, isoTs } from './redis.js';
import { fieldsToRecord, type StreamEntry } from './streams.js';
import { canonicalJson } from './canonical-json.js';

export { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** What a caller appends. `data` must be JSON-serializable (Decimals become strings via toJSON). */
export interface AuditInput {
  readonly type: string;
  readonly account?: string;
  readonly signalId?: string;
  readonly orderRef?: string;
  readonly data: unknown;
}

/** A record as stored. */
export interface AuditRecord {
  readonly id: string;
  readonly seq: number;
  readonly ts: string;
  readonly type: string;
  readonly account: string;
  readonly signalId: string;
  readonly orderRef: string;
  readonly data: unknown;
  readonly prev: string;
  readonly hash: string;
}

/** The chain hash of one record given its fields (with `data` already canonical JSON): HMAC-SHA256 with the audit key. */
export function auditHash(key: Buffer, prev: string, r: { seq: number; ts: string; type: string; account: string; signalId: string; orderRef: string; dataJson: string }): string {
  const canonical =
    `{"account":${JSON.stringify(r.account)},"data":${r.dataJson},"orderRef":${JSON.stringify(r.orderRef)},` +
    `"seq":${r.seq},"signalId":${JSON.stringify(r.signalId)},"ts":${JSON.stringify(r.ts)},"type":${JSON.stringify(r.type)}}`;
  return createHmac('sha256', key).update(prev + canonical).digest('hex');
}

// KEYS: head, stream   ARGV: expectedHead ('' = empty chain), newHead, field/value pairs...
const APPEND_LUA = new LuaScript(`
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return {'CONFLICT', cur} end
if cur == '' and redis.call('XLEN', KEYS[2]) > 0 then return {'NOHEAD', ''} end
local f = {}
for i = 3, #ARGV do f[#f+1] = ARGV[i] end
local id = redis.call('XADD', KEYS[2], '*', unpack(f))
redis.call('SET', KEYS[1], ARGV[2])
return {'OK', id}
`);

/** A chain head: the last record's seq and hash (seq 0 = empty chain). */
export interface Head {
  readonly seq: number;
  readonly hash: string;
}

/** `<seq>:<hash>` (the head key's value) → Head; empty or null = the empty chain. */
export const parseHead = (s: string | null): Head =>
  s === null || s === '' ? { seq: 0, hash: GENESIS_HASH } : { seq: Number(s.slice(0, s.indexOf(':'))), hash: s.slice(s.indexOf(':') + 1) };
const headString = (h: Head): string => (h.seq === 0 ? '' : `${h.seq}:${h.hash}`);

/** Thrown when the chain cannot be extended safely (head key missing while the stream has entries). */
export class AuditChainError extends Error {
  override readonly name = 'AuditChainError';
}

/** The head this log knew vanished or went back: Redis lost state. Nothing is appended until `restartChain`. */
export class AuditStateLostError extends AuditChainError {
  constructor(
    readonly known: Head,
    readonly found: Head,
  ) {
    super(`the audit head went from seq ${known.seq} to ${found.seq === 0 ? 'nothing' : `seq ${found.seq}`}: Redis lost state; nothing is appended until the loss is handled`);
  }
}

/** Options of an AuditLog. */
export interface AuditLogOptions {
  readonly clock?: Clock;
  readonly maxAttempts?: number;
  /** called after each successful append with the new head (the daemon anchors it in the state directory) */
  readonly onAppended?: (head: Head) => void;
}

/** Appends to one audit stream; see the module comment for the concurrency design. */
export class AuditLog {
  private head: Head | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private counters = { appends: 0, conflicts: 0 };

  private readonly clock: Clock;
  private readonly maxAttempts: number;

  /** `key` is the stream (`keys.audit`); the head lives at `${key}:head`. `auditKey`: the HMAC key (secrets). */
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly auditKey: Buffer,
    private readonly opts: AuditLogOptions = {},
  ) {
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.maxAttempts = opts.maxAttempts ?? 1000;
  }
  /** `verifyAudit` of this trail with this log's key (the dashboard's "chain verified through #N"). */
  verify(anchor?: Head): Promise<VerifyResult> {
    return verifyAudit(this.redis, this.key, this.auditKey, anchor);
  }


  /** The head after the last append of this instance (undefined before the first). */
  get lastHead(): Head | undefined {
    return this.head;
  }

  /**
   * Start a new chain after a loss of Redis state: the stream must be empty (renamed or gone); the first
   * record (seq 1) is `input`, which should name the lost head. Serialized with appends.
   */
  restartChain(input: AuditInput): Promise<{ seq: number; hash: string; id: string }> {
    const p = this.queue.then(() => {
      this.head = { seq: 0, hash: GENESIS_HASH };
      return this.appendNow(input);
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Append one record atomically; resolves with its seq, hash and stream id. Serialized per instance. */
  append(input: AuditInput): Promise<{ seq: number; hash: string; id: string }> {
    const p = this.queue.then(() => this.appendNow(input));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async appendNow(input: AuditInput): Promise<{ seq: number; hash: string; id: string }> {
    const dataJson = canonicalJson(input.data);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const head = this.head ?? parseHead(await this.redis.get(`${this.key}:head`));
      const rec = {
        seq: head.seq + 1,
        ts: isoTs(this.clock.now()),
        type: input.type,
        account: input.account ?? '',
        signalId: input.signalId ?? '',
        orderRef: input.orderRef ?? '',
        dataJson,
      };
      const hash = auditHash(this.auditKey, head.hash, rec);
      const next: Head = { seq: rec.seq, hash };
      const fields = ['seq', String(rec.seq), 'ts', rec.ts, 'type', rec.type, 'account', rec.account, 'signalId',
        rec.signalId, 'orderRef', rec.orderRef, 'data', dataJson, 'prev', head.hash, 'hash', hash];
      const [status, value] = (await APPEND_LUA.run(this.redis, [`${this.key}:head`, this.key], [headString(head), headString(next), ...fields])) as [string, string];
      if (status === 'OK') {
        this.head = next;
        this.counters.appends++;
        this.opts.onAppended?.(next);
        return { seq: next.seq, hash, id: value };
      }
      if (status === 'NOHEAD') {
        this.head = undefined;
        throw new AuditChainError(`audit head ${this.key}:head is missing but ${this.key} has entries; run "ibkr-exec audit verify"`);
      }
      const found = parseHead(value);
      if (this.head !== undefined && found.seq < this.head.seq) throw new AuditStateLostError(this.head, found);
      this.head = found;
      this.counters.conflicts++;
      if (attempt > 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, attempt)));
    }
    throw new AuditChainError(`audit append to ${this.key} lost ${this.maxAttempts} races in a row`);
  }

  /** Appends done and lost races (retried) by this instance: a metric for contention. */
  get stats(): { readonly appends: number; readonly conflicts: number } {
    return { ...this.counters };
  }

  /** The newest `n` records, oldest first. */
  tail(n: number): Promise<AuditRecord[]> {
    return tailAudit(this.redis, this.key, n);
  }
}

function toRecord(e: StreamEntry): AuditRecord {
  const f = e.fields;
  let data: unknown;
  try {
    data = JSON.parse(f.data ?? '');
  } catch {
    data = f.data;
  }
  return {
    id: e.id,
    seq: Number(f.seq),
    ts: f.ts ?? '',
    type: f.type ?? '',
    account: f.account ?? '',
    signalId: f.signalId ?? '',
    orderRef: f.orderRef ?? '',
    data,
    prev: f.prev ?? '',
    hash: f.hash ?? '',
  };
}

/** The newest `n` audit records of stream `key`, oldest first. */
export async function tailAudit(redis: Redis, key: string, n: number): Promise<AuditRecord[]> {
  const page = await redis.xrevrange(key, '+', '-', 'COUNT', n);
  return page.reverse().map(([id, flat]) => toRecord({ id, fields: fieldsToRecord(flat) }));
}

/** Check one entry against the expected (seq, prev); returns a reason or undefined. */
function checkEntry(auditKey: Buffer, f: Readonly<Record<string, string>>, seq: number, prev: string): string | undefined {
  if (f.seq !== String(seq)) return `expected seq ${seq}, found ${f.seq === undefined ? 'no seq' : `seq ${f.seq}`} (a gap: records deleted, reordered or renumbered)`;
  if (f.prev !== prev) return `prev does not match the hash of seq ${seq - 1}`;
  let dataJson: string;
  try {
    dataJson = canonicalJson(JSON.parse(f.data ?? ''));
  } catch {
    return 'data is not JSON';
  }
  if (dataJson !== f.data) return 'data is not in canonical form (edited)';
  const rec = { seq, ts: f.ts ?? '', type: f.type ?? '', account: f.account ?? '', signalId: f.signalId ?? '', orderRef: f.orderRef ?? '', dataJson };
  if (auditHash(auditKey, prev, rec) !== f.hash) return 'the hash (an HMAC) does not match the record (edited or forged, or written with another audit key)';
  return undefined;
}

/** The result of `verifyAudit`. */
export type VerifyResult =
  | { readonly ok: true; readonly count: number; readonly anchored?: Head }
  | { readonly ok: false; readonly seq: number; readonly reason: string };

/**
 * Recompute the whole keyed chain of stream `key` and compare its end with the head key `${key}:head`
 * and, when given, with the `anchor` kept outside Redis (the state directory). Detects an edited or forged
 * record, a deleted, reordered, renumbered or inserted one, truncation of the tail and deletion of the
 * whole trail (against the anchor); the result names the first bad seq or the gap. An empty stream with
 * no head and no anchor is ok (count 0).
 * Safe against a running daemon: the head is read BEFORE the stream (records appended during the scan
 * only extend the stream past it) and again after (XADD and the head move atomically, so a stream
 * longer than the later head was written without the head). The anchor lags the head (it is written after
 * each append batch), so records after the anchored seq are fine; the anchored record must match it.
 */
export async function verifyAudit(redis: Redis, key: string, auditKey: Buffer, anchor?: Head): Promise<VerifyResult> {
  const before = parseHead(await redis.get(`${key}:head`));
  let expected: Head = { seq: 0, hash: GENESIS_HASH };
  const hashAt = new Map<number, string>();
  let start = '-';
  for (;;) {
    const page = await redis.xrange(key, start, '+', 'COUNT', 1000);
    for (const [, flat] of page) {
      const f = fieldsToRecord(flat);
      const seq = expected.seq + 1;
      const reason = checkEntry(auditKey, f, seq, expected.hash);
      if (reason !== undefined) return { ok: false, seq, reason };
      expected = { seq, hash: f.hash ?? '' };
      if (seq === before.seq || seq === anchor?.seq) hashAt.set(seq, expected.hash);
    }
    if (page.length < 1000) break;
    start = `(${page[page.length - 1]?.[0] ?? ''}`;
  }
  const missing = (upTo: number, what: string): VerifyResult => ({
    ok: false,
    seq: expected.seq + 1,
    reason: expected.seq === 0 ? `the trail is empty but ${what} is seq ${upTo} (records 1–${upTo} deleted)` : `records ${expected.seq + 1}–${upTo} are missing (truncated; ${what} is seq ${upTo})`,
  });
  if (anchor !== undefined && anchor.seq > expected.seq) return missing(anchor.seq, 'the head anchored in the state directory');
  if (anchor !== undefined && anchor.seq > 0 && hashAt.get(anchor.seq) !== anchor.hash) {
    return { ok: false, seq: anchor.seq, reason: 'the record does not match the head anchored in the state directory (rewritten)' };
  }
  if (before.seq > expected.seq) return missing(before.seq, 'the head key');
  if (before.seq > 0 && hashAt.get(before.seq) !== before.hash) return { ok: false, seq: before.seq, reason: 'head hash does not match the record it names' };
  const after = parseHead(await redis.get(`${key}:head`));
  if (after.seq < expected.seq) {
    return { ok: false, seq: after.seq + 1, reason: `head key records seq ${after.seq} but the stream continues to seq ${expected.seq}` };
  }
  if (after.seq === expected.seq && after.hash !== expected.hash) return { ok: false, seq: after.seq, reason: 'head hash does not match the last record' };
  return { ok: true, count: expected.seq, ...(anchor !== undefined ? { anchored: anchor } : {}) };
}
