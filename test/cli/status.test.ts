/**
 * `ibkr-exec status` against a running in-process stack (real Redis, BullMQ, the simulator over TCP):
 * the daemon's own view from its heartbeat (IB connection, each account's effective state and why), queue
 * depth, outbox counts and the last audit seq; "no daemon" and a stale heartbeat said plainly; the CLI's own
 * probe (`--probe`, or when no daemon runs) with its own client id, labelled as such; an unreachable TWS is
 * reported in the output (exit 0), an unreachable Redis is an error (exit 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import { keysFor } from '../../src/infra/keys.js';
import { tailAudit } from '../../src/infra/audit.js';
import { CliError } from '../../src/cli/output.js';
import type { StatusReport } from '../../src/cli/commands/status.js';
import { BUSINESS, IRA, PERSONAL, REDIS, reader, run, sig, waitFor } from '../integration/pipeline-helpers.js';
import { configWith, runCli } from './helpers.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('ibkr-exec status', () => {
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, daemon: { ops: { heartbeatMs: 200 } } });
    redis = reader();
    await run(stack, sig('status-1', { size: { quantity: 1 } }));
    await run(stack, sig('status-2', { accounts: [PERSONAL], size: { quantity: 1 }, order: { type: 'LMT', limitPrice: 185 } }));
    const states = new TradingStateStore(redis, keysFor(stack.config.redis.prefix), stack.secrets.controlKey);
    await states.setAccount(BUSINESS, 'REDUCE_ONLY');
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('--json reports the daemon\'s view, the probe (own client id) only when asked, accounts with states, queue, outbox and audit', async () => {
    const plain = JSON.parse((await runCli(stack.config, ['--json', 'status'])).out) as StatusReport;
    expect(plain.daemon.running).toBe(true);
    expect(plain.daemon.heartbeat?.ib).toMatchObject({ state: 'CONNECTED', clientId: stack.config.ib.clientId });
    expect(plain.connection).toBeNull(); // a daemon runs: no session of the CLI's own unless --probe
    const r = await waitFor(async () => {
      const v = JSON.parse((await runCli(stack.config, ['--json', 'status', '--probe'])).out) as StatusReport;
      return v.accounts.find((a) => a.account === BUSINESS)?.effectiveState === 'REDUCE_ONLY' ? v : undefined;
    }, "the daemon's view of the REDUCE_ONLY account");
    expect(r.connection).toEqual({ source: 'cli-probe', host: '127.0.0.1', port: stack.sim.port, clientId: stack.config.ib.clientId + 100, connected: true });
    expect(r.accounts.map((a) => [a.account, a.declaredType, a.linked, a.brokerAccountType, a.tradingState, a.effectiveState, a.why])).toEqual([
      [IRA, 'ROTH_IRA', true, 'IRA', 'ACTIVE', 'ACTIVE', null],
      [PERSONAL, 'PERSONAL', true, 'INDIVIDUAL', 'ACTIVE', 'ACTIVE', null],
      [BUSINESS, 'BUSINESS', true, 'CORPORATION', 'REDUCE_ONLY', 'REDUCE_ONLY', 'account trading state REDUCE_ONLY'],
    ]);
    expect(r.tradingState.global).toBe('ACTIVE');
    expect(r.queue.name).toBe(stack.config.queue.name);
    expect(r.queue.counts.completed).toBe(2);
    expect(r.queue.counts.waiting).toBe(0);
    expect(r.outbox.FILLED).toBe(3);
    expect(r.outbox.ACCEPTED).toBe(1);
    expect(r.outbox.INTENT).toBe(0);
    const [last] = await tailAudit(redis, `${stack.config.redis.prefix}:audit`, 1);
    expect(r.audit.lastSeq).toBeGreaterThanOrEqual(last?.seq ?? Infinity);

    // the status session left the daemon's own session alone: it still trades
    expect((await run(stack, sig('status-after-json', { accounts: [IRA], size: { quantity: 1 }, order: { type: 'LMT', limitPrice: 185 } }))).results[0]?.decision).toBe('PLACED');
  });

  it('the table says what it knows, and an undeclared state is shown per account', async () => {
    const { out } = await runCli(stack.config, ['status', '--probe', '--client-id', '555']);
    expect(out).toMatch(/daemon\s+running \(pid \d+ on .*\), taking signals/);
    expect(out).toMatch(new RegExp(`IB \\(daemon\\)\\s+CONNECTED to 127\\.0\\.0\\.1:\\d+ \\(client id ${stack.config.ib.clientId}\\)`));
    expect(out).toMatch(/broker \(probe from this CLI, not the daemon\)\s+connected to 127\.0\.0\.1:\d+ \(client id 555\)/);
    expect(out).toMatch(new RegExp(`${BUSINESS}\\s+BUSINESS\\s+THK Enterprises\\s+yes\\s+CORPORATION\\s+REDUCE_ONLY\\s+REDUCE_ONLY\\s+account trading state REDUCE_ONLY`));
    expect(out).toMatch(/queue signals-\w+\s+waiting 0, active 0, delayed 0, .*completed \d+/);
    expect(out).toMatch(/audit\s+last seq \d+/);
  });

  it('an unreachable TWS is reported in the output, not as a failure', async () => {
    const config = configWith({ ib: { host: '127.0.0.1', port: await closedPort(), clientId: 17 }, redis: { url: REDIS, prefix: stack.config.redis.prefix }, queue: { name: stack.config.queue.name } });
    const { out } = await runCli(config, ['status', '--probe', '--timeout', '2']);
    expect(out).toMatch(/broker \(probe from this CLI, not the daemon\)\s+NOT CONNECTED — cannot reach TWS \/ IB Gateway at 127\.0\.0\.1:\d+: connection refused/);
    const json = JSON.parse((await runCli(config, ['--json', 'status', '--probe', '--timeout', '2'])).out) as StatusReport;
    expect(json.connection?.connected).toBe(false);
    expect(json.queue.counts.completed).toBeGreaterThanOrEqual(2);
  });

  it('says plainly when no daemon runs (no heartbeat) and shows the probe as the CLI\'s own', async () => {
    const prefix = `status-none-${process.pid}`;
    const config = configWith({ ib: { host: '127.0.0.1', port: await closedPort(), clientId: 17 }, redis: { url: REDIS, prefix }, queue: { name: prefix } });
    const { out } = await runCli(config, ['status', '--timeout', '2']);
    expect(out).toMatch(/daemon\s+NOT RUNNING — no daemon heartbeat at status-none-\d+:daemon:status/);
    expect(out).not.toMatch(/IB \(daemon\)/);
    expect(out).toMatch(/broker \(probe from this CLI, not the daemon\)\s+NOT CONNECTED/);
    expect(out).toMatch(new RegExp(`${IRA}\\s+ROTH_IRA\\s+Roth IRA\\s+unknown`));
    const json = JSON.parse((await runCli(config, ['--json', 'status', '--timeout', '2'])).out) as StatusReport;
    expect(json.daemon).toMatchObject({ running: false, stale: false, heartbeat: null });
    expect(json.accounts.every((a) => a.linked === null)).toBe(true);
  });

  it('calls an old heartbeat stale, not running', async () => {
    const prefix = `status-stale-${process.pid}`;
    const raw = await redis.get(keysFor(stack.config.redis.prefix).daemonStatus);
    const hb = JSON.parse(raw ?? '{}') as { ts: number; staleAfterMs: number };
    await redis.set(`${prefix}:daemon:status`, JSON.stringify({ ...hb, ts: hb.ts - 60_000 }), 'EX', 30);
    try {
      const config = configWith({ ib: { host: '127.0.0.1', port: await closedPort(), clientId: 17 }, redis: { url: REDIS, prefix }, queue: { name: prefix } });
      const json = JSON.parse((await runCli(config, ['--json', 'status', '--timeout', '2'])).out) as StatusReport;
      expect(json.daemon).toMatchObject({ running: false, stale: true });
      expect(json.daemon.message).toMatch(/^STALE — the last heartbeat is \d+ s old \(pid \d+/);
      expect(json.accounts.every((a) => a.why === null)).toBe(true);
    } finally {
      await redis.del(`${prefix}:daemon:status`);
    }
  });

  it('a client id TWS refuses (already in use) is reported too', async () => {
    const { out } = await runCli(stack.config, ['--json', 'status', '--probe', '--client-id', String(stack.config.ib.clientId), '--timeout', '3']);
    const r = JSON.parse(out) as StatusReport;
    expect(r.connection?.connected).toBe(false);
    expect(r.connection?.error).toMatch(/refused client id \d+: it is already in use/);
    expect((await run(stack, sig('status-after-326', { accounts: [PERSONAL], size: { quantity: 1 } }))).results[0]?.decision).toBe('PLACED');
  });

  it('an unreachable Redis is an error with exit code 1', async () => {
    const err = await runCli(configWith({ redis: { url: 'redis://127.0.0.1:1', prefix: 'nowhere' } }), ['status']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(1);
  });

  it('a bad --client-id is bad usage (exit 2)', async () => {
    const err = await runCli(stack.config, ['status', '--client-id', 'x']).catch((e: unknown) => e);
    expect((err as CliError).exitCode).toBe(2);
  });
});
