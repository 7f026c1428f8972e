/**
 * Every secret set, none leaks: the stack (simulator + daemon, listener, MCP endpoint) runs against a
 * private redis-server that requires a password, with distinctive random values for the Redis password,
 * the control and audit keys, the MCP and HTTP tokens, the webhook secret, the TWS password and a Client
 * Portal key — each from a different source of the resolution order. After a placed-and-filled signal,
 * an invalid one (dead letter), webhook posts (good and badly signed), a failed login, a bearer-token
 * trading-state change (control + audit) and a wrong-token request, no log line (trace level), no Redis
 * value of any key (streams: orders, fills, audit, dead-letter; the signed trading state; hashes, strings, BullMQ jobs),
 * no HTTP response, no error and no state-directory file other than the secret's own holds any of them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { captureLogs } from '../integration/support-logs.js';
import { startPrivateRedis, type PrivateRedis } from '../integration/private-redis.js';
import { PERSONAL, resultFor, sig } from '../integration/pipeline-helpers.js';

const hex = (n: number): string => randomBytes(n).toString('hex');
const secrets = {
  redisPassword: `rp${hex(16)}`,
  controlKey: hex(32),
  auditKey: hex(32),
  mcpToken: `mcp${hex(16)}`,
  httpToken: `http${hex(16)}`,
  webhookSecret: `wh${hex(16)}`,
  twsPassword: `tws${hex(12)}`,
  cpConsumerKey: `cp${hex(12)}`,
};

/** Every form a value could take in a text: as is, base64 and, for the hex keys, their bytes in base64. */
function forms(): string[] {
  const out: string[] = [];
  for (const v of Object.values(secrets)) {
    out.push(v, Buffer.from(v).toString('base64'));
    if (/^[0-9a-f]{64}$/.test(v)) out.push(Buffer.from(v, 'hex').toString('base64'), v.toUpperCase());
  }
  return out;
}

