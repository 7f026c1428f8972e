/**
 * Where a named secret comes from, in one order for every secret (docs/secrets.md):
 *
 *   1. the OS credential store (keyring.ts): service `ibkr-exec`, account = the name
 *   2. systemd credentials: `$CREDENTIALS_DIRECTORY/<name>` (`LoadCredential=<name>:…`)
 *   3. a file named by `<VAR>_FILE` (a regular file, owner-only mode 0600/0400)
 *   4. the environment variable `<VAR>`
 *   5. for the keys and tokens `ibkr-exec init` makes: a 0600 file in the state directory
 *
 * The first source that holds the name wins. A `<VAR>` and a `<VAR>_FILE` both set is ambiguous and
 * refused. Nothing here logs or returns a value in a message.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from './field-reader.js';
import { keyringGet, keyringService } from './keyring.js';
import type { Env } from './secrets.js';

/** Every secret ibkr-exec knows, by the name `ibkr-exec secrets` uses. */
export const SECRET_NAMES = [
  'redis-password',
  'control-key',
  'audit-key',
  'mcp-token',
  'http-token',
  'webhook-secret',
  'tws-password',
  'cp-consumer-key',
  'cp-access-token',
  'cp-access-token-secret',
  'cp-signature-key',
  'cp-encryption-key',
  'cp-dh-prime',
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** The environment variable of a secret (its file variable is `<var>_FILE`). */
export const SECRET_ENV: Readonly<Record<SecretName, string>> = {
  'redis-password': 'REDIS_PASSWORD',
  'control-key': 'IBKR_EXEC_CONTROL_KEY',
  'audit-key': 'IBKR_EXEC_AUDIT_KEY',
  'mcp-token': 'IBKR_EXEC_MCP_TOKEN',
  'http-token': 'IBKR_EXEC_HTTP_TOKEN',
  'webhook-secret': 'IBKR_EXEC_WEBHOOK_SECRET',
  'tws-password': 'TWS_PASSWORD',
  'cp-consumer-key': 'IBKR_EXEC_CP_CONSUMER_KEY',
  'cp-access-token': 'IBKR_EXEC_CP_ACCESS_TOKEN',
  'cp-access-token-secret': 'IBKR_EXEC_CP_ACCESS_TOKEN_SECRET',
  'cp-signature-key': 'IBKR_EXEC_CP_SIGNATURE_KEY',
  'cp-encryption-key': 'IBKR_EXEC_CP_ENCRYPTION_KEY',
  'cp-dh-prime': 'IBKR_EXEC_CP_DH_PRIME',
};

/** The state-directory file of the secrets `init` creates (the keys keep their historical place). */
export function stateFileOf(name: SecretName, stateDir: string): string | undefined {
  if (name === 'control-key' || name === 'audit-key') return join(stateDir, 'keys', `${name.slice(0, -4)}.key`);
  if (name === 'mcp-token' || name === 'http-token' || name === 'webhook-secret') return join(stateDir, 'secrets', name);
  return undefined;
}

/** Whether `s` names a known secret. */
export const isSecretName = (s: string): s is SecretName => (SECRET_NAMES as readonly string[]).includes(s);

export type SecretSource = 'keyring' | 'credentials-directory' | 'file' | 'env' | 'state-dir';

/** A resolved secret: the value and where it came from (the `location` is safe to print). */
export interface ResolvedSecret {
  readonly name: SecretName;
  readonly value: string;
  readonly source: SecretSource;
  readonly location: string;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * The contents of an owner-only secret file (trailing newline removed). `label` names the setting in
 * errors. Undefined when missing and `missingOk`; otherwise every problem is a ConfigError.
 */
export function readSecretFile(label: string, file: string, missingOk = false): string | undefined {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (missingOk && code === 'ENOENT') return undefined;
    throw new ConfigError([`${label}: cannot read ${file} (${code ?? String(e)})`]);
  }
  if (!st.isFile()) throw new ConfigError([`${label}: ${file} is not a regular file`]);
  if ((st.mode & 0o077) !== 0) {
    const m = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError([`${label}: ${file} has mode ${m}; it must be readable by its owner only (chmod 600)`]);
  }
  const v = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (v === '') throw new ConfigError([`${label}: ${file} is empty`]);
  return v;
}

export interface ResolveOptions {
  readonly env: Env;
  /** enables source 5 (the state directory) for the names that have a file there */
  readonly stateDir?: string;
  /** a missing `<VAR>_FILE` is "not here" rather than an error (the keys: it names where to create one) */
  readonly fileMayBeMissing?: boolean;
}

function fromKeyring(name: SecretName, env: Env): ResolvedSecret | undefined {
  const v = keyringGet(env, name);
  return v === undefined ? undefined : { name, value: v, source: 'keyring', location: `OS credential store (service ${keyringService(env)}, account ${name})` };
}

function fromCredentialsDirectory(name: SecretName, env: Env): ResolvedSecret | undefined {
  const dir = nonEmpty(env.CREDENTIALS_DIRECTORY)?.trim();
  if (dir === undefined) return undefined;
  const file = join(dir, name);
  const v = readSecretFile(`CREDENTIALS_DIRECTORY (${name})`, file, true);
  return v === undefined ? undefined : { name, value: v, source: 'credentials-directory', location: file };
}

function fromFileOrEnv(name: SecretName, o: ResolveOptions): ResolvedSecret | undefined {
  const variable = SECRET_ENV[name];
  const file = nonEmpty(o.env[`${variable}_FILE`])?.trim();
  const direct = nonEmpty(o.env[variable]);
  if (file !== undefined && direct !== undefined) throw new ConfigError([`${variable} and ${variable}_FILE are both set; use one`]);
  if (file !== undefined) {
    const v = readSecretFile(`${variable}_FILE`, file, o.fileMayBeMissing === true);
    return v === undefined ? undefined : { name, value: v, source: 'file', location: file };
  }
  return direct === undefined ? undefined : { name, value: direct, source: 'env', location: `environment variable ${variable}` };
}

function fromStateDir(name: SecretName, o: ResolveOptions): ResolvedSecret | undefined {
  if (o.stateDir === undefined || nonEmpty(o.env[`${SECRET_ENV[name]}_FILE`]) !== undefined) return undefined;
  const file = stateFileOf(name, o.stateDir);
  if (file === undefined) return undefined;
  const v = readSecretFile(`${name} in the state directory`, file, true);
  return v === undefined ? undefined : { name, value: v, source: 'state-dir', location: file };
}

/** The secret `name` from the first source that holds it, or undefined when none does. */
export function resolveSecret(name: SecretName, o: ResolveOptions): ResolvedSecret | undefined {
  return fromKeyring(name, o.env) ?? fromCredentialsDirectory(name, o.env) ?? fromFileOrEnv(name, o) ?? fromStateDir(name, o);
}

/**
 * Write `value` to a new owner-only file (0600, in a 0700 directory), never over an existing one.
 * Returns false when the file already exists (another process made it first).
 */
export function writeSecretFile(label: string, file: string, value: string): boolean {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ConfigError([`${label}: cannot create ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
}
