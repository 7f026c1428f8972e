/**
 * Admin HTTP on 127.0.0.1 (node:http): GET /state, POST /price, POST /fault, POST /auction.
 * Bad input is answered 400 with `{ error, field }` naming the field; nothing here can crash the
 * simulator. Fault actions:
 *   disconnect · connectivity-lost {ms} · drop-acks {count} · reject-next {code?, message?, skip?} · duplicate-next
 *   restart {rollbackOrderIds?} · close-auction · settle · new-day · competing-session · read-only-api {on}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SimEngine } from '../engine/engine.js';
import type { TwsServer } from '../server/tws-server.js';
import { stateView } from './state-view.js';

const priceSchema = z.strictObject({
  symbol: z.string().min(1).optional(),
  conId: z.number().int().positive().optional(),
  price: z.number().finite().positive(),
}).refine((p) => (p.symbol === undefined) !== (p.conId === undefined), { message: 'give exactly one of symbol or conId', path: ['symbol'] });

const faultSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('disconnect') }),
  z.strictObject({ action: z.literal('connectivity-lost'), ms: z.number().int().min(0).max(3_600_000).default(2000) }),
  z.strictObject({ action: z.literal('drop-acks'), count: z.number().int().min(0).default(1) }),
  z.strictObject({ action: z.literal('reject-next'), code: z.number().int().default(201), message: z.string().optional(), skip: z.number().int().min(0).max(100).default(0) }),
  z.strictObject({ action: z.literal('duplicate-next') }),
  z.strictObject({ action: z.literal('restart'), rollbackOrderIds: z.boolean().default(false) }),
  z.strictObject({ action: z.literal('close-auction') }),
  z.strictObject({ action: z.literal('settle') }),
  z.strictObject({ action: z.literal('new-day') }),
  z.strictObject({ action: z.literal('competing-session') }),
  z.strictObject({ action: z.literal('read-only-api'), on: z.boolean().default(true) }),
]);

/** A 400 answer naming the bad field. */
class BadRequest extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
  const field = [...(issue?.path ?? []), ...keys.slice(0, 1)].map(String).join('.') || '(body)';
  throw new BadRequest(field, keys.length > 0 ? `unknown field ${field}` : `${field}: ${issue?.message ?? 'invalid'}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new BadRequest('(body)', 'body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('(body)', 'body is not valid JSON');
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function applyFault(engine: SimEngine, tws: TwsServer, f: z.infer<typeof faultSchema>): void {
  switch (f.action) {
    case 'disconnect': return tws.disconnectAll();
    case 'connectivity-lost': return tws.connectivityLostFor(f.ms);
    case 'drop-acks': return engine.dropAcks(f.count);
    case 'reject-next': return engine.rejectNext(f.code, f.message ?? 'Order rejected - reason:Simulated rejection', f.skip);
    case 'duplicate-next': return engine.duplicateNext();
    case 'restart': return tws.restart(f.rollbackOrderIds);
    case 'close-auction': return engine.closeAuction();
    case 'settle': return engine.settle();
    case 'new-day': return engine.newDay();
    case 'competing-session': return tws.competingSession();
    case 'read-only-api': return engine.setReadOnlyApi(f.on);
  }
}

async function route(engine: SimEngine, tws: TwsServer, req: IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (req.method === 'GET' && (path === '/state' || path === '/')) return [200, stateView(engine)];
  if (req.method !== 'POST') return [404, { error: `no route ${req.method ?? ''} ${path}` }];
  const body = await readJson(req);
  if (path === '/price') {
    const p = parse(priceSchema, body);
    const key = p.conId ?? p.symbol ?? '';
    const ins = engine.instrument(key);
    if (!ins) {
      if (p.conId !== undefined) throw new BadRequest('conId', `unknown conId ${p.conId}`);
      const many = engine.instruments.all().filter((i) => i.symbol.toUpperCase() === key.toString().toUpperCase()).length;
      throw new BadRequest('symbol', many > 1 ? `symbol ${key} names ${many} instruments and none is its stock: give a conId` : `unknown symbol ${key}`);
    }
    engine.setPrice(ins.conId, p.price);
    return [200, { ok: true, quote: (stateView(engine) as { quotes: { conId: number }[] }).quotes.find((q) => q.conId === ins.conId) }];
  }
  if (path === '/fault') {
    const f = parse(faultSchema, body);
    applyFault(engine, tws, f);
    return [200, { ok: true, action: f.action }];
  }
  if (path === '/auction') {
    engine.closeAuction();
    return [200, { ok: true, action: 'close-auction' }];
  }
  return [404, { error: `no route POST ${path}` }];
}

/** Starts the admin server on 127.0.0.1:port (0 = free); resolves to the server and its port. */
export async function startAdminServer(engine: SimEngine, tws: TwsServer, port: number, log: (l: string) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    route(engine, tws, req).then(
      ([status, body]) => reply(res, status, body),
      (err: unknown) => {
        if (err instanceof BadRequest) return reply(res, 400, { error: err.message, field: err.field });
        log(`sim admin: ${(err as Error).stack ?? String(err)}`);
        reply(res, 500, { error: (err as Error).message });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : port };
}
