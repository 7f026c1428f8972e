/**
 * `ibkr-exec audit verify` (a separate process, real Redis) against the tampering of the review: a moved
 * record, the tail deleted and the head reset, a record forged and the chain re-hashed, a record dropped
 * and the rest renumbered and re-hashed, the whole trail deleted, and the Redis state epoch gone. Each exits
 * 1 naming the first bad seq or the gap; the untouched trail exits 0. The attacker can write Redis but
 * does not hold the audit key (re-hashing uses a key of its own) and cannot touch the state directory.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { DEFAULT_CONFIG_INPUT } from '../../src/config.js';
import { AuditLog, GENESIS_HASH, auditHash } from '../../src/infra/audit.js';
import { AuditAnchor } from '../../src/infra/audit-anchor.js';
import { keysFor } from '../../src/infra/keys.js';
import { loadKeys } from '../../src/infra/secrets.js';
import { StateDir } from '../../src/infra/state-dir.js';
import { readStream, type StreamEntry } from '../../src/infra/streams.js';
import { REDIS, reader, waitFor } from '../integration/pipeline-helpers.js';

interface Proc {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[]): Promise<Proc> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, IBKR_EXEC_CONFIG: '' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Rewrite the stream from `records` (seq renumbered from 1): records before seq `from` are kept as they
 * are, the rest re-chained with the attacker's own key; the head moves along.
 */
async function rewriteChain(redis: Redis, stream: string, records: readonly Readonly<Record<string, string>>[], from: number): Promise<void> {
  const forger = randomBytes(32);
  await redis.del(stream, `${stream}:head`);
  let prev = GENESIS_HASH;
  for (const [i, f] of records.entries()) {
    const rec = { seq: i + 1, ts: f.ts ?? '', type: f.type ?? '', account: f.account ?? '', signalId: f.signalId ?? '', orderRef: f.orderRef ?? '', dataJson: f.data ?? '' };
    const hash = rec.seq < from ? (f.hash ?? '') : auditHash(forger, prev, rec);
    await redis.xadd(stream, '*', ...Object.entries({ ...f, seq: String(rec.seq), prev, hash }).flat());
    await redis.set(`${stream}:head`, `${rec.seq}:${hash}`);
    prev = hash;
  }
}

describe('ibkr-exec audit verify against a tampered trail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-tamper-'));
  let redis: Redis;
  const prefixes: string[] = [];

  /** A fresh deployment with a 30-record trail, its head anchored; returns its config file and keys. */
  async function deployment(): Promise<{ file: string; stream: string; epochKey: string; entries: StreamEntry[] }> {
    const prefix = `ibkr-tamper-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    const stateDir = join(dir, prefix);
    const keys = keysFor(prefix);
    const secrets = loadKeys({ env: {}, stateDir, create: true });
    const state = new StateDir(stateDir, prefix);
    state.ensure();
    const epoch = randomUUID();
    await redis.set(keys.epoch, epoch);
    state.writeEpoch({ epoch, since: new Date().toISOString() });
    const anchor = new AuditAnchor(state, epoch, { now: () => Date.now() });
    const log = new AuditLog(redis, keys.audit, secrets.audit.key, { onAppended: anchor.note });
    for (let i = 1; i <= 30; i++) await log.append({ type: 'decision', account: 'DU1000002', signalId: `s${i}`, data: { quantity: 10, i } });
    await waitFor(async () => state.readAnchor()?.seq === 30, 'the head anchored');
    const file = join(stateDir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_CONFIG_INPUT, stateDir, redis: { url: REDIS, prefix } }));
    return { file, stream: keys.audit, epochKey: keys.epoch, entries: await readStream(redis, keys.audit) };
  }

  beforeAll(() => {
    redis = reader();
  });
  afterAll(async () => {
    for (const p of prefixes) {
      const k = keysFor(p);
      await redis.del(k.audit, k.auditHead, k.epoch);
    }
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an untouched trail verifies against the anchor (exit 0)', async () => {
    const d = await deployment();
    const res = await cli(['--config', d.file, 'audit', 'verify']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toMatch(/audit chain ok: 30 records .*anchored head seq 30 matches/);
  });

  const cases: readonly [string, (d: Awaited<ReturnType<typeof deployment>>) => Promise<void>, RegExp][] = [
    ['a record moved (reordered)', async (d) => {
      const f = d.entries.map((e) => e.fields);
      await redis.del(d.stream);
      for (const x of [...f.slice(0, 4), f[5]!, f[4]!, ...f.slice(6)]) await redis.xadd(d.stream, '*', ...Object.entries(x).flat());
    }, /broken at seq 5: expected seq 5, found seq 6/],
    ['the last 5 records deleted and the head reset', async (d) => {
      for (const e of d.entries.slice(25)) await redis.xdel(d.stream, e.id);
      await redis.set(`${d.stream}:head`, `25:${d.entries[24]!.fields.hash}`);
    }, /broken at seq 26: records 26–30 are missing \(truncated; the head anchored in the state directory is seq 30\)/],
    ['seq 5 forged (quantity 999) and the chain re-hashed', async (d) => {
      const f = d.entries.map((e) => (e.fields.seq === '5' ? { ...e.fields, data: '{"i":5,"quantity":999}' } : e.fields));
      await rewriteChain(redis, d.stream, f, 5);
    }, /broken at seq 5: the hash \(an HMAC\) does not match/],
    ['seq 11 dropped and the rest renumbered and re-hashed', async (d) => {
      await rewriteChain(redis, d.stream, d.entries.filter((e) => e.fields.seq !== '11').map((e) => e.fields), 11);
    }, /broken at seq 11: the hash \(an HMAC\) does not match/],
    ['seq 11 dropped and the rest renumbered, hashes kept', async (d) => {
      await redis.del(d.stream);
      for (const [i, e] of d.entries.filter((x) => x.fields.seq !== '11').entries()) await redis.xadd(d.stream, '*', ...Object.entries({ ...e.fields, seq: String(i + 1) }).flat());
    }, /broken at seq 11: prev does not match the hash of seq 10/],
    ['the whole trail and its head deleted', async (d) => {
      await redis.del(d.stream, `${d.stream}:head`);
    }, /broken at seq 1: the trail is empty but the head anchored in the state directory is seq 30 \(records 1–30 deleted\)/],
    ['the Redis state epoch gone (Redis lost its state)', async (d) => {
      await redis.del(d.epochKey);
    }, /broken at seq 1: Redis lost its state: the state epoch is missing/],
  ];

  it.each(cases)('%s: exit 1 naming the seq or the gap', async (_name, tamper, message) => {
    const d = await deployment();
    await tamper(d);
    const res = await cli(['--config', d.file, 'audit', 'verify']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(message);
  });
});
