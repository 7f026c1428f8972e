/**
 * SHELL: alert webhooks (`alerts.webhooks`). An alert-level event (a REDUCE_ONLY trip, a halt, a loss of Redis
 * state, a duplicate that filled, an order UNRESOLVED too long, a competing IB session, a gateway that needs a
 * person for its 2FA, a broken audit chain) is POSTed as one JSON object to every configured URL:
 *
 *   { "app": "ibkr-exec", "kind": "REDUCE_ONLY", "severity": "critical", "text": "…", "content": "…",
 *     "account": "DU…", "ts": "2026-12-02T00:00:00.000Z", "details": { … } }
 *
 * `text` and `content` carry the same sentence, so Slack-, Mattermost- and Discord-style incoming webhooks show
 * it as they are; a webhook's `format` (telegram, discord, ntfy) writes it as that receiver expects (alert-format.ts). Delivery never blocks the order path: `notify` returns at once; each POST has a timeout and
 * bounded retries (backoff), at most `maxPending` deliveries wait, and a repeat of the same alert (kind and
 * account) within `dedupeMs` is sent once. Nothing secret goes into an alert (the URL is never logged whole).
 */
import type { AlertWebhook } from '../config-sections.js';
import type { Clock } from '../domain/clock.js';
import { formatAlert, type AlertRequest } from './alert-format.js';
import type { Logger } from './logger.js';

/** The kinds of alert the daemon sends. */
export type AlertKind = 'REDUCE_ONLY' | 'HALTED' | 'STATE_LOST' | 'DUPLICATE_FILLED' | 'UNRESOLVED_TOO_LONG' | 'COMPETING_SESSION' | 'GATEWAY_NEEDS_PERSON' | 'READ_ONLY_API' | 'REJECT_BURST' | 'AUDIT_VERIFY_FAILED';

export interface Alert {
  readonly kind: AlertKind;
  readonly text: string;
  readonly account?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** the source already logged it as an ALERT line: send it without a second one */
  readonly logged?: boolean;
}

export interface AlertSinkOptions {
  /** a URL alone is a `generic` webhook; `{ url, format, chatId }` picks the receiver's format (alert-format.ts) */
  readonly urls: readonly (string | AlertWebhook)[];
  readonly logger: Logger;
  readonly clock: Clock;
  /** attempts per URL (default 3) */
  readonly attempts?: number;
  /** first retry delay, doubling (default 1 s) */
  readonly retryMs?: number;
  /** per-POST timeout (default 5 s) */
  readonly timeoutMs?: number;
  /** a repeat of the same kind and account within this window is dropped (default 10 min) */
  readonly dedupeMs?: number;
  /** deliveries waiting at most (default 100); beyond that an alert is only logged */
  readonly maxPending?: number;
  /** called once per alert and URL with the delivery result (metrics) */
  readonly onResult?: (kind: AlertKind, delivered: boolean) => void;
}

/** A URL for logs: scheme, host and port only (a token in the path or query stays out of the log). */
export function safeWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/** Delivers alerts to the configured webhooks. */
export class AlertSink {
  private readonly lastSent = new Map<string, number>();
  private pending = 0;
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly o: AlertSinkOptions) {}

  /** Logs the alert (error level, one line) and queues its delivery; never throws, never waits. */
  notify(a: Alert): void {
    const key = `${a.kind}|${a.account ?? ''}`;
    const now = this.o.clock.now();
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < (this.o.dedupeMs ?? 600_000)) return;
    this.lastSent.set(key, now);
    if (!a.logged) this.o.logger.error({ alert: a.kind, ...(a.account ? { account: a.account } : {}) }, `ALERT ${a.kind}: ${a.text}`);
    if (this.closed) return;
    for (const target of this.o.urls) {
      const hook: AlertWebhook = typeof target === 'string' ? { url: target } : target;
      const url = hook.url;
      if (this.pending >= (this.o.maxPending ?? 100)) {
        this.o.logger.warn({ alert: a.kind, url: safeWebhookUrl(url) }, 'too many alert deliveries pending: this one is only logged');
        continue;
      }
      this.pending += 1;
      const p = this.deliver(url, formatAlert(hook, a, now), a.kind).finally(() => {
        this.pending -= 1;
        this.inflight.delete(p);
      });
      this.inflight.add(p);
    }
  }

  /** Waits (bounded by the retries) for the deliveries under way; later alerts are only logged. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
  }

  private async deliver(url: string, req: AlertRequest, kind: AlertKind): Promise<void> {
    const attempts = this.o.attempts ?? 3;
    let why = '';
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, (this.o.retryMs ?? 1_000) * 2 ** (i - 1)).unref());
      try {
        const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(this.o.timeoutMs ?? 5_000) });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) {
          this.o.onResult?.(kind, true);
          return;
        }
        why = `HTTP ${res.status}`;
        if (res.status >= 400 && res.status < 500 && res.status !== 429) break; // the receiver refuses it: retrying will not help
      } catch (e) {
        why = (e as Error).message;
      }
    }
    this.o.onResult?.(kind, false);
    this.o.logger.warn({ alert: kind, url: safeWebhookUrl(url), why }, 'an alert webhook could not be delivered');
  }
}
