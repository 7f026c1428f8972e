/**
 * `ibkr-exec init` and `ibkr-exec redis-acl` as separate processes: init creates the state directory (0700)
 * and both keys (0600), says where, never prints a key, and keeps existing keys on a second run; redis-acl
 * prints loadable ACL lines on stdout (hashed passwords from the environment) and its notes on stderr.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface Proc {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Proc> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, IBKR_EXEC_CONFIG: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('ibkr-exec init / redis-acl', () => {
  const home = mkdtempSync(join(tmpdir(), 'ibkr-exec-init-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('init creates the state directory and keys, says where, never prints a key, and keeps them on a second run', async () => {
    const env = { XDG_STATE_HOME: home };
    const first = await cli(['--json', 'init'], env);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as { stateDir: { path: string; created: boolean }; keys: { name: string; file: string; created: boolean }[] };
    const stateDir = join(home, 'ibkr-exec');
    expect(report.stateDir).toEqual({ path: stateDir, created: true });
    expect(report.keys.map((k) => [k.name, k.file, k.created])).toEqual([
      ['control', join(stateDir, 'keys', 'control.key'), true],
      ['audit', join(stateDir, 'keys', 'audit.key'), true],
    ]);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const keys = report.keys.map((k) => readFileSync(k.file, 'utf8').trim());
    for (const k of report.keys) expect(statSync(k.file).mode & 0o777).toBe(0o600);
    const second = await cli(['init'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/control key .* exists \(kept\)/);
    for (const k of keys) expect(first.stdout + second.stdout + first.stderr + second.stderr).not.toContain(k);
    expect(report.keys.map((k) => readFileSync(k.file, 'utf8').trim())).toEqual(keys);
  });

  it('redis-acl prints only ACL lines on stdout, with hashed passwords, and the notes on stderr', async () => {
    const res = await cli(['redis-acl'], { IBKR_EXEC_REDIS_DAEMON_PASSWORD: 'd-secret', IBKR_EXEC_REDIS_PRODUCER_PASSWORD: 'p-secret' });
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines.every((l) => l.startsWith('user '))).toBe(true);
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(lines[0]).toMatch(new RegExp(`^user default on #${sha('d-secret')} ~ibkr:\\* ~bull:signals:\\* `));
    expect(lines[1]).toMatch(new RegExp(`^user producer on #${sha('p-secret')} ~bull:signals:\\* resetchannels -@all `));
    expect(res.stdout).not.toMatch(/d-secret|p-secret/);
    expect(res.stderr).toMatch(/^# Redis ACL for ibkr-exec/);
  });
});
