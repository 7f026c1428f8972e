/**
 * No command hangs (issue #9): `signal` (with and without --wait), `demo` and the IB queries fail within
 * their timeout with one sentence on stderr naming Redis or IB and how to start it — and never print
 * the password of a REDIS_URL. Runs `ibkr-exec` as a separate process from source (tsx); nothing listens
 * on the ports used.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/app/demo.js';

interface Proc {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ibkr-exec args…` from source, killed after 40 s (a hang shows as code 'SIGTERM'). */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, IBKR_EXEC_CONFIG: '', REDIS_PASSWORD: '', ...env }, timeout: 40_000 }, (err, stdout, stderr) => {
      const code = err ? (err.killed ? 'SIGTERM' : typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('no command hangs when Redis or IB is down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-nohang-'));
  const file = join(dir, 's.json');
  writeFileSync(file, JSON.stringify({ id: 'nohang-1', createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, side: 'BUY', size: { quantity: 1 } }));

  it('signal and signal --wait: one sentence naming Redis, no password, exit 1', async () => {
    const port = await freePort();
    const url = `redis://:hunter2SECRET@127.0.0.1:${port}`;
    for (const args of [['signal', file], ['signal', file, '--wait', '--timeout', '3000']]) {
      const r = await cli(args, { REDIS_URL: url });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^ibkr-exec: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+.*redis-server/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr + r.stdout).not.toContain('hunter2SECRET');
    }
  });

  it('demo with a REDIS_URL nobody answers: one sentence naming Redis, exit 1', async () => {
    const port = await freePort();
    const r = await cli(['demo'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ibkr-exec: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('queries with IB down: one sentence naming TWS / IB Gateway; a bad --timeout is bad usage', async () => {
    const port = await freePort();
    const r = await cli(['positions', '--timeout', '2'], { IB_PORT: String(port) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TWS \/ IB Gateway at 127\.0\.0\.1:\d+/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const bad = await cli(['positions', '--timeout', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeout/);
    rmSync(dir, { recursive: true, force: true });
  });
});
