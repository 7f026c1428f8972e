/** `POST /signals`: the HMAC signature and timestamp, the job it enqueues, and the audit of refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_JOB_OPTIONS, jobIdForSignal } from '../../src/ingest/enqueue.js';
import { tailAudit } from '../../src/infra/audit.js';
import { signWebhook, webhookProblem } from '../../src/http/webhook.js';
import { httpFixture, type Fixture } from './helpers.js';

const SECRET = 'whsec-test-0123456789';
const signal = (id: string): string => JSON.stringify({ id, createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, side: 'BUY', size: { quantity: 1 }, accounts: ['DU1000002'] });
const nowSec = (): string => String(Math.floor(Date.now() / 1000));

describe('POST /signals', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await httpFixture({ webhookSecret: SECRET });
  });
  afterAll(async () => f.close());

  const post = (body: string, headers: Record<string, string>) =>
    f.server.app.inject({ method: 'POST', url: '/signals', payload: body, headers: { 'content-type': 'application/json', host: '127.0.0.1:7700', ...headers } });

  it('enqueues a signed signal exactly as `ibkr-exec signal` does: 202 with the job id', async () => {
    const body = signal('wh-ok-1');
    const ts = nowSec();
    const res = await post(body, { 'x-timestamp': ts, 'x-signature': signWebhook(SECRET, ts, body) });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ signalId: 'wh-ok-1', jobId: jobIdForSignal('wh-ok-1'), enqueued: true });
    const job = await f.queue.getJob(jobIdForSignal('wh-ok-1'));
    expect(job?.name).toBe('signal');
    expect(job?.data).toEqual(JSON.parse(body));
    expect(job?.opts.attempts ?? 0).toBe(SIGNAL_JOB_OPTIONS.attempts ?? 0); // retries are the daemon's: no attempts set
    expect(job?.opts.backoff).toEqual(SIGNAL_JOB_OPTIONS.backoff);
    // the same signal again (a replay within the window) is not a second job
    const again = await post(body, { 'x-timestamp': ts, 'x-signature': signWebhook(SECRET, ts, body) });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ enqueued: false });
    expect(await f.queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
  });

  it('refuses a bad signature with 401, enqueues nothing, and audits the refusal', async () => {
    const body = signal('wh-bad-1');
    const ts = nowSec();
    const res = await post(body, { 'x-timestamp': ts, 'x-signature': signWebhook('another-secret', ts, body) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatch(/X-Signature: does not match/);
    expect(await f.queue.getJob(jobIdForSignal('wh-bad-1'))).toBeUndefined();
    const last = (await tailAudit(f.redis, f.infra.keys.audit, 1))[0];
    expect(last).toMatchObject({ type: 'webhook.rejected', data: { reason: 'X-Signature: does not match the body' } });
  });

  it('refuses a signature over a different body, a stale timestamp and missing headers', async () => {
    const ts = nowSec();
    const signedOther = await post(signal('wh-bad-2'), { 'x-timestamp': ts, 'x-signature': signWebhook(SECRET, ts, signal('wh-other')) });
    expect(signedOther.statusCode).toBe(401);
    const old = String(Math.floor(Date.now() / 1000) - 301);
    const body = signal('wh-bad-3');
    const stale = await post(body, { 'x-timestamp': old, 'x-signature': signWebhook(SECRET, old, body) });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error).toMatch(/X-Timestamp: .* away from now/);
    expect((await post(body, {})).statusCode).toBe(401);
  });

  it('answers 400 naming the field for a signed payload that is not a valid signal', async () => {
    const body = JSON.stringify({ id: 'wh-invalid', createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, side: 'HOLD', size: { quantity: 1 } });
    const ts = nowSec();
    const res = await post(body, { 'x-timestamp': ts, 'x-signature': signWebhook(SECRET, ts, body) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/side/);
  });

  it('webhookProblem is pure: the skew limit is 300 s either way', () => {
    const body = '{}';
    const t = 1_800_000_000;
    const sig = signWebhook(SECRET, String(t), body);
    expect(webhookProblem(SECRET, { timestamp: String(t), signature: sig }, body, (t + 300) * 1000)).toBeUndefined();
    expect(webhookProblem(SECRET, { timestamp: String(t), signature: sig }, body, (t - 301) * 1000)).toMatch(/X-Timestamp/);
    expect(webhookProblem(SECRET, { timestamp: String(t), signature: sig.toUpperCase().replace('SHA256', 'sha256') }, body, t * 1000)).toBeUndefined();
  });
});

describe('POST /signals without a webhook secret', () => {
  it('is off (503) and says how to turn it on', async () => {
    const f = await httpFixture();
    try {
      const res = await f.server.app.inject({ method: 'POST', url: '/signals', payload: signal('wh-off'), headers: { 'content-type': 'application/json', host: '127.0.0.1' } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatch(/IBKR_EXEC_WEBHOOK_SECRET/);
    } finally {
      await f.close();
    }
  });
});
