/**
 * The kill switch and status as a user runs them: a separate `ibkr-exec` process (the CLI entry point run
 * from source with tsx, so no build is needed) with a config file, against a running in-process stack.
 * Checks exit codes (0 / 1 / 2), one-sentence errors on stderr, and that `halt --cancel` from another
 * process cancels the daemon's working order at the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from '../../src/app/stack.js';
import { DEFAULT_CONFIG_INPUT } from '../../src/config.js';
import { decodeState } from '../../src/infra/trading-state.js';
import { PERSONAL, REDIS, reader, resultFor, run, sig, simState, waitFor } from '../integration/pipeline-helpers.js';

interface Proc {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ibkr-exec args…` from source; never rejects. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, IBKR_EXEC_CONFIG: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('ibkr-exec halt / status as a separate process', () => {
  let stack: Stack;
  let dir: string;
  let configFile: string;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
    dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-cli-'));
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      ...DEFAULT_CONFIG_INPUT,
      ib: { host: '127.0.0.1', port: stack.sim.port, clientId: stack.config.ib.clientId },
      stateDir: stack.config.stateDir,
      redis: { url: REDIS, prefix: stack.config.redis.prefix },
      queue: { name: stack.config.queue.name },
    }));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await stack?.stop();
  });

  it('halt --cancel cancels the running daemon’s working LMT order; resume reopens trading (exit 0)', async () => {
    const placed = resultFor(await run(stack, sig('proc-lmt', { accounts: [PERSONAL], size: { quantity: 3 }, order: { type: 'LMT', limitPrice: 185 } })), PERSONAL);
    expect(placed.decision).toBe('PLACED');
    const status = async () => (await simState(stack)).orders.find((o) => o.orderRef === placed.orderRef)?.status;
    expect(await status()).toMatch(/Submitted/);

    const halt = await cli(['--config', configFile, 'halt', '--cancel']);
    expect(halt.stderr).toBe('');
    expect(halt.code).toBe(0);
    expect(halt.stdout).toMatch(/^trading state \(global\): ACTIVE → HALTED; asked the running daemon to cancel its working orders \(all accounts\)/);
    await waitFor(async () => (await status()) === 'Cancelled', 'the LMT order Cancelled at the simulator');

    const redis = reader();
    try {
      expect(decodeState(stack.secrets.controlKey, `${stack.config.redis.prefix}:trading-state`, await redis.get(`${stack.config.redis.prefix}:trading-state`))).toMatchObject({ state: 'HALTED', by: 'cli' });
    } finally {
      redis.disconnect();
    }
    const resume = await cli(['--config', configFile, '--json', 'resume']);
    expect(resume.code).toBe(0);
    expect(JSON.parse(resume.stdout)).toMatchObject({ scope: 'global', previous: 'HALTED', current: 'ACTIVE' });
  });

  it('status exits 0 with the table, also when TWS is unreachable; 1 when Redis is unreachable', async () => {
    const ok = await cli(['--config', configFile, 'status']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/daemon\s+running \(pid \d+/);
    expect(ok.stdout).toMatch(/IB \(daemon\)\s+CONNECTED to 127\.0\.0\.1/);

    const noTws = await cli(['--config', configFile, 'status', '--probe', '--timeout', '2'], { IB_PORT: '1' });
    expect(noTws.code).toBe(0);
    expect(noTws.stdout).toMatch(/NOT CONNECTED/);

    const noRedis = await cli(['--config', configFile, 'status'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toMatch(/^ibkr-exec: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(noRedis.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an undeclared --account is bad usage: exit 2, one sentence on stderr', async () => {
    const res = await cli(['--config', configFile, 'reduce-only', '--account', 'DU0000000']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^ibkr-exec: --account: DU0000000 is not declared in the config/);
  });
});
