/** The listener as the daemon runs it: up before IB, /readyz 503 until connected and reconciled; bind rules. */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import { startDaemon, type DaemonHandle } from '../../src/app/daemon.js';
import { createLogger } from '../../src/app/logger.js';
import { freePort } from '../../src/app/demo.js';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import { createRedis } from '../../src/infra/redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

function config(ibPort: number, http: Record<string, unknown>) {
  const id = randomBytes(5).toString('hex');
  const parsed = parseConfig({ ...DEFAULT_CONFIG_INPUT, ib: { host: '127.0.0.1', port: ibPort, clientId: 31 }, redis: { url: REDIS_URL, prefix: `test-dhttp-${id}` }, queue: { name: `test-dhttp-${id}` }, http }, {});
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.config;
}

async function poll<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('daemon HTTP listener', () => {
  let sim: SimulatorHandle | undefined;
  let daemon: DaemonHandle | undefined;
  const cleanup: string[] = [];
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    const r = createRedis(REDIS_URL);
    // the prefix and the queue share the name in this file
    for (const prefix of cleanup) {
      const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`bull:${prefix}:*`))];
      if (keys.length) await r.del(...keys);
    }
    r.disconnect();
  });

  it('answers /healthz and 503 on /readyz while IB is not there, then 200 once connected and reconciled', async () => {
    const [ibPort, httpPort] = [await freePort(), await freePort()];
    const c = config(ibPort, { port: httpPort });
    cleanup.push(c.redis.prefix);
    const starting = startDaemon({ config: c, env: {}, logger: createLogger({ silent: true }), ibBackoff: { initialMs: 100, maxMs: 200 } });
    const base = `http://127.0.0.1:${httpPort}`;
    const notReady = await poll(async () => {
      const r = await fetch(`${base}/readyz`);
      return r.status === 503 ? ((await r.json()) as { reason: string }) : undefined;
    }, '/readyz to answer 503');
    expect(notReady.reason).toMatch(/connecting to IB/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    sim = await startSimulator({ port: ibPort, tickIntervalMs: 0 });
    daemon = await starting;
    expect(daemon.http.url).toBe(`${base}/`);
    await poll(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), '/readyz to answer 200');
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain('data-testid="mode-badge"');
  });

  it('refuses to start on a non-loopback host without the http token, saying why', async () => {
    const c = config(1, { host: '0.0.0.0', port: 0 });
    cleanup.push(c.redis.prefix);
    await expect(startDaemon({ config: c, env: {}, logger: createLogger({ silent: true }) })).rejects.toThrow(/0\.0\.0\.0 is not loopback: set the http token/);
  });

  it('refuses to start, naming the setting, when the port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const c = config(1, { port });
    cleanup.push(c.redis.prefix);
    try {
      await expect(startDaemon({ config: c, env: {}, logger: createLogger({ silent: true }) })).rejects.toThrow(/cannot serve the dashboard on 127\.0\.0\.1:\d+: the address is in use .*set http\.port/);
    } finally {
      blocker.close();
    }
  });

  it('rejects unknown http fields and bad ports in the config', () => {
    const bad = parseConfig({ ...DEFAULT_CONFIG_INPUT, http: { hots: '127.0.0.1', port: 70000 } }, {});
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.join('\n')).toMatch(/http\.hots: unknown field/);
      expect(bad.errors.join('\n')).toMatch(/http\.port/);
    }
  });
});
