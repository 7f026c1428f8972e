/**
 * The one resolution order of secrets.ts without a credential store (the store's own tests run a real
 * Secret Service: test/cli/secrets-keyring.test.ts): CREDENTIALS_DIRECTORY, then `<VAR>_FILE`, then
 * `<VAR>`, then the state directory; and a store that never answers costs a bounded wait, not a hang.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyringDisabledReason, keyringGet, resetKeyringCache, setKeyringLogger } from '../../src/infra/keyring.js';
import { ensureSecret, httpToken, loadKey, mcpToken, redisPassword, resolveSecret, webhookSecret } from '../../src/infra/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-secrets-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretFile(path: string, value: string, mode = 0o600): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, value + '\n', { mode });
  chmodSync(path, mode);
  return path;
}

describe('secret resolution order', () => {
  it('CREDENTIALS_DIRECTORY before <VAR>_FILE before <VAR>, for every reader', () => {
    const creds = join(dir, 'creds');
    const file = secretFile(join(dir, 'files', 'redis'), 'from-file');
    for (const n of ['redis-password', 'mcp-token', 'http-token', 'webhook-secret']) secretFile(join(creds, n), `cred-${n}`);
    const all = { CREDENTIALS_DIRECTORY: creds, REDIS_PASSWORD_FILE: file, IBKR_EXEC_MCP_TOKEN: 'env-mcp' };
    expect(redisPassword(all)).toBe('cred-redis-password');
    expect(mcpToken(all)).toBe('cred-mcp-token');
    expect(httpToken(all)).toBe('cred-http-token');
    expect(webhookSecret(all)).toBe('cred-webhook-secret');
    expect(resolveSecret('redis-password', { env: all })).toMatchObject({ source: 'credentials-directory', location: join(creds, 'redis-password') });
    const noCreds = { CREDENTIALS_DIRECTORY: join(dir, 'empty'), REDIS_PASSWORD_FILE: file, IBKR_EXEC_MCP_TOKEN: 'env-mcp' };
    expect(redisPassword(noCreds)).toBe('from-file');
    expect(mcpToken(noCreds)).toBe('env-mcp');
    expect(() => redisPassword({ REDIS_PASSWORD_FILE: file, REDIS_PASSWORD: 'x' })).toThrow(/REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set/);
  });

  it('refuses a secret file readable by others, wherever it is', () => {
    const creds = join(dir, 'creds-open');
    secretFile(join(creds, 'http-token'), 'open', 0o644);
    expect(() => httpToken({ CREDENTIALS_DIRECTORY: creds })).toThrow(/mode 0644; it must be readable by its owner only/);
    const f = secretFile(join(dir, 'open-token'), 'open', 0o640);
    expect(() => httpToken({ IBKR_EXEC_HTTP_TOKEN_FILE: f })).toThrow(/IBKR_EXEC_HTTP_TOKEN_FILE: .* has mode 0640/);
  });

  it('the state directory is the last source; ensureSecret makes a missing token there (0600) and keeps it', () => {
    const stateDir = join(dir, 'state');
    expect(webhookSecret({}, stateDir)).toBeUndefined();
    const made = ensureSecret('webhook-secret', { env: {}, stateDir });
    expect(made).toEqual({ name: 'webhook-secret', location: join(stateDir, 'secrets', 'webhook-secret'), created: true });
    const v = webhookSecret({}, stateDir);
    expect(v).toMatch(/^[0-9a-f]{64}$/);
    expect(webhookSecret({ IBKR_EXEC_WEBHOOK_SECRET: 'env-wins' }, stateDir)).toBe('env-wins');
    expect(ensureSecret('webhook-secret', { env: {}, stateDir }).created).toBe(false);
    expect(webhookSecret({}, stateDir)).toBe(v);
  });

  it('a control key from systemd credentials or the environment (hex) is used as such', () => {
    const creds = join(dir, 'creds-key');
    secretFile(join(creds, 'control-key'), 'cd'.repeat(32));
    expect(loadKey('control', { env: { CREDENTIALS_DIRECTORY: creds }, stateDir: '/nowhere' })).toMatchObject({ location: join(creds, 'control-key'), created: false });
    expect(loadKey('audit', { env: { IBKR_EXEC_AUDIT_KEY: 'ef'.repeat(32) }, stateDir: '/nowhere' }).key.toString('hex')).toBe('ef'.repeat(32));
    expect(() => loadKey('audit', { env: { IBKR_EXEC_AUDIT_KEY: 'short' }, stateDir: '/nowhere' })).toThrow(/audit-key: environment variable IBKR_EXEC_AUDIT_KEY does not hold a key/);
  });
});

describe('the credential store is optional', () => {
  it('is not tried without a D-Bus session on Linux, or when IBKR_EXEC_KEYRING=off', () => {
    expect(keyringDisabledReason({}, 'linux')).toMatch(/no D-Bus session/);
    expect(keyringDisabledReason({ IBKR_EXEC_KEYRING: 'off', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'darwin')).toMatch(/IBKR_EXEC_KEYRING is off/);
    expect(keyringDisabledReason({}, 'darwin')).toBeUndefined();
  });

  it('a bus that accepts and never answers: the lookup gives up after the timeout with a debug line, and the next source is used', async () => {
    const sock = join(dir, 'silent-bus.sock');
    const held: Socket[] = [];
    const server: Server = createServer((s) => void held.push(s)); // accepts, says nothing
    await new Promise<void>((r) => server.listen(sock, r));
    const lines: string[] = [];
    setKeyringLogger({ debug: (o, msg) => void lines.push(`${msg ?? ''} ${JSON.stringify(o)}`) });
    try {
      resetKeyringCache();
      const env = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${sock}`, IBKR_EXEC_KEYRING_TIMEOUT_MS: '1500', REDIS_PASSWORD: 'next-source' };
      expect(keyringGet(env, 'redis-password')).toBeUndefined();
      expect(lines.join('\n')).toMatch(/OS credential store unavailable.*no answer within 1500 ms/);
      expect(redisPassword(env)).toBe('next-source');
      expect(lines).toHaveLength(1); // remembered: one wait per process, not one per secret
    } finally {
      setKeyringLogger({ debug: () => undefined });
      resetKeyringCache();
      for (const s of held) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
