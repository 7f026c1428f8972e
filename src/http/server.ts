/**
 * The daemon's HTTP listener (CONTRACT §9), on fastify: the dashboard page (`GET /`, static files from
 * `./public`, no CDN, no build), `GET /api/state`, `GET /events` (SSE), the dashboard's actions, the signed
 * webhook `POST /signals`, `GET /healthz` and `GET /readyz`. Extra fastify plugins (the MCP endpoint
 * `/mcp` and the preview-approval API, `/metrics`) are passed in `plugins` and mounted as they are;
 * a plugin that authenticates its own requests lists its prefix in `selfAuthenticated`.
 *
 * Security (see security.ts): loopback by default; a non-loopback host without the http token refuses
 * to start. Every response carries a strict Content-Security-Policy: the page runs only its own script.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginCallback } from 'fastify';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isLoopbackHost, type Config } from '../config.js';
import type { Keys } from '../infra/keys.js';
import type { AuditLog } from '../infra/audit.js';
import type { TradingStateStore } from '../infra/trading-state.js';
import type { ConnectionStatus } from '../execution/broker-port.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../app/logger.js';
import { CSRF_HEADER, SESSION_COOKIE, safeEqual, securityHook, sessionValue } from './security.js';
import { registerWebhook } from './webhook.js';
import { registerEvents, StreamHub } from './events.js';
import { SnapshotBuilder, type DashboardBroker } from './snapshot.js';
import { registerActions, registerPreviewFallback, type SetTradingState } from './actions.js';
import { loginPage } from './login.js';

export interface HttpServerDeps {
  readonly config: Config;
  readonly readOnly: boolean;
  readonly redis: Redis;
  /** a second connection, used only for the blocking stream reader */
  readonly streamRedis: Redis;
  readonly keys: Keys;
  readonly audit: AuditLog;
  readonly tradingState: TradingStateStore;
  readonly broker: DashboardBroker;
  /** the signals queue (webhook ingest, queue depth, worker count) */
  readonly queue: Queue;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly setTradingState: SetTradingState;
  /** 200 on /readyz once true: connected to IB and reconciled */
  readonly ready: () => { ready: boolean; reason?: string };
  readonly secrets: { readonly token?: string; readonly webhookSecret?: string };
  readonly plugins?: readonly (FastifyPluginAsync | FastifyPluginCallback)[];
  /** path prefixes whose plugins check credentials themselves (default `/mcp`) */
  readonly selfAuthenticated?: readonly string[];
  /** the dashboard's audit chain check found a broken chain (see SnapshotDeps.onAuditBroken) */
  readonly onAuditBroken?: (seq: number, reason: string) => void;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  readonly hub: StreamHub;
  readonly snapshots: SnapshotBuilder;
  /** listens on `config.http`; resolves with the page's URL */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Thrown when the listener must not start (a non-loopback host without a token). */
export class HttpConfigError extends Error {
  override readonly name = 'HttpConfigError';
}

