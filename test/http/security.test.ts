/** Who may do what: loopback Host check, page token and same-origin on state changes, the http token and login. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tailAudit } from '../../src/infra/audit.js';
import { HttpConfigError } from '../../src/http/server.js';
import { httpFixture, type Fixture } from './helpers.js';

const HOST = '127.0.0.1:7700';

describe('loopback listener without a token', () => {
  let f: Fixture;
  let csrf: string;
  beforeAll(async () => {
    f = await httpFixture();
    csrf = await f.csrf();
  });
  afterAll(async () => f.close());

  const halt = (headers: Record<string, string>) =>
    f.server.app.inject({ method: 'POST', url: '/api/trading-state', payload: { scope: 'global', state: 'HALTED', reason: 'test' }, headers: { host: HOST, 'content-type': 'application/json', ...headers } });

  it('serves the page and the state to loopback host names, and refuses another Host (DNS rebinding)', async () => {
    expect((await f.server.app.inject({ method: 'GET', url: '/', headers: { host: HOST } })).statusCode).toBe(200);
    expect((await f.server.app.inject({ method: 'GET', url: '/api/state', headers: { host: 'localhost:7700' } })).statusCode).toBe(200);
    const rebound = await f.server.app.inject({ method: 'GET', url: '/api/state', headers: { host: 'evil.example:7700' } });
    expect(rebound.statusCode).toBe(421);
    // the probes answer whatever the Host
    expect((await f.server.app.inject({ method: 'GET', url: '/healthz', headers: { host: 'evil.example' } })).statusCode).toBe(200);
  });

  it('refuses a state change without the page token, or from another origin', async () => {
    expect((await halt({})).statusCode).toBe(403);
    expect((await halt({ 'x-ibkr-csrf': 'wrong' })).statusCode).toBe(403);
    expect((await halt({ 'x-ibkr-csrf': csrf, origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await halt({ 'x-ibkr-csrf': csrf, 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect(await f.stateOf(f.infra.keys.tradingState)).toBe('ACTIVE');
  });

  it('Halt through the page sets the trading state in Redis and audits it (kill-switch record + reason)', async () => {
    const res = await halt({ 'x-ibkr-csrf': csrf, origin: `http://${HOST}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ scope: 'global', previous: 'ACTIVE', current: 'HALTED' });
    expect(await f.stateOf(f.infra.keys.tradingState)).toBe('HALTED');
    const [ks, action] = await tailAudit(f.redis, f.infra.keys.audit, 2);
    expect(ks).toMatchObject({ type: 'trading-state', data: { scope: 'global', previous: 'ACTIVE', current: 'HALTED' } });
    expect(action).toMatchObject({ type: 'dashboard.action', data: { current: 'HALTED', reason: 'test', by: 'dashboard' } });
  });

  it('Resume needs a reason and the typed confirmation', async () => {
    const resume = (body: Record<string, unknown>) =>
      f.server.app.inject({ method: 'POST', url: '/api/trading-state', payload: { scope: 'global', state: 'ACTIVE', ...body }, headers: { host: HOST, 'content-type': 'application/json', 'x-ibkr-csrf': csrf } });
    expect((await resume({ confirm: 'RESUME' })).json().error).toMatch(/reason/);
    expect((await resume({ reason: 'fixed', confirm: 'resume' })).json().error).toMatch(/type RESUME/);
    expect(await f.stateOf(f.infra.keys.tradingState)).toBe('HALTED');
    const ok = await resume({ reason: 'fixed', confirm: 'RESUME' });
    expect(ok.statusCode).toBe(200);
    expect(await f.stateOf(f.infra.keys.tradingState)).toBe('ACTIVE');
  });

  it('Halt with "also cancel" asks the daemon to cancel through the control stream, as halt --cancel does', async () => {
    const res = await f.server.app.inject({ method: 'POST', url: '/api/trading-state', payload: { scope: 'DU1000002', state: 'HALTED', reason: 'flatten', cancel: true }, headers: { host: HOST, 'content-type': 'application/json', 'x-ibkr-csrf': csrf } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ scope: 'DU1000002', current: 'HALTED', cancelRequestId: expect.any(String) });
    const [entry] = await f.redis.xrevrange(f.infra.keys.control, '+', '-', 'COUNT', 1);
    expect(entry?.[1]).toEqual(expect.arrayContaining(['action', 'cancel', 'account', 'DU1000002']));
  });

  it('per-account state names a declared account only', async () => {
    const res = await f.server.app.inject({ method: 'POST', url: '/api/trading-state', payload: { scope: 'DU9999999', state: 'HALTED' }, headers: { host: HOST, 'content-type': 'application/json', 'x-ibkr-csrf': csrf } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/scope: expected "global" or a declared account/);
  });

  it('cancels one working order of this client id; refuses another client’s order', async () => {
    const base = { instrument: { symbol: 'AAPL', secType: 'STK' as const, exchange: 'SMART', currency: 'USD' }, side: 'BUY' as const, quantity: 5, orderType: 'LMT', status: 'SUBMITTED' as const, filled: 0, remaining: 5, source: 'open' as const, account: 'DU1000002' };
    f.orders.push({ ...base, orderId: 41, clientId: f.config.ib.clientId, orderRef: 'ix1-x' }, { ...base, orderId: 42, clientId: 99 });
    const cancel = (id: number) => f.server.app.inject({ method: 'POST', url: `/api/orders/${id}/cancel`, payload: {}, headers: { host: HOST, 'content-type': 'application/json', 'x-ibkr-csrf': csrf } });
    expect((await cancel(41)).statusCode).toBe(202);
    expect(f.cancelled).toEqual([41]);
    expect((await cancel(42)).statusCode).toBe(409);
    expect((await cancel(43)).statusCode).toBe(404);
    expect(f.cancelled).toEqual([41]);
    expect((await tailAudit(f.redis, f.infra.keys.audit, 1))[0]).toMatchObject({ type: 'order.cancel', orderRef: 'ix1-x', data: { orderId: 41, by: 'dashboard' } });
  });

  it('readyz is 503 until ready, healthz 200 throughout', async () => {
    f.readiness.ready = false;
    const r = await f.server.app.inject({ method: 'GET', url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json().reason).toMatch(/connecting to IB/);
    expect((await f.server.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    f.readiness.ready = true;
    expect((await f.server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('listener with the http token', () => {
  const TOKEN = 'tok-0123456789abcdef';
  let f: Fixture;
  beforeAll(async () => {
    f = await httpFixture({ host: '0.0.0.0', token: TOKEN });
  });
  afterAll(async () => f.close());

  it('a non-loopback host without a token refuses to start', async () => {
    await expect(httpFixture({ host: '0.0.0.0' })).rejects.toThrow(HttpConfigError);
    await expect(httpFixture({ host: '0.0.0.0' })).rejects.toThrow(/not loopback: set the http token/);
  });

  it('every route but the probes, the login page and the webhook needs the token', async () => {
    expect((await f.server.app.inject({ method: 'GET', url: '/api/state', headers: { host: '10.0.0.5:7700' } })).statusCode).toBe(401);
    const page = await f.server.app.inject({ method: 'GET', url: '/', headers: { host: '10.0.0.5:7700' } });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login');
    expect((await f.server.app.inject({ method: 'GET', url: '/events', headers: { host: '10.0.0.5:7700' } })).statusCode).toBe(401);
    expect((await f.server.app.inject({ method: 'GET', url: '/api/state', headers: { host: '10.0.0.5:7700', authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect((await f.server.app.inject({ method: 'GET', url: '/api/state', headers: { host: '10.0.0.5:7700', authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    expect((await f.server.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await f.server.app.inject({ method: 'GET', url: '/login' })).statusCode).toBe(200);
  });

  it('login sets a cookie; a cookie-authenticated change needs the page token and the same origin; a Bearer one does not', async () => {
    const bad = await f.server.app.inject({ method: 'POST', url: '/login', payload: 'token=nope', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bad.statusCode).toBe(401);
    const login = await f.server.app.inject({ method: 'POST', url: '/login', payload: `token=${TOKEN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(login.statusCode).toBe(303);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0] ?? '';
    const host = '10.0.0.5:7700';
    const page = await f.server.app.inject({ method: 'GET', url: '/', headers: { host, cookie } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="ibkr-csrf" content="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const change = (headers: Record<string, string>) =>
      f.server.app.inject({ method: 'POST', url: '/api/trading-state', payload: { scope: 'DU1000001', state: 'REDUCE_ONLY' }, headers: { host, 'content-type': 'application/json', ...headers } });
    expect((await change({ cookie })).statusCode).toBe(403);
    expect((await change({ cookie, 'x-ibkr-csrf': csrf, origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await change({ cookie, 'x-ibkr-csrf': csrf, origin: `http://${host}` })).statusCode).toBe(200);
    expect(await f.stateOf(f.infra.keys.tradingStateFor('DU1000001'))).toBe('REDUCE_ONLY');
    expect((await change({ authorization: `Bearer ${TOKEN}` })).statusCode).toBe(200);
  });

  it('throttles guessing: after 10 failed logins in a minute even the right token waits', async () => {
    const login = (token: string) => f.server.app.inject({ method: 'POST', url: '/login', payload: `token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) codes.push((await login(`guess-${i}`)).statusCode);
    expect(codes.every((c) => c === 401 || c === 429)).toBe(true);
    expect((await login(TOKEN)).statusCode).toBe(429);
  });
});
