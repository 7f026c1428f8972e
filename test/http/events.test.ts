/** `GET /events`: stream entries as SSE with the stream id as the event id; Last-Event-ID replays the gap. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFixture, type Fixture } from './helpers.js';
import { readPreviews } from '../../src/http/actions.js';

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens the SSE stream and collects frames until `until` holds (bounded by `timeoutMs`). */
async function collect(url: string, headers: Record<string, string>, until: (frames: Frame[]) => boolean, timeoutMs = 10_000): Promise<Frame[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const frames: Frame[] = [];
  try {
    const res = await fetch(url, { headers, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    while (!until(frames)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f: Frame = {};
        for (const line of block.split('\n')) {
          const m = /^(id|event|data): (.*)$/.exec(line);
          if (m) f[m[1] as keyof Frame] = m[2];
        }
        if (f.event) frames.push(f);
      }
    }
    ctrl.abort();
    return frames;
  } catch (e) {
    if ((e as Error).name === 'AbortError') return frames;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

describe('GET /events', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await httpFixture({ listen: true });
  });
  afterAll(async () => f.close());

  it('replays what was written after Last-Event-ID, then delivers new entries live, each with its stream id', async () => {
    const k = f.infra.keys;
    const first = (await f.redis.xadd(k.fills, '*', 'execId', 'e1', 'symbol', 'AAPL'))!;
    const missed = (await f.redis.xadd(k.fills, '*', 'execId', 'e2', 'symbol', 'MSFT'))!;
    const missedOrder = (await f.redis.xadd(k.orders, '*', 'event', 'FILLED', 'symbol', 'MSFT'))!;
    const done = collect(`${f.url}events`, { 'last-event-id': first }, (fr) => fr.some((x) => x.data?.includes('"e3"')));
    // a live entry once the stream is open (the replay may or may not have been sent yet: both paths must deliver it)
    await new Promise((r) => setTimeout(r, 300));
    const live = (await f.redis.xadd(k.fills, '*', 'execId', 'e3', 'symbol', '<img src=x onerror=alert(1)>'))!;
    const frames = await done;
    const entries = frames.filter((x) => x.id);
    const ids = entries.map((x) => x.id);
    expect(ids).toContain(missed);
    expect(ids).toContain(missedOrder);
    expect(ids).toContain(live);
    expect(ids.filter((x) => x === live)).toHaveLength(1);
    const e3 = entries.find((x) => x.id === live)!;
    expect(e3.event).toBe('fills');
    expect(JSON.parse(e3.data!)).toMatchObject({ stream: 'fills', id: live, fields: { execId: 'e3', symbol: '<img src=x onerror=alert(1)>' } });
    expect(entries.find((x) => x.id === missedOrder)?.event).toBe('orders');
  });

  it('without Last-Event-ID sends only new entries', async () => {
    const k = f.infra.keys;
    const old = (await f.redis.xadd(k.audit, '*', 'seq', '999', 'type', 'test-old'))!;
    const done = collect(`${f.url}events`, {}, (fr) => fr.some((x) => x.data?.includes('test-new')));
    await new Promise((r) => setTimeout(r, 300));
    await f.redis.xadd(k.audit, '*', 'seq', '1000', 'type', 'test-new');
    const frames = await done;
    expect(frames.map((x) => x.id)).not.toContain(old);
    expect(frames.some((x) => x.data?.includes('test-new'))).toBe(true);
  });
});

describe('GET /api/previews (read-only fallback when the MCP plugin does not serve it)', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await httpFixture();
  });
  afterAll(async () => f.close());

  it('lists unexpired preview records from <prefix>:previews / <prefix>:preview:<id>', async () => {
    const p = f.config.redis.prefix;
    const now = Date.now();
    const live = { previewId: 'pv-live', createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), status: 'pending', request: { symbol: 'AAPL', side: 'BUY', size: { quantity: 1 } }, results: [] };
    const gone = { ...live, previewId: 'pv-gone', expiresAt: new Date(now - 1000).toISOString() };
    await f.redis.set(`${p}:preview:pv-live`, JSON.stringify(live));
    await f.redis.set(`${p}:preview:pv-gone`, JSON.stringify(gone));
    await f.redis.zadd(`${p}:previews`, now + 60_000, 'pv-live', now - 1000, 'pv-gone');
    const res = await f.server.app.inject({ method: 'GET', url: '/api/previews', headers: { host: '127.0.0.1' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().previews).toEqual([live]);
    expect(await readPreviews(f.redis, p, now)).toHaveLength(1);
  });
});

describe('closing the listener', () => {
  it('ends open event streams, so a page left open does not stall the daemon’s shutdown', async () => {
    const f = await httpFixture({ listen: true });
    const res = await fetch(`${f.url}events`);
    const reader = res.body!.getReader();
    await reader.read(); // the retry line: the stream is open
    await f.close();
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});
