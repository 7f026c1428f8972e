/**
 * `POST /signals` (CONTRACT §9): a signal from a webhook (TradingView-style alerts, other generators),
 * accepted only with `X-Timestamp: <unix seconds>` within 300 s of now and
 * `X-Signature: sha256=<hex HMAC-SHA256("<timestamp>.<raw body>", webhook secret)>`. A valid signal is
 * enqueued exactly as `ibkr-exec signal` does (same job name, options and job id, so a replayed or
 * repeated signal is never a second job): 202 with the job id. A bad signature is 401 and audited (at
 * most `MAX_AUDITS_PER_MINUTE` records a minute, so a flood cannot grow the never-trimmed audit stream
 * without bound); no secret configured is 503 (fail closed).
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { AuditLog } from '../infra/audit.js';
import type { Clock } from '../domain/clock.js';
import { enqueueSignal, jobIdForSignal } from '../ingest/enqueue.js';
import { formatFieldErrors, parseSignal } from '../ingest/parse-signal.js';
import type { Logger } from '../app/logger.js';
import { safeEqual } from './security.js';

export const MAX_SKEW_SECONDS = 300;
const MAX_AUDITS_PER_MINUTE = 20;

/** The signature header value for a body (what a producer computes). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Why a webhook request is not authentic, or undefined when it is (pure; `nowMs` injected). */
export function webhookProblem(secret: string, headers: { signature?: string; timestamp?: string }, body: string, nowMs: number): string | undefined {
  const { signature, timestamp } = headers;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return 'X-Timestamp: expected unix seconds';
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > MAX_SKEW_SECONDS) return `X-Timestamp: ${Math.round(skew)} s away from now (at most ${MAX_SKEW_SECONDS} s)`;
  if (!signature || !/^sha256=[0-9a-fA-F]{64}$/.test(signature)) return 'X-Signature: expected sha256=<64 hex digits>';
  if (!safeEqual(signature.toLowerCase(), signWebhook(secret, timestamp, body))) return 'X-Signature: does not match the body';
  return undefined;
}

export interface WebhookDeps {
  readonly secret: string | undefined;
  readonly queue: Queue;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Registers `POST /signals`. Needs the raw body (`request.rawBody`, see server.ts). */
export function registerWebhook(app: FastifyInstance, d: WebhookDeps): void {
  let window = { start: 0, audited: 0, suppressed: 0 };
  const auditRejection = async (reason: string, ip: string): Promise<void> => {
    const now = d.clock.now();
    if (now - window.start >= 60_000) {
      const suppressed = window.suppressed;
      window = { start: now, audited: 0, suppressed: 0 };
      if (suppressed > 0) await d.audit.append({ type: 'webhook.rejected', data: { suppressed, note: 'rejections not audited one by one in the previous minute' } });
    }
    if (window.audited >= MAX_AUDITS_PER_MINUTE) {
      window.suppressed += 1;
      return;
    }
    window.audited += 1;
    await d.audit.append({ type: 'webhook.rejected', data: { reason, ip } });
  };

  app.post('/signals', { bodyLimit: 64 * 1024 }, async (req, reply) => {
    if (d.secret === undefined) {
      return reply.code(503).send({ error: 'webhook ingest is off: set the webhook secret (IBKR_EXEC_WEBHOOK_SECRET or IBKR_EXEC_WEBHOOK_SECRET_FILE) and restart the daemon' });
    }
    const body = (req as { rawBody?: string }).rawBody ?? '';
    const problem = webhookProblem(d.secret, { signature: header(req.headers['x-signature']), timestamp: header(req.headers['x-timestamp']) }, body, d.clock.now());
    if (problem !== undefined) {
      d.logger.warn({ reason: problem, ip: req.ip }, 'webhook signal refused');
      await auditRejection(problem, req.ip).catch((err: unknown) => d.logger.warn({ err }, 'auditing a refused webhook failed'));
      return reply.code(401).send({ error: `signature refused: ${problem}` });
    }
    const parsed = parseSignal(req.body);
    if (!parsed.ok) return reply.code(400).send({ error: `invalid signal: ${formatFieldErrors(parsed.errors)}`, errors: parsed.errors });
    const jobId = jobIdForSignal(parsed.signal.id);
    const existing = await d.queue.getJob(jobId);
    if (!existing) await enqueueSignal(d.queue, req.body as { id: string });
    await d.audit.append({ type: 'webhook.signal', signalId: parsed.signal.id, data: { jobId, enqueued: !existing, ip: req.ip } });
    return reply.code(202).send({ signalId: parsed.signal.id, jobId, enqueued: !existing });
  });
}
