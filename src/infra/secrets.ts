/**
 * Secrets and redaction: the one module every secret is read through. Secrets never live in the config
 * file (CONTRACT §2). Each named secret (`SECRET_NAMES`: redis-password, control-key, audit-key,
 * mcp-token, http-token, webhook-secret, tws-password, the Client Portal keys) resolves in one order —
 * OS credential store, systemd `CREDENTIALS_DIRECTORY`, `<VAR>_FILE` (0600), `<VAR>`, then the state
 * directory for what `ibkr-exec init` creates (secret-sources.ts, docs/secrets.md). Nothing here logs a
 * secret.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from './field-reader.js';
import { keyringAvailable, keyringService, keyringSet, setKeyringLogger, type DebugSink } from './keyring.js';
import { readSecretFile, resolveSecret, stateFileOf, writeSecretFile, type ResolvedSecret, type SecretName } from './secret-sources.js';

export { SECRET_NAMES, SECRET_ENV, isSecretName, resolveSecret, stateFileOf, type ResolvedSecret, type SecretName, type SecretSource } from './secret-sources.js';

let keyringLog: DebugSink = { debug: () => undefined };

/** Route this module's debug lines (the credential store unavailable, …; never a value) to `logger`. */
export function setSecretsLogger(logger: DebugSink): void {
  keyringLog = logger;
  setKeyringLogger(logger);
}

export type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * Live account ids from `IBKR_EXEC_LIVE_ACCOUNTS` (comma list; blanks dropped, duplicates removed).
 * Empty when unset. Live mode trades only when this lists exactly the live accounts (CONTRACT §2).
 */
export function liveAccountsFromEnv(env: Env): readonly string[] {
  const v = env.IBKR_EXEC_LIVE_ACCOUNTS ?? '';
  return Object.freeze([...new Set(v.split(',').map((s) => s.trim()).filter((s) => s !== ''))]);
}

/**
 * The Redis password (secret `redis-password`): OS credential store, `$CREDENTIALS_DIRECTORY/redis-password`,
 * `REDIS_PASSWORD_FILE` (owner-only file), `REDIS_PASSWORD`, in that order (docs/secrets.md). Undefined when
 * none holds it (a password may still come in REDIS_URL).
 */
export function redisPassword(env: Env): string | undefined {
  return resolveSecret('redis-password', { env })?.value;
}

/**
 * A secret from the environment only: variable `name`, or the contents of the file named by `fileVar`
 * (trailing newline removed), which must be a regular, non-empty file with no group/other permission
 * bits (0600 or 0400). Both set → ConfigError. Neither → undefined. Never logs the value. For the named
 * secrets use `secret()` (which tries the credential store first).
 */
export function secretFromEnv(env: Env, name: string, fileVar: string): string | undefined {
  const direct = env[name];
  const file = envValue(env, fileVar);
  if (direct !== undefined && direct !== '' && file !== undefined) {
    throw new ConfigError([`${name} and ${fileVar} are both set; use one`]);
  }
  if (file === undefined) return direct === '' ? undefined : direct;
  return readSecretFile(fileVar, file);
}

/**
 * The named secret through the one resolution order (OS credential store, systemd credentials,
 * `<VAR>_FILE`, `<VAR>`, then the state directory when `stateDir` is given). Undefined when unset.
 */
export function secret(name: SecretName, env: Env, stateDir?: string): string | undefined {
  return resolveSecret(name, { env, ...(stateDir !== undefined ? { stateDir } : {}) })?.value;
}

/** Name of the MCP bearer token in the secrets (`IBKR_EXEC_MCP_TOKEN` / `IBKR_EXEC_MCP_TOKEN_FILE`). */
export const MCP_TOKEN_SECRET = 'mcp-token';

/**
 * The bearer token the Streamable HTTP MCP endpoint (`/mcp`) and the preview approval API require
 * (secret `mcp-token`, see `secret()`). Undefined when unset (then every such request is refused, and a
 * non-loopback listener refuses to start).
 */
export function mcpToken(env: Env, stateDir?: string): string | undefined {
  return secret('mcp-token', env, stateDir);
}

/**
 * A secret from the environment only: `<NAME>` itself, or the contents of `<NAME>_FILE` (same rules as
 * `REDIS_PASSWORD_FILE`). Both set → ConfigError.
 */
export function envSecret(env: Env, name: string): string | undefined {
  const direct = envValue(env, name);
  const file = envValue(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) throw new ConfigError([`${name} and ${name}_FILE are both set; use one`]);
  if (file === undefined) return direct;
  return readSecretFile(`${name}_FILE`, file);
}

/** The webhook secret of `POST /signals` (secret `webhook-secret`; see `secret()`). */
export const webhookSecret = (env: Env, stateDir?: string): string | undefined => secret('webhook-secret', env, stateDir);

/** The dashboard / HTTP API token (secret `http-token`; see `secret()`). */
export const httpToken = (env: Env, stateDir?: string): string | undefined => secret('http-token', env, stateDir);

/** Mask an account id to its last 4 characters: `DU1000001` → `*****0001`. */
export const maskAccount = (id: string): string => (id.length <= 4 ? id : '*'.repeat(id.length - 4) + id.slice(-4));

