/**
 * The compose file works when followed literally: after `cp .env.example .env` the daemon still dials the
 * Gateway service (not its own loopback), mounts the user's config (not the demo's), waits for a healthy
 * Gateway and Redis, and gets its Redis password as a Docker secret file. Checked on the output of
 * `docker-compose config` / `docker compose config` when one is installed (.ci/run installs it), else on
 * the file itself.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition?: string }>;
  volumes?: (string | { source?: string; target?: string })[];
  secrets?: (string | { source: string })[];
  healthcheck?: { test?: string | string[] };
  ports?: (string | { published?: string | number; host_ip?: string })[];
  profiles?: string[];
}

const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-compose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['docker-compose.yml', '.env.example']) copyFileSync(f, join(dir, f));
copyFileSync('.env.example', join(dir, '.env')); // the documented first step
mkdirSync(join(dir, 'secrets'));
for (const f of ['tws_password', 'redis_users.acl', 'redis_daemon_password']) writeFileSync(join(dir, 'secrets', f), 'x', { mode: 0o600 });
writeFileSync(join(dir, 'config.yaml'), 'accounts: []\n');

function composeBinary(): string[] | undefined {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return undefined;
}

/** The effective model: `compose config` with .env read, or the raw file when no compose is installed. */
function model(): { services: Record<string, Service>; validated: boolean } {
  const bin = composeBinary();
  if (bin === undefined) {
    console.warn('secrets-compose: neither docker-compose nor docker compose is installed; checking the raw file only');
    return { services: (parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, Service> }).services, validated: false };
  }
  const [cmd, ...pre] = bin as [string, ...string[]];
  const env = { PATH: process.env.PATH ?? '', HOME: dir, TWS_USERID: 'someone' };
  const r = spawnSync(cmd, [...pre, 'config'], { cwd: dir, env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { services: (parse(r.stdout) as { services: Record<string, Service> }).services, validated: true };
}

const envOf = (s: Service): Record<string, string> =>
  Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : (s.environment ?? {});
const names = (xs: Service['secrets']): string[] => (xs ?? []).map((x) => (typeof x === 'string' ? x : x.source));

describe('docker-compose.yml', () => {
  const { services, validated } = model();
  const daemon = services.daemon as Service;
  const gateway = services['ib-gateway'] as Service;

  it('the daemon dials the Gateway service whatever .env says, and Redis by service name', () => {
    const env = envOf(daemon);
    expect(env.IB_HOST).toBe('ib-gateway');
    expect(env.IB_PORT).toBe('4004');
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(readFileSync('.env.example', 'utf8')).toMatch(/^IB_HOST=127\.0\.0\.1$/m); // the CLI's, on the host
  });

  it('mounts the user\'s config, not the demo\'s, and keeps the state in a volume', () => {
    const mounts = (daemon.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source ?? ''}:${v.target ?? ''}`));
    const config = mounts.find((m) => m.includes(':/app/config/config.yaml'));
    expect(config).toBeDefined();
    expect(config).not.toMatch(/examples/);
    if (validated) expect(config?.startsWith(`${resolve(dir, 'config.yaml')}:`)).toBe(true);
    expect(mounts.some((m) => m.startsWith('state-data:') || m.includes(':/state'))).toBe(true);
  });

  it('waits for a healthy Redis and a healthy Gateway; both have a healthcheck; the Gateway is not behind a profile', () => {
    expect(daemon.depends_on?.redis?.condition).toBe('service_healthy');
    expect(daemon.depends_on?.['ib-gateway']?.condition).toBe('service_healthy');
    expect(services.redis?.healthcheck?.test).toBeDefined();
    expect(JSON.stringify(gateway.healthcheck?.test)).toMatch(/\/dev\/tcp\/127\.0\.0\.1\/\$\$?p/);
    expect(gateway.profiles).toBeUndefined();
  });

  it('passes secrets as files, never as values, and publishes nothing beyond loopback', () => {
    expect(envOf(daemon).REDIS_PASSWORD_FILE).toBe('/run/secrets/redis_daemon_password');
    expect(names(daemon.secrets)).toContain('redis_daemon_password');
    expect(envOf(gateway).TWS_PASSWORD_FILE).toBe('/run/secrets/tws_password');
    expect(names(gateway.secrets)).toContain('tws_password');
    for (const s of Object.values(services)) {
      expect(Object.keys(envOf(s)).filter((k) => /PASSWORD$|TOKEN$|SECRET$|_KEY$/.test(k))).toEqual([]);
      for (const p of s.ports ?? []) expect(typeof p === 'string' ? p : String(p.host_ip)).toMatch(/^127\.0\.0\.1/);
    }
  });
});
