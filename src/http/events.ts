/**
 * Server-Sent Events from the Redis streams `<p>:orders`, `<p>:fills` and `<p>:audit` (signal decisions
 * are the audit stream's `outcome` records). One blocking reader fans out to every page (`StreamHub`);
 * each event's SSE id is its stream entry id, so a page that reconnects sends `Last-Event-ID` and
 * `GET /events` replays what it missed before joining the live feed.
 *
 * Ordering: entries are dispatched in id order within each read, and Redis stamps ids from one clock,
 * so ids rise across streams except between entries of the same millisecond. A replay therefore starts
 * at the beginning of the Last-Event-ID's millisecond in every stream; the page drops entries it has
 * (by stream and id). A gap too long to replay (`MAX_REPLAY` per stream) is sent as one `reset` event:
 * the page reloads its snapshot.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { fieldsToRecord } from '../infra/streams.js';
import type { Logger } from '../app/logger.js';

export type StreamName = 'orders' | 'fills' | 'audit';

/** One stream entry as the page receives it. */
export interface StreamEvent {
  readonly stream: StreamName;
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** An event that is not a stream entry (trading state, connection): sent without an id. */
export interface SignalEvent {
  readonly event: string;
  readonly data: unknown;
}

type Listener = (e: StreamEvent | SignalEvent) => void;

const MAX_REPLAY = 2000;
const ID_RE = /^\d{1,16}-\d{1,16}$/;

/** Compares two stream ids numerically. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

type XReadReply = [string, [string, string[]][]][] | null;

/** One blocking reader of the streams, fanned out to listeners. */
export class StreamHub {
  private readonly listeners = new Set<Listener>();
  private readonly cursors = new Map<string, string>();
  private running = false;
  private failing = false;
  private loopDone: Promise<void> = Promise.resolve();

  /** `conn` is used for XREAD BLOCK only (a connection of its own); `streams` maps names to keys. */
  constructor(
    private readonly conn: Redis,
    private readonly streams: Readonly<Record<StreamName, string>>,
    private readonly logger: Logger,
  ) {}

  /** Starts from the current end of every stream. */
  start(): void {
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.conn.disconnect();
    await this.loopDone;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Sends a non-stream event (trading state, connection) to every page. */
  broadcast(e: SignalEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  private async loop(): Promise<void> {
    const names = Object.keys(this.streams) as StreamName[];
    while (this.running) {
      try {
        for (const n of names) {
          if (!this.cursors.has(n)) this.cursors.set(n, (await this.conn.xrevrange(this.streams[n], '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0');
        }
        const ids = names.map((n) => this.cursors.get(n) ?? '0-0');
        const res = (await this.conn.xread('COUNT', 500, 'BLOCK', 5000, 'STREAMS', ...names.map((n) => this.streams[n]), ...ids)) as XReadReply;
        this.failing = false;
        const batch = toEvents(res, this.streams);
        for (const e of batch) {
          this.cursors.set(e.stream, e.id);
          for (const fn of this.listeners) fn(e);
        }
      } catch (err) {
        if (!this.running) return;
        if (!this.failing) this.logger.warn({ err }, 'dashboard: reading the streams failed; retrying every second');
        this.failing = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}

/** XREAD reply → events sorted by id. */
function toEvents(res: XReadReply, streams: Readonly<Record<StreamName, string>>): StreamEvent[] {
  const byKey = new Map(Object.entries(streams).map(([n, k]) => [k, n as StreamName]));
  const out: StreamEvent[] = [];
  for (const [key, entries] of res ?? []) {
    const stream = byKey.get(key);
    if (stream) for (const [id, flat] of entries) out.push({ stream, id, fields: fieldsToRecord(flat) });
  }
  return out.sort((a, b) => compareIds(a.id, b.id));
}

/** What was written after `since` (from the start of its millisecond), or 'reset' when too much. */
export async function replaySince(redis: Redis, streams: Readonly<Record<StreamName, string>>, since: string): Promise<StreamEvent[] | 'reset'> {
  const start = `${since.split('-')[0]}-0`;
  const out: StreamEvent[] = [];
  for (const [name, key] of Object.entries(streams) as [StreamName, string][]) {
    const page = await redis.xrange(key, start, '+', 'COUNT', MAX_REPLAY + 1);
    if (page.length > MAX_REPLAY) return 'reset';
    for (const [id, flat] of page) out.push({ stream: name, id, fields: fieldsToRecord(flat) });
  }
  return out.sort((a, b) => compareIds(a.id, b.id));
}

/** One SSE frame. Data is JSON on one line, so no payload can break the framing. */
export function sseFrame(e: StreamEvent | SignalEvent): string {
  if ('stream' in e) return `id: ${e.id}\nevent: ${e.stream}\ndata: ${JSON.stringify(e)}\n\n`;
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

export interface EventsRouteDeps {
  readonly hub: StreamHub;
  readonly redis: Redis;
  readonly streams: Readonly<Record<StreamName, string>>;
  readonly maxClients?: number;
  readonly heartbeatMs?: number;
}

/**
 * Registers `GET /events`: replay from `Last-Event-ID` (or `?since=`), then the live feed. Returns a
 * function that ends every open stream: call it before closing the server, which otherwise waits for
 * them (a page left open would stall the daemon's shutdown).
 */
export function registerEvents(app: FastifyInstance, d: EventsRouteDeps): () => void {
  const open = new Set<FastifyReply['raw']>();
  app.get('/events', async (req, reply) => {
    if (d.hub.size >= (d.maxClients ?? 50)) return reply.code(503).send({ error: 'too many open dashboards' });
    const header = req.headers['last-event-id'];
    const query = (req.query as { since?: string }).since;
    const raw = (typeof header === 'string' && header !== '' ? header : query) ?? '';
    const since = ID_RE.test(raw) ? raw : undefined;
    open.add(reply.raw);
    reply.raw.on('close', () => open.delete(reply.raw));
    await stream(reply, d, since);
    return reply;
  });
  return () => {
    for (const res of open) res.end();
    open.clear();
  };
}

async function stream(reply: FastifyReply, d: EventsRouteDeps, since: string | undefined): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write('retry: 2000\n\n');
  // subscribe first and buffer, so nothing written during the replay is lost
  let buffer: (StreamEvent | SignalEvent)[] | undefined = since ? [] : undefined;
  const unsubscribe = d.hub.subscribe((e) => (buffer ? buffer.push(e) : res.write(sseFrame(e))));
  const heartbeat = setInterval(() => res.write(': hb\n\n'), d.heartbeatMs ?? 15_000);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
  if (!since || !buffer) return;
  const last = new Map<StreamName, string>();
  try {
    const replay = await replaySince(d.redis, d.streams, since);
    if (replay === 'reset') res.write(sseFrame({ event: 'reset', data: { reason: 'too much was missed; reload the snapshot' } }));
    else for (const e of replay) {
      last.set(e.stream, e.id);
      res.write(sseFrame(e));
    }
  } catch {
    res.write(sseFrame({ event: 'reset', data: { reason: 'replay failed; reload the snapshot' } }));
  }
  const pending = buffer;
  buffer = undefined;
  for (const e of pending) {
    if ('stream' in e && compareIds(e.id, last.get(e.stream) ?? '0-0') <= 0) continue;
    res.write(sseFrame(e));
  }
}
