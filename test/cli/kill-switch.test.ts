/**
 * `ibkr-exec halt | reduce-only | resume` against a running in-process stack (real Redis, BullMQ, the
 * simulator over TCP): the keys change, the audit chain records it (and still verifies with the daemon
 * appending concurrently), the daemon obeys at once, and `halt --cancel` makes the running daemon cancel
 * its working orders at the broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { verifyAudit } from '../../src/infra/audit.js';
import { verifyControl } from '../../src/infra/signing.js';
import { decodeState } from '../../src/infra/trading-state.js';
import { CliError } from '../../src/cli/output.js';
import { IbBroker } from '../../src/ib/ib-broker.js';
import { Decimal, type OrderLeg } from '../../src/domain/types.js';
import { BUSINESS, IRA, PERSONAL, REDIS, codes, entries, reader, resultFor, run, sig, simState, waitFor } from '../integration/pipeline-helpers.js';
import { configWith, runCli } from './helpers.js';

describe('ibkr-exec halt / reduce-only / resume', () => {
  let stack: Stack;
  let redis: Redis;
  const key = (s: string) => `${stack.config.redis.prefix}:${s}`;
  const auditOf = async (type: string) => (await entries(redis, key('audit'))).filter((e) => e.fields.type === type);
  /** the signed value at a trading-state key, decoded with the stack's control key (unsigned → HALTED) */
  const stateAt = async (k: string) => decodeState(stack.secrets.controlKey, key(k), await redis.get(key(k)));

  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
    redis = reader();
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('halt sets the global key, audits {scope, previous, current, by: cli}, and the daemon denies the next signal; resume undoes it', async () => {
    const halted = await runCli(stack.config, ['halt']);
    expect(halted.out).toMatch(/^trading state \(global\): ACTIVE → HALTED \(audit seq \d+\)\n$/);
    expect(await stateAt('trading-state')).toMatchObject({ state: 'HALTED', by: 'cli' });
    expect((await stateAt('trading-state')).problem).toBeUndefined();
    const rec = (await auditOf('trading-state')).at(-1);
    expect(JSON.parse(rec?.fields.data ?? '{}')).toEqual({ scope: 'global', previous: 'ACTIVE', current: 'HALTED', by: 'cli' });

    const denied = await run(stack, sig('cli-halt-1', { accounts: [PERSONAL] }));
    expect(codes(resultFor(denied, PERSONAL))).toEqual(['HALTED']);

    const again = await runCli(stack.config, ['halt']);
    expect(again.out).toMatch(/already HALTED \(unchanged\)/);

    const resumed = await runCli(stack.config, ['--json', 'resume']);
    expect(JSON.parse(resumed.out)).toMatchObject({ scope: 'global', previous: 'HALTED', current: 'ACTIVE', changed: true });
    expect(await stateAt('trading-state')).toMatchObject({ state: 'ACTIVE', by: 'cli' });
    expect(resultFor(await run(stack, sig('cli-halt-2', { accounts: [PERSONAL] })), PERSONAL).decision).toBe('PLACED');
    expect(await verifyAudit(redis, key('audit'), stack.secrets.auditKey)).toMatchObject({ ok: true });
  });

  it('reduce-only --account sets only that account; --json reports the change', async () => {
    const res = await runCli(stack.config, ['reduce-only', '--account', BUSINESS, '--json']);
    const report = JSON.parse(res.out) as Record<string, unknown>;
    expect(report).toMatchObject({ scope: BUSINESS, previous: 'ACTIVE', current: 'REDUCE_ONLY', changed: true });
    expect(report.cancelRequestId).toBeUndefined();
    expect(await stateAt(`trading-state:${BUSINESS}`)).toMatchObject({ state: 'REDUCE_ONLY', by: 'cli' });
    expect(await stateAt('trading-state')).toMatchObject({ state: 'ACTIVE' });
    const rec = (await auditOf('trading-state')).at(-1);
    expect(rec?.fields.account).toBe(BUSINESS);
    expect(JSON.parse(rec?.fields.data ?? '{}')).toEqual({ scope: BUSINESS, previous: 'ACTIVE', current: 'REDUCE_ONLY', by: 'cli' });

    const outcome = await run(stack, sig('cli-ro-1', { accounts: [PERSONAL, BUSINESS], size: { quantity: 1 } }));
    expect(resultFor(outcome, PERSONAL).decision).toBe('PLACED');
    expect(codes(resultFor(outcome, BUSINESS))).toEqual(['REDUCE_ONLY']);
    await runCli(stack.config, ['resume', '--account', BUSINESS]);
    expect(await stateAt(`trading-state:${BUSINESS}`)).toMatchObject({ state: 'ACTIVE' });

    // an account resumed under a global halt says it is still halted
    await runCli(stack.config, ['halt']);
    await runCli(stack.config, ['halt', '--account', BUSINESS]);
    const under = await runCli(stack.config, ['resume', '--account', BUSINESS]);
    expect(under.out).toMatch(new RegExp(`trading state of ${BUSINESS}: HALTED → ACTIVE .*note: the global state is HALTED, so ${BUSINESS} is effectively HALTED`));
    await runCli(stack.config, ['resume']);
  });

  it('an account that is not declared is refused with exit code 2 and nothing changes', async () => {
    const err = await runCli(stack.config, ['halt', '--account', 'DU9999999']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toMatch(/DU9999999 is not declared/);
    expect(await redis.get(key('trading-state:DU9999999'))).toBeNull();
  });

  it('an unreachable Redis is one sentence with exit code 1', async () => {
    const err = await runCli(configWith({ redis: { url: 'redis://127.0.0.1:1', prefix: 'ibkr-cli-nowhere' } }), ['halt']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(1);
    expect((err as CliError).message).toMatch(/cannot reach Redis/);
  });

  it("halt --account X --cancel makes the running daemon cancel X's working orders only", async () => {
    const outcome = await run(stack, sig('cli-cancel-acct', { accounts: [IRA, BUSINESS], size: { quantity: 2 }, order: { type: 'LMT', limitPrice: 185 } }));
    expect(outcome.results.map((r) => r.decision)).toEqual(['PLACED', 'PLACED']);
    const bizRef = orderRefFor('cli-cancel-acct', BUSINESS, 'entry');
    const iraRef = orderRefFor('cli-cancel-acct', IRA, 'entry');
    const status = async (ref: string) => (await simState(stack)).orders.find((o) => o.orderRef === ref)?.status;
    expect(await status(bizRef)).toMatch(/Submitted/);

    const res = await runCli(stack.config, ['halt', '--account', BUSINESS, '--cancel']);
    expect(res.out).toMatch(new RegExp(`trading state of ${BUSINESS}: ACTIVE → HALTED; asked the running daemon to cancel its working orders of ${BUSINESS}`));
    await waitFor(async () => (await status(bizRef)) === 'Cancelled', `${bizRef} Cancelled at the simulator`);
    expect(await status(iraRef)).toMatch(/Submitted/);
    const control = await entries(redis, key('control'));
    const cmd = control.at(-1)?.fields ?? {};
    expect(cmd).toMatchObject({ action: 'cancel', account: BUSINESS, ts: expect.stringMatching(/^\d+$/), nonce: expect.any(String) });
    expect(verifyControl(stack.secrets.controlKey, key('control'), cmd)).toBe(true);
    await waitFor(async () => (await auditOf('kill-switch.cancel')).length > 0, 'the daemon audit record of the cancel');
    await waitFor(async () => {
      const ev = await entries(redis, key('orders'));
      return ev.some((e) => e.fields.orderRef === bizRef && e.fields.event === 'CANCELLED');
    }, 'CANCELLED on the orders stream');
    await runCli(stack.config, ['resume', '--account', BUSINESS]);
  });

  it('halt --cancel (global) cancels every working order of the daemon', async () => {
    const outcome = await run(stack, sig('cli-cancel-all', { accounts: [PERSONAL], size: { quantity: 2 }, order: { type: 'LMT', limitPrice: 186 } }));
    const ref = resultFor(outcome, PERSONAL).orderRef as string;
    const working = async () => (await simState(stack)).orders.filter((o) => /Submitted/.test(o.status)).map((o) => o.orderRef);
    expect(await working()).toContain(ref);
    expect(await working()).toContain(orderRefFor('cli-cancel-acct', IRA, 'entry'));

    const res = await runCli(stack.config, ['halt', '--cancel', '--json']);
    const report = JSON.parse(res.out) as { cancelRequestId?: string; current: string };
    expect(report.current).toBe('HALTED');
    expect(report.cancelRequestId).toMatch(/^\d+-\d+$/);
    await waitFor(async () => (await working()).length === 0, 'no working order left at the simulator');
    const state = await simState(stack);
    expect(state.orders.find((o) => o.orderRef === ref)?.status).toBe('Cancelled');
    expect(await verifyAudit(redis, key('audit'), stack.secrets.auditKey)).toMatchObject({ ok: true });
    await runCli(stack.config, ['resume']);
  });

  it('halt --account X --cancel cancels a resting bracket: parent and both children', async () => {
    const outcome = await run(stack, sig('cli-cancel-bracket', { accounts: [PERSONAL], size: { quantity: 5 }, order: { type: 'LMT', limitPrice: 185, tif: 'GTC' }, bracket: { takeProfit: 200, stopLoss: 180 } }));
    expect(resultFor(outcome, PERSONAL).decision).toBe('PLACED');
    const refs = (['entry', 'takeProfit', 'stopLoss'] as const).map((leg) => orderRefFor('cli-cancel-bracket', PERSONAL, leg));
    const legs = async () => (await simState(stack)).orders.filter((o) => refs.includes(o.orderRef));
    expect((await legs()).map((o) => o.status)).toEqual(['Submitted', 'PreSubmitted', 'PreSubmitted']);
    await runCli(stack.config, ['halt', '--account', PERSONAL, '--cancel']);
    await waitFor(async () => (await legs()).every((o) => o.status === 'Cancelled'), 'every bracket leg Cancelled');
    expect(await legs()).toHaveLength(3);
    await runCli(stack.config, ['resume', '--account', PERSONAL]);
  });
});

