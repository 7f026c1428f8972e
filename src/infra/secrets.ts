/**
 * Secrets and redaction. Secrets never live in the config file (CONTRACT §2): the Redis password comes
 * from `REDIS_URL`, `REDIS_PASSWORD` or `REDIS_PASSWORD_FILE` (owner-only file, e.g. a Docker secret or
 * a systemd credential). Nothing here logs a secret.
 */
import { readFileSync, statSync } from 'node:fs';
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
  const direct = env.REDIS_PASSWORD;
  const file = envValue(env, 'REDIS_PASSWORD_FILE');
  if (direct !== undefined && direct !== '' && file !== undefined) {
    throw new ConfigError(['REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set; use one']);
  }
  if (file === undefined) return direct === '' ? undefined : direct;
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new ConfigError([`REDIS_PASSWORD_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
  if (!st.isFile()) throw new ConfigError([`REDIS_PASSWORD_FILE: ${file} is not a regular file`]);
  if ((st.mode & 0o077) !== 0) {
    const m = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError([`REDIS_PASSWORD_FILE: ${file} has mode ${m}; it must be readable by its owner only (chmod 600)`]);
  }
  const pw = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (pw === '') throw new ConfigError([`REDIS_PASSWORD_FILE: ${file} is empty`]);
  return pw;
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
