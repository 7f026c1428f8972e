/**
 * Secrets and redaction. Secrets never live in the config file (CONTRACT §2): the Redis password comes
 * from `REDIS_URL`, `REDIS_PASSWORD` or `REDIS_PASSWORD_FILE` (owner-only file, e.g. a Docker secret or
 * a systemd credential). The HMAC keys (control, audit) come from `loadKey` below. Nothing here logs a secret.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from './field-reader.js';

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
 * The Redis password from the environment: `REDIS_PASSWORD`, or the contents of `REDIS_PASSWORD_FILE`
 * (trailing newline removed), which must be a regular file with no group/other permission bits (0600 or
 * 0400). Both set → ConfigError. Neither → undefined (a password may still come in REDIS_URL).
 */
export function redisPassword(env: Env): string | undefined {
  return secretFromEnv(env, 'REDIS_PASSWORD', 'REDIS_PASSWORD_FILE');
}

/**
 * A secret from the environment: variable `name`, or the contents of the file named by `fileVar`
 * (trailing newline removed), which must be a regular, non-empty file with no group/other permission
 * bits (0600 or 0400). Both set → ConfigError. Neither → undefined. Never logs the value.
 */
export function secretFromEnv(env: Env, name: string, fileVar: string): string | undefined {
  const direct = env[name];
  const file = envValue(env, fileVar);
  if (direct !== undefined && direct !== '' && file !== undefined) {
    throw new ConfigError([`${name} and ${fileVar} are both set; use one`]);
  }
  if (file === undefined) return direct === '' ? undefined : direct;
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new ConfigError([`${fileVar}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
  if (!st.isFile()) throw new ConfigError([`${fileVar}: ${file} is not a regular file`]);
  if ((st.mode & 0o077) !== 0) {
    const m = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError([`${fileVar}: ${file} has mode ${m}; it must be readable by its owner only (chmod 600)`]);
  }
  const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError([`${fileVar}: ${file} is empty`]);
  return value;
}

/** Name of the MCP bearer token in the secrets (`IBKR_EXEC_MCP_TOKEN` / `IBKR_EXEC_MCP_TOKEN_FILE`). */
export const MCP_TOKEN_SECRET = 'mcp-token';

/**
 * The bearer token the Streamable HTTP MCP endpoint (`/mcp`) and the preview approval API require:
 * `IBKR_EXEC_MCP_TOKEN`, or the contents of the 0600 file `IBKR_EXEC_MCP_TOKEN_FILE`. Undefined when
 * neither is set (then every such request is refused, and a non-loopback listener refuses to start).
 */
export function mcpToken(env: Env): string | undefined {
  return secretFromEnv(env, 'IBKR_EXEC_MCP_TOKEN', 'IBKR_EXEC_MCP_TOKEN_FILE');
}

/**
 * A secret from the environment: `<NAME>` itself, or the contents of `<NAME>_FILE` (same rules as
 * `REDIS_PASSWORD_FILE`: a regular file, owner-only mode, trailing newline removed). Both set → ConfigError.
 */
export function envSecret(env: Env, name: string): string | undefined {
  const direct = envValue(env, name);
  const file = envValue(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) throw new ConfigError([`${name} and ${name}_FILE are both set; use one`]);
  if (file === undefined) return direct;
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new ConfigError([`${name}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
  if (!st.isFile()) throw new ConfigError([`${name}_FILE: ${file} is not a regular file`]);
  if ((st.mode & 0o077) !== 0) {
    const m = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError([`${name}_FILE: ${file} has mode ${m}; it must be readable by its owner only (chmod 600)`]);
  }
  const v = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (v === '') throw new ConfigError([`${name}_FILE: ${file} is empty`]);
  return v;
}

/** The webhook secret of `POST /signals` (the `webhook-secret` secret): `IBKR_EXEC_WEBHOOK_SECRET` or `…_FILE`. */
export const webhookSecret = (env: Env): string | undefined => envSecret(env, 'IBKR_EXEC_WEBHOOK_SECRET');

/** The dashboard / HTTP API token (the `http-token` secret): `IBKR_EXEC_HTTP_TOKEN` or `…_FILE`. */
export const httpToken = (env: Env): string | undefined => envSecret(env, 'IBKR_EXEC_HTTP_TOKEN');

/** Mask an account id to its last 4 characters: `DU1000001` → `*****0001`. */
export const maskAccount = (id: string): string => (id.length <= 4 ? id : '*'.repeat(id.length - 4) + id.slice(-4));

/** A Redis URL with any password (userinfo or `?password=`) replaced by `***`. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/, '$1***');
}

// -- key files (control key, audit key) ---------------------------------------------------------------

/**
 * The HMAC keys of a deployment. Where each comes from is this module's business alone: today a file
 * (`IBKR_EXEC_<NAME>_KEY_FILE`, else `<stateDir>/keys/<name>.key`); an OS keyring can be put in front by
 * adding a `KeySource` to `KEY_SOURCES` without touching any caller. Never log a key; log its `file`.
 */
export type KeyName = 'control' | 'audit';

export interface KeyMaterial {
  readonly name: KeyName;
  /** the secret bytes (32) */
  readonly key: Buffer;
  /** where it came from (a path), for messages */
  readonly location: string;
  /** true when this call created it */
  readonly created: boolean;
}

const KEY_ENV: Readonly<Record<KeyName, string>> = { control: 'IBKR_EXEC_CONTROL_KEY_FILE', audit: 'IBKR_EXEC_AUDIT_KEY_FILE' };

/** The file a key lives in: the environment variable, else `<stateDir>/keys/<name>.key`. */
export function keyFilePath(name: KeyName, env: Env, stateDir: string): string {
  return envValue(env, KEY_ENV[name]) ?? join(stateDir, 'keys', `${name}.key`);
}

/** A source of keys, tried in order; `undefined` = not held there. */
interface KeySource {
  read(name: KeyName, env: Env, stateDir: string): KeyMaterial | undefined;
  create(name: KeyName, env: Env, stateDir: string): KeyMaterial;
}

const fileSource: KeySource = {
  read(name, env, stateDir) {
    const file = keyFilePath(name, env, stateDir);
    let st;
    try {
      st = statSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConfigError([`${KEY_ENV[name]}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
    }
    if (!st.isFile()) throw new ConfigError([`${KEY_ENV[name]}: ${file} is not a regular file`]);
    if ((st.mode & 0o077) !== 0) {
      const m = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new ConfigError([`${KEY_ENV[name]}: ${file} has mode ${m}; the ${name} key must be readable by its owner only (chmod 600)`]);
    }
    const text = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64,}$/i.test(text)) throw new ConfigError([`${KEY_ENV[name]}: ${file} does not hold a key (expected at least 64 hex digits)`]);
    return { name, key: Buffer.from(text, 'hex'), location: file, created: false };
  },
  create(name, env, stateDir) {
    const file = keyFilePath(name, env, stateDir);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    try {
      // 'wx': never overwrite a key another process just created
      writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fileSource.read(name, env, stateDir) as KeyMaterial;
      throw new ConfigError([`${KEY_ENV[name]}: cannot create ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
    }
    return { name, key, location: file, created: true };
  },
};

const KEY_SOURCES: readonly KeySource[] = [fileSource];

/**
 * The key `name`. With `create: true` (init, the daemon's first start, the demo) a missing key is made
 * (32 random bytes, hex, mode 0600, in a 0700 directory); otherwise a missing key is a ConfigError that
 * says to run `ibkr-exec init`. A key file readable by others is refused.
 */
export function loadKey(name: KeyName, o: { env: Env; stateDir: string; create?: boolean }): KeyMaterial {
  for (const s of KEY_SOURCES) {
    const k = s.read(name, o.env, o.stateDir);
    if (k) return k;
  }
  if (o.create) return (KEY_SOURCES[0] as KeySource).create(name, o.env, o.stateDir);
  throw new ConfigError([
    `${KEY_ENV[name]}: no ${name} key at ${keyFilePath(name, o.env, o.stateDir)}; on the daemon's host run "ibkr-exec init" (or start the daemon once) — elsewhere copy the daemon's key there (mode 0600) or point ${KEY_ENV[name]} at it: a new key cannot verify what the old one signed`,
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
