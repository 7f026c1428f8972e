/**
 * The Client Portal simulator's HTTP(S) front: everything under /v1/api, JSON in and out. Per request:
 * injected delay → rate limit (429 with Retry-After, the penalty box) → idle-expiry check → route →
 * session tier (401 without a brokerage session; 500 "Please query /accounts first" until primed) →
 * an injected 503 → the handler. A dropped answer (fault) destroys the socket after the work is done.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { marketRoutes } from './market-routes.js';
import { optionRoutes } from './option-routes.js';
import { orderRoutes } from './order-routes.js';
import { portfolioRoutes } from './portfolio-routes.js';
import { sessionRoutes } from './session-routes.js';
import { fail, type CpAnswer, type CpRoute, type CpSimState } from './cp-types.js';

const ROUTES: readonly CpRoute[] = [...sessionRoutes, ...portfolioRoutes, ...marketRoutes, ...optionRoutes, ...orderRoutes];
const PREFIX = '/v1/api';

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) return undefined;
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries([...new URLSearchParams(text)].map(([k, v]) => [k, v === 'true' ? true : v === 'false' ? false : v]));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Symbol.for('invalid-json');
  }
}

function find(method: string, path: string): { route: CpRoute; params: string[] } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
  }
  return undefined;
}

/** Answers one request under /v1/api (exported for the admin's state view and for tests of the routing). */
export async function answer(s: CpSimState, req: IncomingMessage): Promise<CpAnswer> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (!url.pathname.startsWith(`${PREFIX}/`)) return fail(404, `no route ${url.pathname} (the API lives under ${PREFIX})`);
  const path = url.pathname.slice(PREFIX.length);
  const method = req.method ?? 'GET';
  const body = await readBody(req);
  if (s.faults.delayNext > 0) {
    s.faults.delayNext -= 1;
    await new Promise((r) => setTimeout(r, s.faults.delayMs));
  }
  const verdict = s.limiter.admit(method, path);
  if (!verdict.ok) {
    return { status: 429, body: { error: verdict.penalty ? 'Too many requests: penalty box' : 'Too many requests' }, headers: { 'retry-after': String(Math.ceil(verdict.retryAfterMs / 1000)) } };
  }
  if (body === Symbol.for('invalid-json')) return fail(400, 'body is not valid JSON');
  s.session.checkIdle();
  const hit = find(method, path);
  if (!hit) return fail(404, `no route ${method} ${path}`);
  const { route, params } = hit;
  if (route.tier === 'brokerage') {
    if (s.session.state !== 'authenticated') return fail(401, s.session.state === 'competing' ? 'competing session' : 'not authenticated');
    s.session.touch();
    if (s.faults.unavailableNext > 0) {
      s.faults.unavailableNext -= 1;
      return fail(503, 'Service Unavailable');
    }
    if (route.primed && !s.session.primed) return fail(500, 'Please query /accounts first');
  }
  return route.handle(s, { method, path, params, query: url.searchParams, body });
}

function send(res: ServerResponse, a: CpAnswer): void {
  if (a.drop) {
    res.socket?.destroy();
    return;
  }
  const text = JSON.stringify(a.body);
  res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(a.headers ?? {}) });
  res.end(text);
}

/** Creates the (unbound) server: HTTPS with the given key and certificate, or plain HTTP. */
export function createCpServer(s: CpSimState, tls: { key: string; cert: string } | undefined): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    answer(s, req).then((a) => send(res, a), (err: unknown) => {
      s.log(`cp-sim: ${(err as Error).stack ?? String(err)}`);
      send(res, fail(500, (err as Error).message));
    });
  };
  return tls ? createHttps({ key: tls.key, cert: tls.cert }, handler) : createHttp(handler);
}
