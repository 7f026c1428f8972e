/**
 * The Client Portal simulator's admin HTTP (127.0.0.1): GET /state (the engine's state as for the TWS
 * simulator, plus the CP session), POST /price, POST /fault. CP faults: session-expired (the brokerage
 * session ends, as after idling without /tickle), competing-session, drop-next {count} (orders are
 * booked but the answer is dropped), delay {ms, count}, unavailable {count} (503), question-next
 * {messageId, text} (a scripted reply-chain question), penalty-box {ms}; engine faults as §7:
 * reject-next, duplicate-next, read-only-api, settle, new-day, close-auction.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { z } from 'zod';
import { stateView } from '../admin/state-view.js';
import type { CpSimState } from './cp-types.js';

const faultSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('session-expired') }),
  z.strictObject({ action: z.literal('competing-session') }),
  z.strictObject({ action: z.literal('drop-next'), count: z.number().int().min(0).default(1) }),
  z.strictObject({ action: z.literal('delay'), ms: z.number().int().min(0).max(600_000), count: z.number().int().min(0).default(1) }),
  z.strictObject({ action: z.literal('unavailable'), count: z.number().int().min(0).default(1) }),
  z.strictObject({ action: z.literal('question-next'), messageId: z.string().min(1), text: z.string().min(1) }),
  z.strictObject({ action: z.literal('penalty-box'), ms: z.number().int().min(0).max(3_600_000) }),
  z.strictObject({ action: z.literal('reject-next'), code: z.number().int().default(201), message: z.string().optional(), skip: z.number().int().min(0).max(100).default(0) }),
  z.strictObject({ action: z.literal('duplicate-next') }),
  z.strictObject({ action: z.literal('read-only-api'), on: z.boolean().default(true) }),
  z.strictObject({ action: z.literal('settle') }),
  z.strictObject({ action: z.literal('new-day') }),
  z.strictObject({ action: z.literal('close-auction') }),
]);
const priceSchema = z.strictObject({ symbol: z.string().min(1).optional(), conId: z.number().int().positive().optional(), price: z.number().finite().positive() });

type Fault = z.infer<typeof faultSchema>;

function applyFault(s: CpSimState, f: Fault): void {
  const e = s.engine;
  switch (f.action) {
    case 'session-expired': s.session.expire(); s.pending = undefined; return;
    case 'competing-session': s.session.compete(); s.pending = undefined; return;
    case 'drop-next': s.faults.dropNextOrderResponses = f.count; return;
    case 'delay': s.faults.delayMs = f.ms; s.faults.delayNext = f.count; return;
    case 'unavailable': s.faults.unavailableNext = f.count; return;
    case 'question-next': s.faults.questionsNext.push({ messageId: f.messageId, text: f.text }); return;
    case 'penalty-box': s.limiter.penalize(f.ms); return;
    case 'reject-next': return e.rejectNext(f.code, f.message ?? 'Order rejected - reason:Simulated rejection', f.skip);
    case 'duplicate-next': return e.duplicateNext();
    case 'read-only-api': return e.setReadOnlyApi(f.on);
    case 'settle': return e.settle();
    case 'new-day': return e.newDay();
    case 'close-auction': return e.closeAuction();
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? {} : JSON.parse(text);
}

function issueText(err: z.ZodError): string {
  const i = err.issues[0];
  const keys = i?.code === 'unrecognized_keys' ? i.keys : [];
  const field = [...(i?.path ?? []), ...keys.slice(0, 1)].map(String).join('.') || '(body)';
  return `${field}: ${i?.message ?? 'invalid'}`;
}

async function route(s: CpSimState, req: IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (req.method === 'GET' && (path === '/state' || path === '/')) {
    return [200, { ...(stateView(s.engine) as object), clientPortal: { state: s.session.state, primed: s.session.primed, rejected429: s.limiter.rejected, pendingReply: s.pending?.id ?? null } }];
  }
  if (req.method !== 'POST') return [404, { error: `no route ${req.method ?? ''} ${path}` }];
  let body: unknown;
  try {
    body = await readJson(req);
  } catch {
    return [400, { error: 'body is not valid JSON', field: '(body)' }];
  }
  if (path === '/fault') {
    const r = faultSchema.safeParse(body);
    if (!r.success) return [400, { error: issueText(r.error) }];
    applyFault(s, r.data);
    return [200, { ok: true, action: r.data.action }];
  }
  if (path === '/price') {
    const r = priceSchema.safeParse(body);
    if (!r.success) return [400, { error: issueText(r.error) }];
    const key = r.data.conId ?? r.data.symbol ?? '';
    if (!s.engine.setPrice(key, r.data.price)) return [400, { error: `unknown or ambiguous instrument ${key}`, field: r.data.conId ? 'conId' : 'symbol' }];
    return [200, { ok: true }];
  }
  return [404, { error: `no route POST ${path}` }];
}

/** Starts the admin server on 127.0.0.1:port (0 = free). */
export async function startCpAdmin(s: CpSimState, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    route(s, req).then(([status, body]) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }, (err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message }));
    });
  });
  await listen(server, port);
  return { server, port: boundPort(server, port) };
}

/** Binds a server to 127.0.0.1:port. */
export async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The port a listening server is bound to. */
export function boundPort(server: Server, fallback: number): number {
  const a = server.address();
  return typeof a === 'object' && a ? a.port : fallback;
}
