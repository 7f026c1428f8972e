/**
 * Alert formats (`alerts.webhooks[].format`): the config reader accepts generic / telegram / discord / ntfy
 * and names the field of anything else; each format is POSTed to a local HTTP receiver (127.0.0.1, port 0)
 * as that receiver's API expects it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertSink, type AlertKind } from '../../src/app/alerts.js';
import { createLogger } from '../../src/app/logger.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import { systemClock } from '../../src/domain/clock.js';
import { waitFor } from '../integration/pipeline-helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

const withHooks = (webhooks: unknown) => parseConfig({ ...DEFAULT_CONFIG_INPUT, alerts: { webhooks } }, {});

describe('alerts.webhooks format (config)', () => {
  it('reads each format, generic by default, and the Telegram chat id', () => {
    const r = withHooks(['http://127.0.0.1:1/a', { url: 'http://127.0.0.1:1/t', format: 'telegram', chatId: -1001234 }, { url: 'http://127.0.0.1:1/d', format: 'discord' }, { url: 'http://127.0.0.1:1/n', format: 'ntfy' }]);
    expect(r.ok && r.config.alerts.webhooks.map((w) => [w.format ?? 'generic', w.chatId])).toEqual([['generic', undefined], ['telegram', '-1001234'], ['discord', undefined], ['ntfy', undefined]]);
  });

  it('refuses an unknown format, a telegram hook without chatId and a chatId elsewhere, naming the field', () => {
    const r = withHooks([{ url: 'http://127.0.0.1:1/a', format: 'slack' }, { url: 'http://127.0.0.1:1/t', format: 'telegram' }, { url: 'http://127.0.0.1:1/d', format: 'discord', chatId: '5' }]);
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/^alerts\.webhooks\[0\]\.format: expected one of generic, telegram, discord, ntfy, received .*slack/),
      expect.stringMatching(/^alerts\.webhooks\[1\]\.chatId: .*Telegram chat id/),
      expect.stringMatching(/^alerts\.webhooks\[2\]\.chatId: only used with format "telegram"/),
    ]));
  });
});

describe('alert formats on the wire', () => {
  let hook: Receiver;
  beforeAll(async () => {
    hook = await startReceiver();
  });
  afterAll(async () => {
    await hook?.close();
  });

  it('POSTs generic JSON, a Telegram sendMessage, a Discord content and an ntfy plain-text body with a title', async () => {
    const results: [AlertKind, boolean][] = [];
    const sink = new AlertSink({
      urls: [hook.url, { url: `${hook.url}/tg`, format: 'telegram', chatId: '-1001234' }, { url: hook.url, format: 'discord' }, { url: hook.url, format: 'ntfy' }],
      logger: createLogger({ silent: true }), clock: systemClock, onResult: (k, d) => results.push([k, d]),
    });
    sink.notify({ kind: 'HALTED', text: 'all accounts set to HALTED: test', account: 'DU1000002' });
    await waitFor(async () => results.length === 4 || undefined, 'four deliveries');
    await sink.close();
    expect(results.every(([, d]) => d)).toBe(true);
    const json = hook.bodies;
    expect(json).toEqual(expect.arrayContaining([
      expect.objectContaining({ app: 'ibkr-exec', kind: 'HALTED', text: 'all accounts set to HALTED: test', account: 'DU1000002' }),
      { chat_id: '-1001234', text: 'ibkr-exec ALERT HALTED (DU1000002): all accounts set to HALTED: test' },
      { content: 'ibkr-exec ALERT HALTED (DU1000002): all accounts set to HALTED: test' },
    ]));
    expect(json).toHaveLength(3);
    const plain = hook.requests.filter((r) => String(r.headers['content-type']).startsWith('text/plain'));
    expect(plain).toEqual([expect.objectContaining({ body: 'all accounts set to HALTED: test', headers: expect.objectContaining({ title: 'ibkr-exec HALTED' }) })]);
  });
});
