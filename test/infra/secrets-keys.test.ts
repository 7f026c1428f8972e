import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/infra/field-reader.js';
import { keyFilePath, loadKey } from '../../src/infra/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('key files (secrets.ts)', () => {
  it('creates a missing key 0600 in a 0700 directory only when asked, and reads it back the same', () => {
    const stateDir = join(dir, 'a');
    expect(() => loadKey('control', { env: {}, stateDir })).toThrow(/run "ibkr-exec init"/);
    const k = loadKey('control', { env: {}, stateDir, create: true });
    expect(k).toMatchObject({ created: true, location: join(stateDir, 'keys', 'control.key') });
    expect(k.key).toHaveLength(32);
    expect(statSync(k.location).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'keys')).mode & 0o777).toBe(0o700);
    const again = loadKey('control', { env: {}, stateDir, create: true });
    expect(again.created).toBe(false);
    expect(again.key.equals(k.key)).toBe(true);
    expect(readFileSync(k.location, 'utf8').trim()).toBe(k.key.toString('hex'));
  });

  it('honours IBKR_EXEC_AUDIT_KEY_FILE and refuses a key readable by others or not a key', () => {
    const file = join(dir, 'audit.key');
    const env = { IBKR_EXEC_AUDIT_KEY_FILE: file };
    expect(keyFilePath('audit', env, '/nowhere')).toBe(file);
    writeFileSync(file, 'ab'.repeat(32) + '\n', { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(() => loadKey('audit', { env, stateDir: '/nowhere' })).toThrow(ConfigError);
    expect(() => loadKey('audit', { env, stateDir: '/nowhere' })).toThrow(/mode 0644.*chmod 600/);
    chmodSync(file, 0o600);
    expect(loadKey('audit', { env, stateDir: '/nowhere' }).key.toString('hex')).toBe('ab'.repeat(32));
    writeFileSync(file, 'not a key');
    expect(() => loadKey('audit', { env, stateDir: '/nowhere' })).toThrow(/does not hold a key/);
  });
});
