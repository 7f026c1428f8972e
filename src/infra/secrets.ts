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

/** Mask an account id to its last 4 characters: `DU1000001` → `*****0001`. */
export const maskAccount = (id: string): string => (id.length <= 4 ? id : '*'.repeat(id.length - 4) + id.slice(-4));

/** A Redis URL with any password (userinfo or `?password=`) replaced by `***`. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@').replace(/([?&]password=)[^&]*/, '$1***');
}
