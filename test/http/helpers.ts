/**
 * Route-test fixture: the real HTTP server (createHttpServer) on real Redis (own key prefix and queue),
 * a real BullMQ queue, the CLI's kill-switch function, and a small in-memory broker port (the broker is
 * not what these tests exercise; the browser suite runs against the simulator).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeys } from '../../src/infra/secrets.js';
import { decodeState } from '../../src/infra/trading-state.js';
import { BehaviorSubject } from 'rxjs';
import { Queue } from 'bullmq';
import { DEFAULT_CONFIG_INPUT, parseConfig, type Config } from '../../src/config.js';
import { infraOn } from '../../src/infra/index.js';
import { createRedis } from '../../src/infra/redis.js';
import { createLogger } from '../../src/app/logger.js';
import { systemClock } from '../../src/domain/clock.js';
import type { ConnectionStatus, OrderReport } from '../../src/execution/broker-port.js';
import { setTradingState } from '../../src/cli/commands/kill-switch.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import type { DashboardBroker } from '../../src/http/snapshot.js';
import { Decimal } from '../../src/domain/types.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface Fixture {
  readonly config: Config;
  readonly server: HttpServer;
  readonly redis: ReturnType<typeof createRedis>;
  readonly queue: Queue;
  readonly infra: ReturnType<typeof infraOn>;
  readonly orders: OrderReport[];
  readonly cancelled: number[];
  readonly readiness: { ready: boolean };
  url: string;
  csrf(): Promise<string>;
  /** the trading state at a key, as the daemon reads it (signature checked; missing or forged = HALTED) */
  stateOf(redisKey: string): Promise<string>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly host?: string;
  readonly token?: string;
  readonly webhookSecret?: string;
  readonly listen?: boolean;
}

export async function httpFixture(o: FixtureOptions = {}): Promise<Fixture> {
  const id = randomBytes(5).toString('hex');
  // its own state directory and keys: the kill switch signs what the trading-state store verifies
  const stateDir = mkdtempSync(join(tmpdir(), 'ibkr-http-'));
  const keys = loadKeys({ env: {}, stateDir, create: true });
  const parsed = parseConfig({ ...DEFAULT_CONFIG_INPUT, stateDir, redis: { url: REDIS_URL, prefix: `test-http-${id}` }, queue: { name: `test-http-${id}` }, http: { host: o.host ?? '127.0.0.1', port: 0 } }, {});
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const config = parsed.config;
  const redis = createRedis(REDIS_URL);
  const streamRedis = createRedis(REDIS_URL, { role: 'worker' });
  const infra = infraOn(redis, config.redis.prefix, { secrets: { controlKey: keys.control.key, auditKey: keys.audit.key }, declaredAccounts: config.accounts.map((a) => a.id) });
  // as the daemon's first start does: signed ACTIVE for global and every declared account (missing = HALTED)
  await infra.tradingState.setGlobal('ACTIVE');
  for (const a of config.accounts) await infra.tradingState.setAccount(a.id, 'ACTIVE');
  const queue = new Queue(config.queue.name, { connection: { url: REDIS_URL } });
  await queue.waitUntilReady(); // its initial writes happen now, not after the cleanup
  const orders: OrderReport[] = [];
  const cancelled: number[] = [];
  const readiness = { ready: true };
  const broker: DashboardBroker = {
    connection$: new BehaviorSubject<ConnectionStatus>({ state: 'CONNECTED', since: 0 }),
    isReadyForOrders: () => true,
    managedAccounts: async () => config.accounts.map((a) => a.id),
    accountSummaries: async () => config.accounts.map((a) => ({ account: a.id, baseCurrency: 'USD', netLiquidation: new Decimal(1000), cashByCurrency: {} })),
    positions: async () => [],
    openOrders: async () => orders,
    cancelOrder: async (orderId: number) => void cancelled.push(orderId),
    quote: async () => ({ delayed: false, stale: false, ts: 0 }),
  };
  const cleanup = async (): Promise<void> => {
    rmSync(stateDir, { recursive: true, force: true });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    for (const pattern of [`${config.redis.prefix}:*`, `bull:${config.queue.name}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    await redis.quit();
  };
  const server = await createHttpServer({
    config,
    readOnly: false,
    redis,
    streamRedis,
    keys: infra.keys,
    audit: infra.audit,
    tradingState: infra.tradingState,
    broker,
    queue,
    clock: systemClock,
    logger: createLogger({ silent: true }),
    setTradingState: (state, s) => setTradingState(config, state, s),
    ready: () => (readiness.ready ? { ready: true } : { ready: false, reason: 'connecting to IB and reconciling' }),
    secrets: { ...(o.token ? { token: o.token } : {}), ...(o.webhookSecret ? { webhookSecret: o.webhookSecret } : {}) },
  }).catch(async (e: unknown) => {
    streamRedis.disconnect();
    await cleanup();
    throw e;
  });
  const f: Fixture = {
    config,
    server,
    redis,
    queue,
    infra,
    orders,
    cancelled,
    readiness,
    url: '',
    async csrf() {
      const headers: Record<string, string> = { host: '127.0.0.1' };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      const page = await server.app.inject({ method: 'GET', url: '/', headers });
      const m = /name="ibkr-csrf" content="([^"]+)"/.exec(page.body);
      if (!m?.[1]) throw new Error('no page token in the page');
      return m[1];
    },
    stateOf: async (redisKey: string) => decodeState(keys.control.key, redisKey, await redis.get(redisKey)).state,
    async close() {
      await server.close();
      await cleanup();
    },
  };
  if (o.listen) f.url = await server.listen();
  return f;
}
