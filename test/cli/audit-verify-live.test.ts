/**
 * `ibkr-exec audit verify` runs against a live daemon: verifying while another connection appends must
 * never report a healthy chain as truncated or broken (regression: the head used to be read after the
 * stream scan, so an append in between looked like missing records).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AuditLog, verifyAudit } from '../../src/infra/audit.js';
import { reader } from '../integration/pipeline-helpers.js';

describe('audit verify during concurrent appends', () => {
  const key = `ibkr-test-${randomUUID().slice(0, 8)}:audit`;
  const auditKey = randomBytes(32);
  let writer: Redis;
  let checker: Redis;
  beforeAll(() => {
    writer = reader();
    checker = reader();
  });
  afterAll(async () => {
    await writer.del(key, `${key}:head`);
    writer.disconnect();
    checker.disconnect();
  });

  it('every verification of a growing, untampered chain is ok', async () => {
    const log = new AuditLog(writer, key, auditKey);
    let done = false;
    const appending = (async () => {
      for (let i = 0; i < 400; i++) await log.append({ type: 'test', data: { i } });
      done = true;
    })();
    const results = [];
    while (!done) results.push(await verifyAudit(checker, key, auditKey));
    await appending;
    results.push(await verifyAudit(checker, key, auditKey));
    expect(results.length).toBeGreaterThan(5);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.at(-1)).toEqual({ ok: true, count: 400 });
  });
});
