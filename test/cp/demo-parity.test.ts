/**
 * The done-when of the Client Portal backend: the demo's outcome table on `--broker client-portal` is the
 * TWS demo's (decision and quantity per signal and account), over real Redis, BullMQ and sockets.
 */
import { describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../src/app/demo.js';
import { REDIS } from '../integration/pipeline-helpers.js';

const table = (r: DemoResult): string[] =>
  r.rows.flatMap((row) => (row.outcome ? row.outcome.results.map((x) => `${row.file} ${x.account} ${x.decision} ${x.quantity} ${x.reasons.map((y) => y.code).join(',')}`) : [`${row.file} INVALID`]));

describe('demo --broker client-portal', () => {
  it('prints the same outcomes as the TWS demo', async () => {
    const tws = await runDemo(REDIS, undefined, undefined, 'tws');
    const cp = await runDemo(REDIS, undefined, undefined, 'client-portal');
    expect(table(cp)).toEqual(table(tws));
    expect(cp.fills.length).toBe(tws.fills.length);
    expect(table(cp).filter((l) => / PLACED /.test(l)).length).toBeGreaterThan(10);
  }, 240_000);
});
