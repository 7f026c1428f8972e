/**
 * What every command needs from the environment: the validated config and Redis connections built from
 * it. Only the CLI reads `process.env`; everything below receives values.
 */
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { loadConfig, redisPassword, type Config } from '../config.js';
import { createRedis, useRedisTopology, type RedisRole } from '../infra/redis.js';
import { keysFor, type Keys } from '../infra/keys.js';
import { loadKeys, type Env } from '../infra/secrets.js';
import { StateDir } from '../infra/state-dir.js';
import { CliError } from './output.js';
import { IbBroker } from '../ib/ib-broker.js';

/** The merged global options of a command. */
export interface GlobalOptions {
  readonly config?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Loads the config named by --config / IBKR_EXEC_CONFIG (or the defaults); warnings go to stderr. */
export function cliConfig(cmd: Command): Config {
  const opts = globalOptions(cmd);
  const config = loadConfig({
    ...(opts.config !== undefined ? { path: opts.config } : {}),
    env: process.env,
    onWarning: (w) => process.stderr.write(`ibkr-exec: warning: ${w}\n`),
  });
  useRedisTopology(config.redis); // Redis Sentinel when redis.sentinels is set (every connection of the command)
  return config;
}

/** How long a CLI command waits for Redis to answer before it gives up with one sentence. */
export const CLI_REDIS_TIMEOUT_MS = 5_000;

/**
 * A Redis connection for the config, verified with a PING within `timeoutMs`, so an outage or a refused
 * password is one clear sentence that names Redis and how to start it (never the URL's password).
 */
export async function cliRedis(config: { readonly redis: { readonly url: string } }, role: RedisRole = 'client', timeoutMs = CLI_REDIS_TIMEOUT_MS): Promise<Redis> {
  const password = redisPassword(process.env);
  const redis = createRedis(config.redis.url, {
    role,
    lazyConnect: true,
    ...(password !== undefined ? { password } : {}),
  });
  let lastError: string | undefined;
  redis.on('error', (e: Error) => (lastError = e.message)); // reported below, once
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(lastError ?? `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([(async () => {
      await redis.connect();
      await redis.ping();
    })(), timeout]);
  } catch (e) {
    redis.disconnect();
    throw new CliError(redisProblem(config.redis.url, (e as Error).message));
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/** The one sentence for a Redis that does not answer (or refuses the password). */
export function redisProblem(url: string, reason: string): string {
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(reason)) {
    return `Redis at ${safeUrl(url)} refused the credentials (${reason.split('\n')[0]}) — check REDIS_PASSWORD / REDIS_PASSWORD_FILE`;
  }
  return `cannot reach Redis at ${safeUrl(url)}: ${reason.split('\n')[0]} — is redis-server running? Start it with \`redis-server\` (or \`docker compose up -d redis\`); REDIS_URL overrides the config`;
}

export function cliKeys(config: Config): Keys {
  return keysFor(config.redis.prefix);
}

/**
 * The control and audit keys for a command (never created here: a missing key is exit 2 with a sentence
 * saying to run `ibkr-exec init`). Read from the same place the daemon uses (secrets.ts).
 */
export function cliSecrets(config: Config, env: Env = process.env): { controlKey: Buffer; auditKey: Buffer } {
  const k = loadKeys({ env, stateDir: config.stateDir });
  return { controlKey: k.control.key, auditKey: k.audit.key };
}

/** The deployment's state directory (read only by commands; the daemon and `init` create it). */
export function cliStateDir(config: Config): StateDir {
  return new StateDir(config.stateDir, config.redis.prefix);
}

/** The URL without credentials, for messages. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/**
 * A one-shot IB session for a CLI command: one connection attempt (no reconnect loop), no liveness probe,
 * every wait bounded by `timeoutMs`. The caller disconnects it.
 */
export async function connectCliBroker(c: { host: string; port: number; clientId: number; timeoutMs: number }): Promise<IbBroker> {
  const broker = new IbBroker({
    host: c.host,
    port: c.port,
    clientId: c.clientId,
    reconnect: false,
    livenessIntervalMs: 0,
    connectTimeoutMs: c.timeoutMs,
    handshakeTimeoutMs: c.timeoutMs,
    queries: { timeoutMs: c.timeoutMs },
  });
  try {
    await broker.connect();
  } catch (e) {
    await broker.disconnect();
    throw e;
  }
  return broker;
}
