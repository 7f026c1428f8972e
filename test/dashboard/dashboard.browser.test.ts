/**
 * The dashboard in real Chromium against a running stack: the TWS simulator, real Redis and BullMQ, and the
 * daemon (with its HTTP listener) in-process. One page stays open through the suite, like a person's tab:
 * live updates must arrive over SSE, without a reload.
 */
import { decodeState } from '../../src/infra/trading-state.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../../src/app/stack.js';
import { tailAudit } from '../../src/infra/audit.js';
import { createRedis } from '../../src/infra/redis.js';
import { signWebhook } from '../../src/http/webhook.js';
import { HAVE_CHROMIUM, OUTPUT, launchChromium } from './browser.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const SECRET = 'whsec-browser-test';
const MCP_TOKEN = 'mcp-browser-token-0123456789abcdef';
const IRA = 'DU1000001';
const PERSONAL = 'DU1000002';
const BUSINESS = 'DU1000003';
const HOSTILE = '<img src=x onerror="window.__xss=1">';

const sig = (id: string, extra: Record<string, unknown>) => ({ id, createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, side: 'BUY', size: { quantity: 1 }, ...extra });

/** Polls `fn` until it returns true (bounded). */
async function until(fn: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!HAVE_CHROMIUM)('dashboard in Chromium against the simulator', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let url: string;
  const redis = createRedis(REDIS_URL);
  const problems: string[] = [];
  /** the trading state as the daemon reads it (signature checked) */
  const stateOf = async (key: string): Promise<string> => decodeState(stack.secrets.controlKey, key, await redis.get(key)).state;

  beforeAll(async () => {
    stack = await startStack({
      redisUrl: REDIS_URL,
      env: { IBKR_EXEC_WEBHOOK_SECRET: SECRET, IBKR_EXEC_MCP_TOKEN: MCP_TOKEN },
      config: { accounts: [{ id: IRA, type: 'ROTH_IRA', label: 'Roth IRA' }, { id: PERSONAL, type: 'PERSONAL', label: 'Personal' }, { id: BUSINESS, type: 'BUSINESS', label: `Biz ${HOSTILE}` }], mcp: { allowWrites: true, writeAccounts: [PERSONAL] } },
    });
    url = stack.daemon!.http.url;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    redis.disconnect();
  });

  it('first load: PAPER badge, one card per account, positions, audit status, teaching empty states, no console errors', async () => {
    await page.goto(url);
    await page.getByTestId('account-card').nth(2).waitFor();
    expect(await page.getByTestId('mode-badge').textContent()).toBe('PAPER');
    expect(await page.getByTestId('read-only').isVisible()).toBe(false);
    const cards = page.getByTestId('account-card');
    expect(await cards.count()).toBe(3);
    for (const id of [IRA, PERSONAL, BUSINESS]) expect(await page.locator(`[data-testid="account-card"][data-account="${id}"]`).count()).toBe(1);
    const ira = page.locator(`[data-testid="account-card"][data-account="${IRA}"]`);
    expect(await ira.textContent()).toContain('IRA: cash only, no shorts');
    await ira.getByTestId('net-liquidation').filter({ hasText: '$' }).waitFor();
    await page.getByTestId('positions').getByText('AAPL').first().waitFor();
    expect(await page.getByTestId('positions').textContent()).toContain('MSFT');
    expect(await page.getByTestId('trading-state').textContent()).toContain('ACTIVE');
    expect(await page.getByTestId('decisions').textContent()).toContain('ibkr-exec signal examples/signals/01-buy-aapl-all-accounts.json');
    expect(await page.getByTestId('previews').textContent()).toContain('No pending previews. When an MCP client calls preview_order');
    expect(await page.getByTestId('fills').textContent()).toContain('No fills yet today.');
    expect(await page.getByTestId('orders').textContent()).toContain('No working orders.');
    await page.getByTestId('audit-status').filter({ hasText: /chain verified through #\d+/ }).waitFor();
    await page.locator('#h-stream.ok').waitFor();
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'first-load.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('escapes text from the config and the broker: an HTML label and an HTML rejection reason show as text', async () => {
    const card = page.locator(`[data-testid="account-card"][data-account="${BUSINESS}"]`);
    expect(await card.locator('h3').textContent()).toBe(`Biz ${HOSTILE}`);
    await stack.admin('/fault', { action: 'reject-next', code: 201, message: `Order rejected ${HOSTILE}` });
    await stack.outcome(await stack.send(sig('br-reject', { accounts: [PERSONAL] })));
    const row = page.getByTestId('decisions').locator('[data-decision="REJECTED"]');
    await row.first().waitFor();
    expect(await row.first().textContent()).toContain(HOSTILE);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('a fill and its decision arrive over SSE without a reload', async () => {
    await page.evaluate(() => ((globalThis as unknown as { __noReload: boolean }).__noReload = true));
    await stack.outcome(await stack.send(sig('br-fill', { accounts: [PERSONAL], size: { quantity: 7 } })));
    await page.getByTestId('fills').getByTestId('fill-row').filter({ hasText: 'Personal' }).filter({ hasText: '7' }).first().waitFor();
    await page.getByTestId('decisions').locator('[data-testid="decision-row"][data-decision="PLACED"]').filter({ hasText: 'br-fill' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });

  it('a signal DENIED for an IRA rule shows its reason, and the decision filter narrows the list', async () => {
    await stack.outcome(await stack.send(sig('br-ira-short', { side: 'SELL', size: { quantity: 5000 }, accounts: [IRA] })));
    const denied = page.getByTestId('decisions').locator(`[data-decision="DENIED"][data-account="${IRA}"]`).filter({ hasText: 'br-ira-short' });
    await denied.waitFor();
    expect(await denied.textContent()).toContain('IRA_SHORT_SALE');
    await page.getByTestId('decision-filter-decision').selectOption('DENIED');
    expect(await page.getByTestId('decisions').locator('[data-decision="PLACED"]').count()).toBe(0);
    await page.getByTestId('decision-filter-decision').selectOption('');
    await page.getByTestId('decision-filter-account').selectOption(PERSONAL);
    expect(await page.getByTestId('decisions').locator(`[data-account="${IRA}"]`).count()).toBe(0);
    await page.getByTestId('decision-filter-account').selectOption('');
  });

  it('Halt halts: the trading state in Redis changes and an audit record is written', async () => {
    await page.getByTestId('halt').click();
    await page.getByTestId('dialog-reason').fill('browser test halt');
    await page.getByTestId('dialog-ok').click();
    await page.getByTestId('trading-state').filter({ hasText: 'HALTED' }).waitFor();
    expect(await stateOf(`${stack.config.redis.prefix}:trading-state`)).toBe('HALTED');
    const recent = await tailAudit(redis, `${stack.config.redis.prefix}:audit`, 20);
    expect(recent.some((r) => r.type === 'trading-state' && (r.data as { current?: string }).current === 'HALTED')).toBe(true);
    expect(recent.some((r) => r.type === 'dashboard.action' && (r.data as { reason?: string }).reason === 'browser test halt')).toBe(true);
    const out = await stack.outcome(await stack.send(sig('br-halted', { accounts: [PERSONAL] })));
    expect(out.results[0]?.decision).toBe('DENIED');
  });

  it('Resume asks for a reason and the typed confirmation', async () => {
    await page.getByTestId('resume').click();
    expect(await page.getByTestId('dialog-confirm').isVisible()).toBe(true);
    expect(await page.getByTestId('dialog-cancel').isVisible()).toBe(false);
    await page.getByTestId('dialog-reason').fill('browser test resume');
    await page.getByTestId('dialog-confirm').fill('yes');
    await page.getByTestId('dialog-ok').click();
    await page.getByTestId('dialog-error').filter({ hasText: 'Type RESUME' }).waitFor();
    expect(await stateOf(`${stack.config.redis.prefix}:trading-state`)).toBe('HALTED');
    await page.getByTestId('dialog-confirm').fill('RESUME');
    await page.getByTestId('dialog-ok').click();
    await page.getByTestId('trading-state').filter({ hasText: 'ACTIVE' }).waitFor();
    expect(await stateOf(`${stack.config.redis.prefix}:trading-state`)).toBe('ACTIVE');
  });

  it('cancels a working order from its row', async () => {
    const out = await stack.outcome(await stack.send(sig('br-rest', { accounts: [BUSINESS], size: { quantity: 3 }, order: { type: 'LMT', limitPrice: 185, tif: 'GTC' } })));
    const orderId = out.results[0]?.orderId;
    expect(out.results[0]?.decision).toBe('PLACED');
    const row = page.locator(`[data-testid="order-row"][data-order-id="${orderId}"]`);
    await row.waitFor();
    await row.getByTestId('cancel-order').click();
    await until(async () => {
      const st = await stack.admin<{ orders: { orderId: number; status: string }[] }>('/state');
      return st.orders.some((o) => o.orderId === orderId && /cancel/i.test(o.status));
    }, 'the simulator to cancel the order');
    await row.waitFor({ state: 'detached' });
  });

  it('a pending MCP preview is shown and, approved from the page, gets PLACED', async () => {
    // the preview comes from an assistant over the daemon's own /mcp; the page approves it through the MCP plugin's API
    const client = new Client({ name: 'browser-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('mcp', url), { requestInit: { headers: { authorization: `Bearer ${MCP_TOKEN}` } } }));
    try {
      const p = (await client.callTool({ name: 'preview_order', arguments: { symbol: 'AAPL', side: 'BUY', quantity: 2, account: PERSONAL } })) as CallToolResult;
      expect(p.isError).toBeFalsy();
      const previewId = (p.structuredContent as { previewId: string }).previewId;
      await page.reload();
      const card = page.locator(`[data-testid="preview"][data-preview="${previewId}"]`);
      await card.waitFor();
      expect(await card.textContent()).toContain('BUY AAPL');
      await card.getByTestId('approve-preview').click();
      await page.getByTestId('decisions').locator('[data-decision="PLACED"]').filter({ hasText: previewId }).waitFor();
      await card.waitFor({ state: 'detached' });
    } finally {
      await client.close();
    }
  });

  it('the webhook answers 202 for a signed signal (which then shows on the page) and 401 for a bad signature', async () => {
    const body = JSON.stringify(sig('br-webhook', { accounts: [BUSINESS] }));
    const ts = String(Math.floor(Date.now() / 1000));
    const post = (signature: string) => fetch(`${url}signals`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signature } });
    expect((await post(signWebhook('wrong', ts, body))).status).toBe(401);
    const ok = await post(signWebhook(SECRET, ts, body));
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ jobId: 'sig-br-webhook' });
    await page.getByTestId('decisions').locator('[data-decision="PLACED"]').filter({ hasText: 'br-webhook' }).waitFor();
    expect(problems).toEqual([]);
  });
});
