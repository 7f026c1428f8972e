/**
 * The daemon's side of the HTTP listener: builds its dependencies from the daemon's parts (secrets from
 * the environment, a producer queue for the webhook, a blocking connection for the stream reader, the
 * CLI's kill-switch function) and starts it on `http.host:http.port`. `src/app/daemon.ts` calls this once.
 */
import { Queue } from 'bullmq';
import type { FastifyPluginAsync, FastifyPluginCallback } from 'fastify';
import type { Config, Env } from '../config.js';
import { httpToken, webhookSecret } from '../infra/secrets.js';
import type { Infra } from '../infra/index.js';
import { createRedis, redisOptionsFor } from '../infra/redis.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../app/logger.js';
import { setTradingState } from '../cli/commands/kill-switch.js';
import type { DashboardBroker } from './snapshot.js';
import { createHttpServer, HttpConfigError, type HttpServer } from './server.js';

/** What a plugin of the listener may use: the daemon's own parts (built inside `startDaemon`). */
export interface HttpPluginContext {
  readonly config: Config;
  readonly env: Env;
  readonly infra: Infra;
  readonly broker: DashboardBroker;
  readonly readOnly: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Builds extra plugins (the MCP endpoint and its approval API, `/metrics`) from the daemon's parts. */
export type HttpPluginsFactory = (ctx: HttpPluginContext) => readonly (FastifyPluginAsync | FastifyPluginCallback)[];

export interface DaemonHttpOptions {
  readonly config: Config;
  readonly env: Env;
  readonly password: string | undefined;
  readonly infra: Infra;
  readonly broker: DashboardBroker;
  readonly readOnly: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ready: () => { ready: boolean; reason?: string };
  readonly plugins?: HttpPluginsFactory;
  /** the dashboard's audit chain check found a broken chain */
  readonly onAuditBroken?: (seq: number, reason: string) => void;
}

export interface DaemonHttp {
  readonly url: string;
  readonly server: HttpServer;
  close(): Promise<void>;
}

/** Starts the listener; throws (the daemon does not start) when the config or the port forbids it. */
export async function startDaemonHttp(o: DaemonHttpOptions): Promise<DaemonHttp> {
  const { config, infra } = o;
  const pw = o.password !== undefined ? { password: o.password } : {};
  const queue = new Queue(config.queue.name, { connection: { url: config.redis.url, ...redisOptionsFor({ role: 'producer', connectionName: 'ibkr-exec:http', ...pw }) } });
  queue.on('error', () => undefined);
  const streamRedis = createRedis(config.redis.url, { role: 'worker', connectionName: 'ibkr-exec:http-events', ...pw });
  streamRedis.on('error', () => undefined);
  const token = httpToken(o.env, config.stateDir);
  const secret = webhookSecret(o.env, config.stateDir);
  let server: HttpServer | undefined;
  try {
    server = await createHttpServer({
      config,
      readOnly: o.readOnly,
      redis: infra.redis,
      streamRedis,
      keys: infra.keys,
      audit: infra.audit,
      tradingState: infra.tradingState,
      broker: o.broker,
      queue,
      clock: o.clock,
      logger: o.logger.child({ component: 'http' }),
      setTradingState: (state, s) => setTradingState(config, state, s),
      ready: o.ready,
      ...(o.onAuditBroken ? { onAuditBroken: o.onAuditBroken } : {}),
      secrets: { ...(token !== undefined ? { token } : {}), ...(secret !== undefined ? { webhookSecret: secret } : {}) },
      ...(o.plugins ? { plugins: o.plugins({ config, env: o.env, infra, broker: o.broker, readOnly: o.readOnly, clock: o.clock, logger: o.logger }) } : {}),
    });
    const url = await server.listen().catch((e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the address is in use (another daemon?)' : e.code === 'EACCES' ? 'permission denied' : e.message;
      throw new HttpConfigError(`cannot serve the dashboard on ${config.http.host}:${config.http.port}: ${why}; set http.port (or http.host) in the config`);
    });
    o.logger.info({ url, webhook: secret !== undefined, token: token !== undefined }, `dashboard on ${url}`);
    const s = server;
    return { url, server: s, close: async () => {
      await s.close();
      await queue.close();
    } };
  } catch (e) {
    await server?.close().catch(() => undefined);
    streamRedis.disconnect();
    // closing a BullMQ queue before its connection finished initializing leaves a rejection unhandled
    await queue.waitUntilReady().catch(() => undefined);
    await queue.close().catch(() => undefined);
    throw e;
  }
}
