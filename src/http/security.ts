/**
 * Who may do what on the HTTP listener (CONTRACT §9). Pure checks plus one fastify hook.
 *
 * - Loopback bind (the default): anyone on this machine can already read Redis, so reads are open; the
 *   threat is a web page in the user's browser. The Host header must name the loopback listener (a DNS
 *   rebinding page sends its own host name), and every state-changing request must be same-origin and carry
 *   the page token (`X-Ibkr-Csrf`, a random value per process written into the page, which another origin
 *   cannot read) — or the http token as `Authorization: Bearer`.
 * - With the http token configured (required for a non-loopback bind): every route but the health probes,
 *   the login page and the HMAC-signed webhook needs `Authorization: Bearer <token>` or the login cookie;
 *   a cookie-authenticated state change must also be same-origin and carry the page token.
 * Self-authenticating prefixes (the MCP endpoint, which checks its own bearer token) are left to their plugin.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'ibkr_exec_session';
export const CSRF_HEADER = 'x-ibkr-csrf';

export interface SecurityOptions {
  /** the http token; undefined = loopback-only mode */
  readonly token?: string;
  /** the page token (random per process) */
  readonly csrf: string;
  /** true when bound to a loopback address: the Host header is then checked */
  readonly loopback: boolean;
  /** paths open without a token (health probes, login, webhook) */
  readonly publicPaths: readonly string[];
  /** path prefixes whose plugin authenticates requests itself (e.g. `/mcp`) */
  readonly selfAuthenticated: readonly string[];
}

/** Constant-time string comparison (false for different lengths). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The login cookie's value: derived from the token, so changing the token logs everyone out. */
export const sessionValue = (token: string): string => createHmac('sha256', token).update('ibkr-exec dashboard session v1').digest('hex');

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The Host header names this machine (host part loopback; any port). */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return LOOPBACK_NAMES.has(name.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Same-origin: an `Origin` header must equal `http(s)://<Host>`; without one, `Sec-Fetch-Site` (sent by
 * every current browser) must not say cross-site. A request with neither is not from a browser page.
 */
export function isSameOrigin(headers: FastifyRequest['headers']): boolean {
  const origin = headers.origin;
  const host = headers.host;
  if (typeof origin === 'string' && origin !== '') {
    return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
  }
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

export type Credential = 'bearer' | 'cookie' | 'none';

/** Which valid credential the request carries. */
export function credentialOf(req: FastifyRequest, token: string | undefined): Credential {
  if (token === undefined) return 'none';
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ') && safeEqual(auth.slice(7).trim(), token)) return 'bearer';
  const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (cookie !== undefined && safeEqual(cookie, sessionValue(token))) return 'cookie';
  return 'none';
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The verdict for one request: undefined = allowed, else the status and the one sentence why. */
export function checkRequest(req: FastifyRequest, o: SecurityOptions): { status: number; message: string } | undefined {
  // the matched route's pattern, not the raw URL: a path the router normalizes ("/mcp/../api/…") must not
  // borrow another route's exemption; an unmatched request is checked as a private one (then 404s)
  const path = req.routeOptions.url ?? '(no route)';
  if (o.selfAuthenticated.some((p) => path === p || path.startsWith(`${p}/`))) return undefined;
  const isPublic = o.publicPaths.includes(path);
  if (o.loopback && !isPublic && !isLoopbackHostHeader(req.headers.host)) {
    return { status: 421, message: `this listener serves only loopback host names, not ${String(req.headers.host)} (a DNS-rebinding page?)` };
  }
  if (isPublic) return undefined;
  const cred = credentialOf(req, o.token);
  if (o.token !== undefined && cred === 'none') return { status: 401, message: 'log in first (GET /login) or send Authorization: Bearer <http token>' };
  if (!STATE_CHANGING.has(req.method) || cred === 'bearer') return undefined;
  if (!isSameOrigin(req.headers)) return { status: 403, message: 'cross-origin request refused' };
  const csrf = req.headers[CSRF_HEADER];
  if (typeof csrf !== 'string' || !safeEqual(csrf, o.csrf)) return { status: 403, message: `a state-changing request needs the page token (${CSRF_HEADER}) or Authorization: Bearer <http token>` };
  return undefined;
}

/** The fastify onRequest hook enforcing `checkRequest`; a page request without login goes to /login. */
export function securityHook(o: SecurityOptions) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const verdict = checkRequest(req, o);
    if (!verdict) return;
    if (verdict.status === 401 && req.method === 'GET' && req.routeOptions.url === '/') {
      await reply.redirect('/login', 303);
      return;
    }
    await reply.code(verdict.status).send({ error: verdict.message });
  };
}