/** Every value of every key in the private Redis, as text. */
async function dumpRedis(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await redis.keys('*')) {
    const type = await redis.type(key);
    let v: unknown;
    if (type === 'string') v = await redis.get(key);
    else if (type === 'hash') v = await redis.hgetall(key);
    else if (type === 'stream') v = await redis.xrange(key, '-', '+');
    else if (type === 'list') v = await redis.lrange(key, 0, -1);
    else if (type === 'set') v = await redis.smembers(key);
    else if (type === 'zset') v = await redis.zrange(key, 0, -1, 'WITHSCORES');
    out.set(key, JSON.stringify(v));
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('no secret in any log line, stream entry, audit record, response or error', () => {
  const root = mkdtempSync(join(tmpdir(), 'ibkr-exec-noleak-'));
  const logs = captureLogs('trace');
  const texts: string[] = []; // responses and errors seen by the clients
  let redis: PrivateRedis;
  let stack: Stack;
  let client: Redis;

  beforeAll(async () => {
    const acl = join(root, 'users.acl');
    writeFileSync(acl, `user default on >${secrets.redisPassword} ~* &* +@all\n`, { mode: 0o600 });
    redis = await startPrivateRedis({ persistence: 'aof', aclFile: acl });
    const creds = join(root, 'credentials');
    mkdirSync(creds, { mode: 0o700 });
    writeFileSync(join(creds, 'control-key'), secrets.controlKey, { mode: 0o600 });
    writeFileSync(join(creds, 'mcp-token'), secrets.mcpToken, { mode: 0o600 });
    const pwFile = join(root, 'redis_password');
    writeFileSync(pwFile, secrets.redisPassword + '\n', { mode: 0o600 });
    const whFile = join(root, 'webhook_secret');
    writeFileSync(whFile, secrets.webhookSecret, { mode: 0o600 });
    const env = {
      CREDENTIALS_DIRECTORY: creds, // control-key, mcp-token
      REDIS_PASSWORD_FILE: pwFile,
      IBKR_EXEC_WEBHOOK_SECRET_FILE: whFile,
      IBKR_EXEC_AUDIT_KEY: secrets.auditKey,
      IBKR_EXEC_HTTP_TOKEN: secrets.httpToken,
      TWS_PASSWORD: secrets.twsPassword,
      IBKR_EXEC_CP_CONSUMER_KEY: secrets.cpConsumerKey,
    };
    // the dashboard's trading-state action connects like the CLI does, from the process environment
    Object.assign(process.env, env);
    stack = await startStack({ redisUrl: redis.url, env, logger: logs.logger, config: { stateDir: join(root, 'state') } });
    client = new Redis(redis.url, { password: secrets.redisPassword, lazyConnect: true });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    for (const k of ['CREDENTIALS_DIRECTORY', 'REDIS_PASSWORD_FILE', 'IBKR_EXEC_WEBHOOK_SECRET_FILE', 'IBKR_EXEC_AUDIT_KEY', 'IBKR_EXEC_HTTP_TOKEN', 'TWS_PASSWORD', 'IBKR_EXEC_CP_CONSUMER_KEY']) delete process.env[k];
    client?.disconnect();
    await stack?.stop();
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('uses every secret (keys from their sources, Redis password accepted, tokens and webhook secret enforced)', async () => {
    expect(stack.secrets.controlKey.toString('hex')).toBe(secrets.controlKey);
    expect(stack.secrets.auditKey.toString('hex')).toBe(secrets.auditKey);
    const placed = await stack.outcome(await stack.send(sig('noleak-1', { accounts: [PERSONAL] })));
    expect(resultFor(placed, PERSONAL).decision).toBe('PLACED');
    await expect(stack.outcome(await stack.send({ id: 'noleak-bad', side: 'HOLD' }))).rejects.toThrow(/INVALID_SIGNAL/);

    const base = (stack.daemon?.http.url ?? '').replace(/\/$/, '');
    const call = async (path: string, init: RequestInit): Promise<number> => {
      const r = await fetch(base + path, init);
      texts.push(`${path} ${r.status} ${JSON.stringify([...r.headers])} ${await r.text()}`);
      return r.status;
    };
    const body = JSON.stringify(sig('noleak-webhook', { accounts: [PERSONAL] }));
    const ts = String(Math.floor(Date.now() / 1000));
    const mac = createHmac('sha256', secrets.webhookSecret).update(`${ts}.${body}`).digest('hex');
    const json = { 'content-type': 'application/json' };
    expect(await call('/signals', { method: 'POST', headers: { ...json, 'x-timestamp': ts, 'x-signature': `sha256=${mac}` }, body })).toBe(202);
    expect(await call('/signals', { method: 'POST', headers: { ...json, 'x-timestamp': ts, 'x-signature': `sha256=${'0'.repeat(64)}` }, body })).toBe(401);
    expect(await call('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=wrong', redirect: 'manual' })).toBe(401);
    const auth = { ...json, authorization: `Bearer ${secrets.httpToken}`, origin: base };
    const st = await call('/api/trading-state', { method: 'POST', headers: auth, body: JSON.stringify({ scope: 'global', state: 'REDUCE_ONLY', reason: 'leak test' }) });
    expect(st).toBe(200);
    expect(await call('/api/trading-state', { method: 'POST', headers: auth, body: JSON.stringify({ scope: 'global', state: 'ACTIVE', reason: 'leak test', confirm: 'RESUME' }) })).toBe(200);
    expect(await call('/api/trading-state', { method: 'POST', headers: { ...auth, authorization: 'Bearer wrong' }, body: '{}' })).toBeGreaterThanOrEqual(400);
    expect(await call('/mcp', { method: 'POST', headers: { ...json, authorization: 'Bearer wrong', accept: 'application/json, text/event-stream' }, body: '{}' })).toBe(401);
    const wrong = new Redis(redis.url, { password: 'not-the-password', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    wrong.on('error', (e: Error) => void texts.push(e.message));
    await wrong.connect().catch((e: Error) => texts.push(e.message));
    wrong.disconnect();
  }, 60_000);

  it('finds none of them anywhere', async () => {
    const dump = await dumpRedis(client);
    const prefix = stack.config.redis.prefix;
    const streams = [...dump.keys()].filter((k) => k.startsWith(`${prefix}:`));
    for (const s of ['orders', 'fills', 'audit', 'dead-letter']) expect(streams, `the ${s} stream has entries`).toContain(`${prefix}:${s}`);
    expect(streams, 'the signed trading state was written').toContain(`${prefix}:trading-state`);
    expect(logs.lines.length).toBeGreaterThan(10);
    const own = new Set([join(root, 'state', 'keys', 'control.key'), join(root, 'state', 'keys', 'audit.key')]);
    const stateFiles = filesUnder(join(root, 'state')).filter((f) => !own.has(f)).map((f) => `${f}: ${readFileSync(f, 'utf8')}`);
    const haystacks: [string, string][] = [
      ...logs.lines.map((l): [string, string] => ['log line', JSON.stringify(l)]),
      ...[...dump].map(([k, v]): [string, string] => [`redis ${k}`, v]),
      ...texts.map((t): [string, string] => ['response or error', t]),
      ...stateFiles.map((t): [string, string] => ['state file', t]),
    ];
    const leaks = haystacks.flatMap(([where, text]) => forms().filter((f) => text.includes(f)).map(() => `${where}: ${text.slice(0, 200)}`));
    expect(leaks).toEqual([]);
  });
});
