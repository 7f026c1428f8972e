/**
 * The Client Portal simulator over real HTTP(S) sockets on 127.0.0.1: the auth state machine, the
 * warm-up quirk, paging, the reply chain, cOID duplicates, per-account live orders, trades, 429 and
 * the penalty box, and the admin faults (session expiry, dropped answers).
 */
import { request } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { startCpSimulator, type CpSimulatorHandle } from '../../src/sim/cp/index.js';

let sim: CpSimulatorHandle | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(opts: Parameters<typeof startCpSimulator>[0] = {}): Promise<CpSimulatorHandle> {
  sim = await startCpSimulator({ port: 0, adminPort: 0, http: true, tickIntervalMs: 0, rateLimits: false, ...opts });
  return sim;
}

async function call(s: CpSimulatorHandle, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.baseUrl}${path}`, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: await res.json() };
}

async function fault(s: CpSimulatorHandle, body: unknown): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${s.adminPort}/fault`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

const AAPL = 265598;

describe('cp-sim session', () => {
  it('starts unauthenticated with loginRequired, and ssodh/init logs in', async () => {
    const s = await start({ loginRequired: true });
    expect((await call(s, 'POST', '/iserver/auth/status')).body.authenticated).toBe(false);
    expect((await call(s, 'GET', '/iserver/accounts')).status).toBe(401);
    expect((await call(s, 'POST', '/iserver/auth/ssodh/init', { publish: true, compete: true })).body.authenticated).toBe(true);
    expect((await call(s, 'GET', '/iserver/accounts')).body.accounts).toEqual(['DU1000001', 'DU1000002', 'DU1000003']);
  });

  it('needs /iserver/accounts before data calls, and a competing session needs compete:true', async () => {
    const s = await start();
    expect((await call(s, 'GET', `/iserver/marketdata/snapshot?conids=${AAPL}`)).body.error).toBe('Please query /accounts first');
    await fault(s, { action: 'competing-session' });
    const st = (await call(s, 'GET', '/iserver/auth/status')).body;
    expect(st).toMatchObject({ authenticated: false, competing: true });
    expect((await call(s, 'POST', '/iserver/auth/ssodh/init', { publish: true })).body.authenticated).toBe(false);
    expect((await call(s, 'POST', '/iserver/auth/ssodh/init', { publish: true, compete: true })).body.authenticated).toBe(true);
  });

  it('expires without tickle, and reauthenticate restores the session (unprimed)', async () => {
    let t = 1_000_000;
    const { SimEngine } = await import('../../src/sim/engine/engine.js');
    const engine = new SimEngine({ now: () => t });
    const s = await start({ engine, idleTimeoutMs: 60_000 });
    await call(s, 'GET', '/iserver/accounts');
    t += 50_000;
    expect((await call(s, 'POST', '/tickle')).body.iserver.authStatus.authenticated).toBe(true);
    t += 50_000; // 50 s after the tickle: still alive
    expect((await call(s, 'GET', '/iserver/auth/status')).body.authenticated).toBe(true);
    t += 61_000;
    expect((await call(s, 'GET', '/iserver/auth/status')).body.authenticated).toBe(false);
    expect((await call(s, 'POST', '/iserver/reauthenticate')).body.message).toBe('triggered');
    expect((await call(s, 'GET', '/iserver/account/trades')).body.error).toBe('Please query /accounts first');
  });
});

describe('cp-sim data', () => {
  it('answers the first snapshot of a conid empty, then with string fields', async () => {
    const s = await start();
    await call(s, 'GET', '/iserver/accounts');
    expect((await call(s, 'GET', `/iserver/marketdata/snapshot?conids=${AAPL}&fields=31,84,86`)).body).toEqual([{ conid: AAPL, conidEx: String(AAPL) }]);
    const row = (await call(s, 'GET', `/iserver/marketdata/snapshot?conids=${AAPL}&fields=31,84,86`)).body[0];
    expect(row).toMatchObject({ conid: AAPL, 31: '190.00', 84: '189.99', 86: '190.01', 6509: 'RpB' });
  });

  it('pages positions, and gives summary, ledger (settled cash per currency), search and stockType', async () => {
    const s = await start({ positionsPageSize: 1, fixture: { accounts: [{ id: 'DU1', accountType: 'INDIVIDUAL', cash: { USD: 1000 }, positions: [{ symbol: 'AAPL', quantity: 1, avgCost: 100 }, { symbol: 'MSFT', quantity: 2, avgCost: 200 }] }] } });
    const p0 = (await call(s, 'GET', '/portfolio/DU1/positions/0')).body;
    const p1 = (await call(s, 'GET', '/portfolio/DU1/positions/1')).body;
    const p2 = (await call(s, 'GET', '/portfolio/DU1/positions/2')).body;
    expect([p0.length, p1.length, p2.length]).toEqual([1, 1, 0]);
    expect([p0[0].contractDesc, p1[0].contractDesc]).toEqual(['AAPL', 'MSFT']);
    expect((await call(s, 'GET', '/portfolio/DU1/ledger')).body.USD.settledcash).toBe(1000);
    expect((await call(s, 'GET', '/portfolio/DU1/summary')).body.netliquidation.amount).toBeGreaterThan(1000);
    const found = (await call(s, 'GET', '/iserver/secdef/search?symbol=ET')).body;
    const info = (await call(s, 'GET', `/iserver/contract/${found[0].conid}/info`)).body;
    expect(info.stock_type).toBe('MLP');
  });
});

