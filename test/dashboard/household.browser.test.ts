/**
 * The dashboard on a household the project does not ship: four linked accounts (one not declared), a EUR
 * account, a symbol with HTML in it, live mode without confirmed accounts (so the daemon is read-only).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStack, type Stack } from '../../src/app/stack.js';
import { HAVE_CHROMIUM, OUTPUT, launchChromium } from './browser.js';

const HTML_SYMBOL = '<b>ZZ</b>';

describe.skipIf(!HAVE_CHROMIUM)('dashboard on another household', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack({
      redisUrl: 'redis://127.0.0.1:6379',
      fixture: {
        accounts: [
          { id: 'U2000001', accountType: 'IRA', cash: { USD: 20000 }, positions: [{ symbol: 'AAPL', quantity: 10, avgCost: 150 }] },
          { id: 'U2000002', accountType: 'INDIVIDUAL', baseCurrency: 'EUR', cash: { EUR: 5000 }, positions: [{ symbol: 'SAP', quantity: 20, avgCost: 180 }] },
          { id: 'U2000003', accountType: 'CORPORATION', cash: { USD: 1000 }, positions: [{ symbol: HTML_SYMBOL, quantity: 7, avgCost: 4 }] },
          { id: 'U2000009', accountType: 'INDIVIDUAL', cash: { USD: 10 } },
        ],
        instruments: [
          { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', primaryExchange: 'NASDAQ', currency: 'USD', price: 190 },
          { conId: 14204, symbol: 'SAP', secType: 'STK', exchange: 'SMART', primaryExchange: 'IBIS', currency: 'EUR', price: 210 },
          { conId: 999001, symbol: HTML_SYMBOL, secType: 'STK', exchange: 'SMART', currency: 'USD', price: 5 },
        ],
      },
      config: {
        mode: 'live',
        redis: { allowVolatile: true }, // the shared test Redis keeps nothing on disk
        accounts: [
          { id: 'U2000001', type: 'TRADITIONAL_IRA' },
          { id: 'U2000002', type: 'PERSONAL', label: 'Euro' },
          { id: 'U2000003', type: 'BUSINESS', label: 'Shop' },
        ],
      },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows LIVE and READ-ONLY, a card per linked account (the undeclared one says it is never traded), text as text', async () => {
    const problems: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    await page.goto(stack.daemon!.http.url);
    await page.locator('[data-testid="account-card"][data-account="U2000009"]').waitFor();
    expect(await page.getByTestId('mode-badge').textContent()).toBe('LIVE');
    expect(await page.getByTestId('read-only').isVisible()).toBe(true);
    expect(await page.getByTestId('account-card').count()).toBe(4);
    expect(await page.locator('[data-account="U2000009"]').textContent()).toContain('undeclared: never traded');
    expect(await page.locator('[data-account="U2000001"]').textContent()).toContain('IRA: cash only, no shorts');
    await page.getByTestId('positions').getByText('SAP').first().waitFor();
    const positions = (await page.getByTestId('positions').textContent()) ?? '';
    expect(positions).toContain(HTML_SYMBOL);
    expect(positions).toContain('€');
    expect(await page.locator('[data-testid="positions"] b').count()).toBe(0);
    expect(await page.locator('[data-testid="exposure"] svg rect').count()).toBeGreaterThanOrEqual(3);
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'other-household.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
