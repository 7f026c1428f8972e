/**
 * `ibkr-exec secrets` and `init` against a real Secret Service: Debian's gnome-keyring in a private D-Bus
 * session (`dbus-run-session`, `gnome-keyring-daemon --unlock` with a password on stdin), in a temporary
 * HOME. Each CLI runs as a child inside its own session; the keyring file in that HOME carries the
 * entries from one session to the next. The vitest process itself needs no session.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const haveKeyring = spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon'], { stdio: 'ignore' }).status === 0;
if (!haveKeyring) console.warn('secrets-keyring: dbus-run-session or gnome-keyring-daemon is not installed (.ci/run installs them with apt-get); skipping the Secret Service tests');

interface Proc {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const root = mkdtempSync(join(tmpdir(), 'ibkr-exec-keyring-'));
const home = join(root, 'home');
mkdirSync(join(home, '.cache'), { recursive: true });
mkdirSync(join(home, '.local', 'share'), { recursive: true });
const wrapper = join(root, 'session.sh');
writeFileSync(wrapper, 'printf "%s" "$KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 97\nexec "$@"\n');
// a session bus with no services to activate: nothing answers for org.freedesktop.secrets (a container's case)
const bareConfig = join(root, 'bare-bus.xml');
writeFileSync(
  bareConfig,
  '<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>' +
    '<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>',
);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const baseEnv = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_STATE_HOME: join(root, 'state'), IBKR_EXEC_CONFIG: '', KEYRING_PW: 'test-keyring-password', IBKR_EXEC_KEYRING: 'on' };
  for (const k of ['DBUS_SESSION_BUS_ADDRESS', 'REDIS_PASSWORD', 'REDIS_PASSWORD_FILE', 'CREDENTIALS_DIRECTORY']) delete e[k];
  return e;
};

interface SessionOptions {
  readonly stdin?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** a bus without a Secret Service (else gnome-keyring is started and unlocked in it) */
  readonly bare?: boolean;
}

/** Runs `argv` inside a fresh D-Bus session. */
function inSession(argv: readonly string[], o: SessionOptions = {}): Promise<Proc> {
  return new Promise((resolve) => {
    const args = o.bare ? [`--config-file=${bareConfig}`, '--', ...argv] : ['--', 'sh', wrapper, ...argv];
    const child = spawn('dbus-run-session', args, { env: { ...baseEnv(), ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(o.stdin ?? '');
  });
}

const cli = (args: readonly string[], o: SessionOptions = {}): Promise<Proc> =>
  inSession([process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args], o);

describe.skipIf(!haveKeyring)('ibkr-exec secrets with a real Secret Service (gnome-keyring)', () => {
  it('set reads the value from stdin, get prints it (keyring before the environment), list never shows it, delete falls back to the environment', async () => {
    const value = `rp-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    const set = await cli(['secrets', 'set', 'redis-password'], { stdin: value + '\n' });
    expect(set.stderr + set.stdout).toMatch(/stored in the OS credential store/);
    expect(set.code).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(value);

    const get = await cli(['secrets', 'get', 'redis-password'], { env: { REDIS_PASSWORD: 'from-the-environment' } });
    expect(get.code).toBe(0);
    expect(get.stdout).toBe(value); // piped: exactly the value, no newline added
    expect(get.stderr).toMatch(/from OS credential store \(service ibkr-exec, account redis-password\)/);

    const list = await cli(['--json', 'secrets', 'list']);
    expect(list.code).toBe(0);
    const rows = (JSON.parse(list.stdout) as { secrets: { name: string; where: string }[] }).secrets;
    expect(rows.find((r) => r.name === 'redis-password')?.where).toMatch(/OS credential store/);
    expect(list.stdout + list.stderr).not.toContain(value);

    expect((await cli(['secrets', 'delete', 'redis-password'])).code).toBe(0);
    const after = await cli(['secrets', 'get', 'redis-password'], { env: { REDIS_PASSWORD: 'from-the-environment' } });
    expect(after.stdout).toBe('from-the-environment');
    expect(after.stderr).toMatch(/environment variable REDIS_PASSWORD/);
    expect((await cli(['secrets', 'set', 'no-such-secret'], { stdin: 'x' })).stderr).toMatch(/unknown secret "no-such-secret": expected one of redis-password/);
  }, 240_000);

  it('init puts the missing keys and tokens in the credential store, writes no files, prints no value; the daemon\'s loadKey reads them there', async () => {
    const stateDir = join(root, 'state', 'ibkr-exec');
    const first = await cli(['--json', 'init']);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { keys: { name: string; file: string; created: boolean }[]; secrets: { name: string; location: string; created: boolean }[] };
    for (const k of report.keys) expect(k).toMatchObject({ created: true, file: expect.stringMatching(/^OS credential store/) as unknown });
    expect(report.secrets.map((s) => s.name)).toEqual(['mcp-token', 'http-token', 'webhook-secret']);
    for (const s of report.secrets) expect(s).toMatchObject({ created: true, location: expect.stringMatching(/^OS credential store/) as unknown });
    expect(existsSync(join(stateDir, 'keys'))).toBe(false);
    expect(existsSync(join(stateDir, 'secrets'))).toBe(false);

    const script = `import('./src/infra/secrets.ts').then((m) => { const k = m.loadKeys({ env: process.env, stateDir: ${JSON.stringify(stateDir)} }); process.stdout.write(JSON.stringify({ where: k.control.location, control: k.control.key.toString('hex'), audit: k.audit.key.toString('hex'), token: m.httpToken(process.env, ${JSON.stringify(stateDir)}) })); })`;
    const loaded = await inSession([process.execPath, '--import', 'tsx', '-e', script]);
    expect(loaded.code, loaded.stderr).toBe(0);
    const keys = JSON.parse(loaded.stdout) as { where: string; control: string; audit: string; token: string };
    expect(keys.where).toMatch(/OS credential store \(service ibkr-exec, account control-key\)/);
    expect(keys.control).toMatch(/^[0-9a-f]{64}$/);
    const second = await cli(['init']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/control key +OS credential store.*exists \(kept\)/);
    for (const v of [keys.control, keys.audit, keys.token]) expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(v);
  }, 240_000);

  it('a session bus without a Secret Service: lookups fall through to the next source with a debug line, set says why it cannot', async () => {
    const env = { REDIS_PASSWORD: 'env-password', IBKR_EXEC_KEYRING_TIMEOUT_MS: '2000' };
    const get = await cli(['--verbose', 'secrets', 'get', 'redis-password'], { env, bare: true });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('env-password');
    expect(get.stderr).toMatch(/debug: OS credential store unavailable; secrets come from the next source/);
    const set = await cli(['secrets', 'set', 'redis-password'], { env, bare: true, stdin: 'x' });
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/the OS credential store is not available \(.*\); use systemd credentials, REDIS_PASSWORD_FILE/);
  }, 240_000);
});