describe('cp-sim orders', () => {
  const lmt = (cOID: string, price: number): unknown => ({ orders: [{ conid: AAPL, orderType: 'LMT', side: 'BUY', quantity: 1, tif: 'DAY', price, cOID }] });

  it('asks a question chain, books on the last yes, and refuses a duplicate cOID', async () => {
    const s = await start();
    await call(s, 'GET', '/iserver/accounts');
    await fault(s, { action: 'question-next', messageId: 'o10151', text: 'market risk?' });
    const q1 = (await call(s, 'POST', '/iserver/account/DU1000002/orders', lmt('c-1', 150))).body;
    expect(q1[0].messageIds).toEqual(['o10151']);
    const q2 = (await call(s, 'POST', `/iserver/reply/${q1[0].id}`, { confirmed: true })).body;
    expect(q2[0].messageIds).toEqual(['o163']);
    expect((await call(s, 'POST', `/iserver/reply/${q1[0].id}`, { confirmed: true })).status).toBe(400);
    const ack = (await call(s, 'POST', `/iserver/reply/${q2[0].id}`, { confirmed: true })).body;
    expect(ack[0]).toMatchObject({ order_status: 'Submitted' });
    expect((await call(s, 'POST', '/iserver/account/DU1000002/orders', lmt('c-1', 189))).body.error).toContain('Local order ID=c-1 is already registered');
  });

  it('lists live orders per account (pre-flight first; unscoped shows the selected account only), cancels, and shows trades', async () => {
    const s = await start();
    await call(s, 'GET', '/iserver/accounts');
    const ack = (await call(s, 'POST', '/iserver/account/DU1000002/orders', lmt('c-rest', 185))).body;
    await call(s, 'POST', '/iserver/account/DU1000003/orders', { orders: [{ conid: AAPL, orderType: 'MKT', side: 'BUY', quantity: 3, tif: 'DAY', cOID: 'c-mkt' }] });
    expect((await call(s, 'GET', '/iserver/account/orders?accountId=DU1000002')).body.orders).toEqual([]);
    expect((await call(s, 'GET', '/iserver/account/orders')).body.orders).toEqual([]); // selected: DU1000001
    const listed = (await call(s, 'GET', '/iserver/account/orders?accountId=DU1000002')).body.orders;
    expect(listed.map((o: any) => [o.order_ref, o.status])).toEqual([['c-rest', 'Submitted']]);
    const c = (await call(s, 'DELETE', `/iserver/account/DU1000002/order/${ack[0].order_id}`)).body;
    expect(c.msg).toBe('Request was submitted');
    expect((await call(s, 'GET', '/iserver/account/orders?accountId=DU1000002')).body.orders[0].status).toBe('Cancelled');
    const trades = (await call(s, 'GET', '/iserver/account/trades?accountId=DU1000003')).body;
    expect(trades.map((t: any) => [t.order_ref, t.side, t.size])).toEqual([['c-mkt', 'B', 3]]);
  });

  it('books an order whose answer is dropped (the client must look it up by cOID)', async () => {
    const s = await start();
    await call(s, 'GET', '/iserver/accounts');
    await fault(s, { action: 'drop-next', count: 1 });
    await expect(call(s, 'POST', '/iserver/account/DU1000002/orders', lmt('c-lost', 185))).rejects.toThrow();
    expect([...s.engine.orders.values()].map((o) => o.orderRef)).toEqual(['c-lost']);
  });

  it('answers what-if without booking', async () => {
    const s = await start();
    await call(s, 'GET', '/iserver/accounts');
    const w = (await call(s, 'POST', '/iserver/account/DU1000002/orders/whatif', lmt('c-w', 190))).body;
    expect(w).toMatchObject({ error: null });
    expect(w.initial.change).not.toBe('0');
    expect(s.engine.orders.size).toBe(0);
  });
});

describe('cp-sim limits and TLS', () => {
  it('answers 429 over a limit and locks out after repeated violations (penalty box)', async () => {
    const s = await start({ rateLimits: true, rateLimitScale: 100 });
    expect((await call(s, 'POST', '/tickle')).status).toBe(200);
    const second = await fetch(`${s.baseUrl}/tickle`, { method: 'POST' });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    await call(s, 'POST', '/tickle');
    await call(s, 'POST', '/tickle');
    const r = await call(s, 'GET', '/iserver/auth/status');
    expect(r).toEqual({ status: 429, body: { error: 'Too many requests: penalty box' } });
  });

  it('serves HTTPS with a self-signed certificate that a client can pin', async () => {
    const s = await start({ http: false });
    expect(s.baseUrl).toMatch(/^https:/);
    expect(s.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${s.baseUrl}/iserver/auth/status`, { method: 'POST', ca: s.certificate?.pem, servername: 'localhost' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body).authenticated).toBe(true);
  });
});