/** A Redis URL with any password (userinfo or `?password=`) replaced by `***`. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/, '$1***');
}


// -- the HMAC keys (control, audit) ---------------------------------------------------------------------

/**
 * The HMAC keys of a deployment (secrets `control-key`, `audit-key`), resolved like every secret
 * (`resolveSecret`): OS credential store, systemd credentials, `IBKR_EXEC_<NAME>_KEY_FILE`,
 * `IBKR_EXEC_<NAME>_KEY` (hex), then `<stateDir>/keys/<name>.key`. Never log a key; log its `location`.
 */
export type KeyName = 'control' | 'audit';

export interface KeyMaterial {
  readonly name: KeyName;
  /** the secret bytes (32) */
  readonly key: Buffer;
  /** where it came from (a path, or the credential store entry), for messages */
  readonly location: string;
  /** true when this call created it */
  readonly created: boolean;
}

const KEY_ENV: Readonly<Record<KeyName, string>> = { control: 'IBKR_EXEC_CONTROL_KEY_FILE', audit: 'IBKR_EXEC_AUDIT_KEY_FILE' };
const secretOf = (name: KeyName): SecretName => (name === 'control' ? 'control-key' : 'audit-key');

/** The file a key lives in when it is a file: the environment variable, else `<stateDir>/keys/<name>.key`. */
export function keyFilePath(name: KeyName, env: Env, stateDir: string): string {
  return envValue(env, KEY_ENV[name]) ?? join(stateDir, 'keys', `${name}.key`);
}

function toKey(name: KeyName, r: ResolvedSecret): KeyMaterial {
  const text = r.value.trim();
  if (!/^[0-9a-f]{64,}$/i.test(text)) {
    throw new ConfigError([`${secretOf(name)}: ${r.location} does not hold a key (expected at least 64 hex digits)`]);
  }
  return { name, key: Buffer.from(text, 'hex'), location: r.location, created: false };
}

/**
 * Make a missing key: 32 random bytes (hex) in the OS credential store when it answers and no key file
 * is configured, else in a new 0600 file (0700 directory) at `keyFilePath`, never over an existing one.
 */
function createKey(name: KeyName, env: Env, stateDir: string): KeyMaterial {
  const key = randomBytes(32);
  if (envValue(env, KEY_ENV[name]) === undefined && keyringAvailable(env)) {
    try {
      keyringSet(env, secretOf(name), key.toString('hex'));
      return { name, key, location: `OS credential store (service ${keyringService(env)}, account ${secretOf(name)})`, created: true };
    } catch (e) {
      keyringDebug(name, e);
    }
  }
  const file = keyFilePath(name, env, stateDir);
  if (!writeSecretFile(KEY_ENV[name], file, key.toString('hex'))) return loadKey(name, { env, stateDir });
  return { name, key, location: file, created: true };
}

function keyringDebug(name: KeyName, e: unknown): void {
  keyringLog.debug({ secret: secretOf(name), reason: (e as Error).message }, 'could not store the key in the OS credential store; writing a file');
}

/**
 * The key `name`. With `create: true` (init, the daemon's first start, the demo) a missing key is made
 * (see `createKey`); otherwise a missing key is a ConfigError that says to run `ibkr-exec init`. A key
 * file readable by others is refused.
 */
export function loadKey(name: KeyName, o: { env: Env; stateDir: string; create?: boolean }): KeyMaterial {
  const r = resolveSecret(secretOf(name), { env: o.env, stateDir: o.stateDir, fileMayBeMissing: true });
  if (r) return toKey(name, r);
  if (o.create) return createKey(name, o.env, o.stateDir);
  throw new ConfigError([
    `${KEY_ENV[name]}: no ${name} key in the OS credential store or at ${keyFilePath(name, o.env, o.stateDir)}; on the daemon's host run "ibkr-exec init" (or start the daemon once) — elsewhere "ibkr-exec secrets set ${secretOf(name)}" with the daemon's key, or copy it there (mode 0600) or point ${KEY_ENV[name]} at it: a new key cannot verify what the old one signed`,
  ]);
}

/** Both keys of a deployment. */
export interface DeploymentKeys {
  readonly control: KeyMaterial;
  readonly audit: KeyMaterial;
}

/** `loadKey` for the control and the audit key. */
export function loadKeys(o: { env: Env; stateDir: string; create?: boolean }): DeploymentKeys {
  return { control: loadKey('control', o), audit: loadKey('audit', o) };
}

// -- tokens `ibkr-exec init` creates -------------------------------------------------------------------

/** What `ensureSecret` found or made: where (never the value). */
export interface EnsuredSecret {
  readonly name: SecretName;
  readonly location: string;
  readonly created: boolean;
}

/**
 * The token `name` (mcp-token, http-token, webhook-secret) as resolved, or a new random one (32 bytes,
 * hex) made in the OS credential store when it answers, else in a 0600 file in the state directory.
 */
export function ensureSecret(name: 'mcp-token' | 'http-token' | 'webhook-secret', o: { env: Env; stateDir: string }): EnsuredSecret {
  const r = resolveSecret(name, o);
  if (r) return { name, location: r.location, created: false };
  const value = randomBytes(32).toString('hex');
  if (keyringAvailable(o.env)) {
    try {
      keyringSet(o.env, name, value);
      return { name, location: `OS credential store (service ${keyringService(o.env)}, account ${name})`, created: true };
    } catch (e) {
      keyringLog.debug({ secret: name, reason: (e as Error).message }, 'could not store the token in the OS credential store; writing a file');
    }
  }
  const file = stateFileOf(name, o.stateDir) as string;
  return { name, location: file, created: writeSecretFile(name, file, value) };
}
