/**
 * PURE: one alert as the HTTP request its receiver expects (`alerts.webhooks[].format`):
 *
 * - `generic` (default): the JSON object `{ app, kind, severity, text, content, account?, ts, details }`
 * - `telegram`: the Bot API `sendMessage` body `{ chat_id, text }` (the URL is `…/bot<token>/sendMessage`)
 * - `discord`: a Discord incoming-webhook body `{ content }`
 * - `ntfy`: a plain-text body with a `Title` header (an ntfy topic URL)
 */
import type { AlertWebhook } from '../config-sections.js';

/** What the formatter needs of an alert. */
export interface AlertMessage {
  readonly kind: string;
  readonly text: string;
  readonly account?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AlertRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The request body and headers for one alert at one webhook; `now` is the alert's time (ms). */
export function formatAlert(w: AlertWebhook, a: AlertMessage, now: number): AlertRequest {
  const line = `ibkr-exec ALERT ${a.kind}${a.account ? ` (${a.account})` : ''}: ${a.text}`;
  switch (w.format ?? 'generic') {
    case 'telegram':
      return { headers: JSON_HEADERS, body: JSON.stringify({ chat_id: w.chatId, text: line }) };
    case 'discord':
      return { headers: JSON_HEADERS, body: JSON.stringify({ content: line }) };
    case 'ntfy':
      return { headers: { 'content-type': 'text/plain; charset=utf-8', title: `ibkr-exec ${a.kind}`, priority: 'high' }, body: a.text };
    case 'generic':
      return {
        headers: JSON_HEADERS,
        body: JSON.stringify({ app: 'ibkr-exec', kind: a.kind, severity: 'critical', text: a.text, content: a.text, ...(a.account ? { account: a.account } : {}), ts: new Date(now).toISOString(), details: a.details ?? {} }),
      };
  }
}
