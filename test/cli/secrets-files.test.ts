/**
 * `ibkr-exec secrets` and `init` on a host without a credential store (no D-Bus session: a container, CI, a
 * system service), as separate processes: `init` makes the tokens as 0600 files in the state directory and
 * prints where, never a value; `set` says why it cannot use the store and `--to state-dir` writes a file;
 * `get` prints to a pipe but refuses a terminal (a real pty through util-linux `script`) unless `--reveal`.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface Proc {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const home = mkdtempSync(join(tmpdir(), 'ibkr-exec-secrets-files-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const stateDir = join(home, 'ibkr-exec');

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: home, IBKR_EXEC_CONFIG: '', IBKR_EXEC_KEYRING: 'on', ...extra };
  for (const k of ['DBUS_SESSION_BUS_ADDRESS', 'CREDENTIALS_DIRECTORY', 'IBKR_EXEC_HTTP_TOKEN', 'IBKR_EXEC_HTTP_TOKEN_FILE']) delete e[k];
  return e;
}

function cli(args: readonly string[], stdin = '', extra: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: env(extra), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The command with its stdout on a pseudo-terminal (util-linux `script`). */
function onTerminal(args: readonly string[]): Promise<Proc> {
  const cmd = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-qec', cmd, '/dev/null'], { env: env(), timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

// each case runs several CLI processes (tsx start-up is slow on a loaded machine)
describe('ibkr-exec secrets without a credential store', { timeout: 240_000 }, () => {
  it('init makes the keys and the tokens as 0600 files in the state directory, says where, prints no value', async () => {
    const r = await cli(['--json', 'init']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { secrets: { name: string; location: string; created: boolean }[] };
    expect(report.secrets).toEqual(['mcp-token', 'http-token', 'webhook-secret'].map((name) => ({ name, location: join(stateDir, 'secrets', name), created: true })));
    for (const s of report.secrets) {
      expect(statSync(s.location).mode & 0o777).toBe(0o600);
      const v = readFileSync(s.location, 'utf8').trim();
      expect(v).toMatch(/^[0-9a-f]{64}$/);
      expect(r.stdout + r.stderr).not.toContain(v);
    }
    const again = await cli(['init']);
    expect(again.stdout).toMatch(/http-token +\S+secrets\/http-token +exists \(kept\)/);
  });

  it('set says why the store cannot be used and what to use instead; --to state-dir writes a 0600 file once', async () => {
    const r = await cli(['secrets', 'set', 'redis-password'], 'pw\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the OS credential store is not available \(no D-Bus session.*\); use systemd credentials, REDIS_PASSWORD_FILE \(a 0600 file\) instead/);
    const noFile = await cli(['secrets', 'set', '--to', 'state-dir', 'redis-password'], 'pw\n');
    expect(noFile.stderr).toMatch(/redis-password has no file in the state directory/);
    const exists = await cli(['secrets', 'set', '--to', 'state-dir', 'http-token'], 'x\n');
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/exists; remove it first/);
    expect((await cli(['secrets', 'set', 'http-token'], '')).stderr).toMatch(/no value on standard input/);
  });

  it('get prints the resolved value to a pipe (with its source on stderr) and list never shows a value', async () => {
    const token = readFileSync(join(stateDir, 'secrets', 'http-token'), 'utf8').trim();
    const r = await cli(['secrets', 'get', 'http-token']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(token);
    expect(r.stderr).toContain(`http-token from ${join(stateDir, 'secrets', 'http-token')}`);
    const env = await cli(['secrets', 'get', 'webhook-secret'], '', { IBKR_EXEC_WEBHOOK_SECRET: 'from-env' });
    expect(env.stdout).toBe('from-env'); // the environment comes before the state directory
    const list = await cli(['secrets', 'list']);
    expect(list.stdout).toMatch(/OS credential store: unavailable: no D-Bus session/);
    expect(list.stdout).toMatch(/redis-password +not set/);
    expect(list.stdout).not.toContain(token);
    expect((await cli(['secrets', 'get', 'cp-consumer-key'])).stderr).toMatch(/cp-consumer-key is not set in any source/);
  });

  it.skipIf(!haveScript)('get refuses a terminal unless --reveal', async () => {
    const token = readFileSync(join(stateDir, 'secrets', 'http-token'), 'utf8').trim();
    const refused = await onTerminal(['secrets', 'get', 'http-token']);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/refusing to print it to a terminal: pipe it, or add --reveal/);
    expect(refused.stdout).not.toContain(token);
    const revealed = await onTerminal(['secrets', 'get', '--reveal', 'http-token']);
    expect(revealed.code).toBe(0);
    expect(revealed.stdout).toContain(token);
  });
});