const PUBLIC_DIR = new URL('./public/', import.meta.url);
const JS = 'text/javascript; charset=utf-8';
const ASSETS: Readonly<Record<string, string>> = {
  '/app.js': JS,
  '/panels.js': JS,
  '/charts.js': JS,
  '/dom.js': JS,
  '/model.js': JS,
  '/style.css': 'text/css; charset=utf-8',
  '/favicon.svg': 'image/svg+xml',
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Builds the fastify app (routes registered, not listening). */
export async function createHttpServer(d: HttpServerDeps): Promise<HttpServer> {
  const { config } = d;
  const loopback = isLoopbackHost(config.http.host);
  if (!loopback && d.secrets.token === undefined) {
    throw new HttpConfigError(`http.host ${config.http.host} is not loopback: set the http token (IBKR_EXEC_HTTP_TOKEN or IBKR_EXEC_HTTP_TOKEN_FILE) or bind 127.0.0.1`);
  }
  if (d.secrets.token !== undefined && d.secrets.token.length < 16) {
    throw new HttpConfigError('the http token is shorter than 16 characters: use a long random value (e.g. openssl rand -hex 24)');
  }
  const csrf = randomBytes(24).toString('base64url');
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    (req as { rawBody?: string }).rawBody = body as string;
    try {
      done(null, (body as string) === '' ? undefined : (JSON.parse(body as string) as unknown));
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }));
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) d.logger.error({ err }, 'dashboard: request failed');
    void reply.code(status).send({ error: status === 500 ? `internal error: ${err.message}` : err.message });
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
  });
  app.addHook('onRequest', securityHook({
    ...(d.secrets.token !== undefined ? { token: d.secrets.token } : {}),
    csrf,
    loopback,
    publicPaths: ['/healthz', '/readyz', '/login', '/signals', '/favicon.svg', '/style.css'],
    selfAuthenticated: d.selfAuthenticated ?? ['/mcp'],
  }));

  let connection: ConnectionStatus | undefined;
  const hub = new StreamHub(d.streamRedis, { orders: d.keys.orders, fills: d.keys.fills, audit: d.keys.audit }, d.logger);
  const connSub = d.broker.connection$.subscribe((s) => {
    connection = s;
    hub.broadcast({ event: 'health', data: { tws: s } });
  });
  const clientId = config.ib.clientId;
  const snapshots = new SnapshotBuilder({ ...d, clientId, connection: () => connection, verifyAudit: () => d.audit.verify(), ...(d.onAuditBroken ? { onAuditBroken: d.onAuditBroken } : {}) });
  // an order or fill event means the broker facts changed: the next snapshot asks the broker again
  const unsubscribeHub = hub.subscribe((e) => {
    if ('stream' in e && e.stream !== 'audit') snapshots.invalidate();
  });
  const stopWatch = d.tradingState.watch(config.accounts.map((a) => a.id), (c) => hub.broadcast({ event: 'trading-state', data: c }), { intervalMs: 1000, onError: () => undefined });

  registerHealth(app, d);
  registerPage(app, csrf, config);
  registerLogin(app, d.secrets.token, d.clock, d.logger);
  app.get('/api/state', async () => snapshots.build());
  const endStreams = registerEvents(app, { hub, redis: d.redis, streams: { orders: d.keys.orders, fills: d.keys.fills, audit: d.keys.audit } });
  registerWebhook(app, { secret: d.secrets.webhookSecret, queue: d.queue, audit: d.audit, clock: d.clock, logger: d.logger });
  registerActions(app, { ...d, clientId, changed: () => {
    snapshots.invalidate();
    hub.broadcast({ event: 'changed', data: {} });
  } });
  for (const p of d.plugins ?? []) await app.register(p);
  registerPreviewFallback(app, d.redis, d.keys.prefix, d.clock);

  let closed = false;
  return {
    app,
    hub,
    snapshots,
    async listen() {
      hub.start();
      snapshots.startSampling();
      await app.listen({ host: config.http.host, port: config.http.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
      const host = config.http.host.includes(':') && !config.http.host.startsWith('[') ? `[${config.http.host}]` : config.http.host;
      return `http://${host}:${port}/`;
    },
    async close() {
      if (closed) return;
      closed = true;
      connSub.unsubscribe();
      unsubscribeHub();
      snapshots.stopSampling();
      stopWatch();
      endStreams();
      await hub.stop();
      await app.close();
    },
  };
}

function registerHealth(app: FastifyInstance, d: HttpServerDeps): void {
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const r = d.ready();
    const redisOk = d.redis.status === 'ready';
    if (r.ready && redisOk) return { ready: true };
    return reply.code(503).send({ ready: false, reason: !redisOk ? `Redis is ${d.redis.status}` : (r.reason ?? 'starting') });
  });
}

function registerPage(app: FastifyInstance, csrf: string, config: Config): void {
  const read = (name: string): string => readFileSync(new URL(name, PUBLIC_DIR), 'utf8');
  const index = read('index.html').replace('{{CSRF}}', csrf).replace('{{CSRF_HEADER}}', CSRF_HEADER).replaceAll('{{MODE}}', config.mode === 'live' ? 'LIVE' : 'PAPER');
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(index));
  for (const [path, type] of Object.entries(ASSETS)) {
    const body = read(path.slice(1));
    app.get(path, async (_req, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
  }
}

/** At most this many failed logins a minute (all clients together); then 429 until the minute is over. */
const MAX_FAILED_LOGINS = 10;

function registerLogin(app: FastifyInstance, token: string | undefined, clock: Clock, logger: Logger): void {
  let failures: number[] = [];
  app.get('/login', async (_req, reply) => reply.type('text/html; charset=utf-8').send(loginPage(token === undefined ? 'This listener is on loopback without a token: no login is needed.' : undefined)));
  app.post('/login', async (req, reply) => {
    if (token === undefined) return reply.redirect('/', 303);
    const now = clock.now();
    failures = failures.filter((t) => now - t < 60_000);
    if (failures.length >= MAX_FAILED_LOGINS) return reply.code(429).type('text/html; charset=utf-8').send(loginPage('Too many failed logins: wait a minute.'));
    const given = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof given !== 'string' || !safeEqual(given, token)) {
      failures.push(now);
      logger.warn({ ip: req.ip }, 'dashboard: failed login');
      return reply.code(401).type('text/html; charset=utf-8').send(loginPage('That token is not right.'));
    }
    const secure = req.protocol === 'https' ? '; Secure' : '';
    return reply.header('set-cookie', `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000${secure}`).redirect('/', 303);
  });
}