describe('ibkr-exec halt --cancel against a read-only daemon', () => {
  let stack: Stack;
  let manual: IbBroker;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, config: { readOnly: true } });
    manual = new IbBroker({ host: '127.0.0.1', port: stack.sim.port, clientId: 42, reconnect: false, livenessIntervalMs: 0 });
    await manual.connect();
  });
  afterAll(async () => {
    await manual?.disconnect();
    await stack?.stop();
  });

  it('sends no cancel to the broker: an order placed by someone else (another client id) keeps working', async () => {
    const leg: OrderLeg = {
      leg: 'entry', orderRef: 'manual-order-1', signalId: 'manual', account: PERSONAL,
      instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
      side: 'BUY', quantity: 1, type: 'LMT', limitPrice: new Decimal(180), tif: 'GTC', outsideRth: false,
    };
    await manual.placeOrders([leg]);
    const status = async () => (await simState(stack)).orders.find((o) => o.orderRef === 'manual-order-1')?.status;
    await waitFor(async () => /Submitted/.test((await status()) ?? ''), 'the manual order working at the simulator');

    const r = reader();
    try {
      const before = (await entries(r, `${stack.config.redis.prefix}:audit`)).length;
      const { out } = await runCli(stack.config, ['halt', '--cancel']);
      expect(out).toMatch(/note: the config is read-only: the daemon sends no cancel to the broker\n$/);
      // the daemon audits every control request it handles (refused or not)
      await waitFor(async () => (await entries(r, `${stack.config.redis.prefix}:audit`)).slice(before).some((e) => e.fields.type === 'kill-switch.cancel'), 'the daemon handling the cancel request');
    } finally {
      r.disconnect();
    }
    expect(await status()).toMatch(/Submitted/);
  });
});
