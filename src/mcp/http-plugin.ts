/**
 * SHELL: Streamable HTTP MCP at `/mcp` and the preview approval API, as a fastify plugin the daemon's
 * HTTP listener registers (CONTRACT §8, §9):
 *  - `POST|GET|DELETE /mcp` — one McpServer + transport per MCP session (`mcp-session-id`);
 *  - `GET /api/previews` → `{ previews: [{ previewId, createdAt, expiresAt, status, request, results }] }`;
 *  - `POST /api/previews/:id/approve` | `/reject` → `{ previewId, status, jobId? }` (409 with a sentence
 *    when the preview cannot be approved).
 * Every request needs the bearer token (`Authorization: Bearer …`, secret `mcp-token`) or whatever the
 * listener's `authorize` hook accepts (the dashboard's login cookie); without a configured token every
 * request is refused, and registering on a non-loopback host without one throws. A non-GET request whose
 * Origin (or Sec-Fetch-Site) says cross-site is refused (403); on a loopback bind the Host header must be
 * a loopback name (DNS rebinding).
 *
 * Wiring on the daemon's listener (the MCP runtime needs a client id of its own, distinct from the daemon's
 * and from a stdio `ibkr-exec mcp`, which defaults to `ib.clientId + 1`):
 *
 * ```ts
 * const mcp = await createMcpRuntime({ config, env, clientId: config.ib.clientId + 2 });
 * await app.register(mcpHttpPlugin, { ctx: mcp.ctx, token: mcpToken(env), host: config.http.host, authorize: loginCookieOk });
 * // on stop: await app.close(); await mcp.close();
 * ```
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { confirmPreview } from './confirm.js';
import type { McpContext } from './context.js';
import { createMcpServer, SERVER_VERSION } from './server.js';
import { ToolError } from './tool-def.js';

/** Options of `mcpHttpPlugin`. */
export interface McpHttpOptions {
  readonly ctx: McpContext;
  /** the bearer token (secret `mcp-token`, see `mcpToken(env)`); undefined refuses every request */
  readonly token: string | undefined;
  /** the listener's bind host (config `http.host`) */
  readonly host: string;
  /** an extra way in (e.g. the dashboard's login cookie); the bearer token always works */
  readonly authorize?: (req: FastifyRequest) => boolean;
  /** concurrent MCP sessions (default 32) */
  readonly maxSessions?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The host part of a Host header or URL authority ("127.0.0.1:7700" → "127.0.0.1", "[::1]:80" → "[::1]"). */
const hostOf = (authority: string): string => (authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0] ?? '');

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time check of `Authorization: Bearer <token>`. */
function bearerOk(req: FastifyRequest, token: string | undefined): boolean {
  if (token === undefined) return false;
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(h.slice(7).trim()), digest(token));
}

/** Same-origin for state-changing requests: a present Origin must name the Host; Sec-Fetch-Site must not be cross-site. */
function sameOrigin(req: FastifyRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** Registers the routes; see the module comment. */
export async function mcpHttpPlugin(app: FastifyInstance, o: McpHttpOptions): Promise<void> {
  if (o.token === undefined && !LOOPBACK.has(o.host)) {
    throw new Error(`http.host ${o.host} is not loopback and no MCP token is configured: set IBKR_EXEC_MCP_TOKEN or IBKR_EXEC_MCP_TOKEN_FILE (a 0600 file), or bind 127.0.0.1`);
  }
  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (LOOPBACK.has(o.host) && !LOOPBACK.has(hostOf(req.headers.host ?? ''))) {
      return void (await reply.code(403).send({ error: 'Host header is not a loopback name (DNS rebinding protection)' }));
    }
    if (!bearerOk(req, o.token) && !(o.authorize?.(req) ?? false)) {
      const why = o.token === undefined ? 'no MCP token is configured (set IBKR_EXEC_MCP_TOKEN or IBKR_EXEC_MCP_TOKEN_FILE)' : 'a valid bearer token is required';
      return void (await reply.code(401).header('www-authenticate', 'Bearer').send({ error: why }));
    }
    if (!sameOrigin(req)) return void (await reply.code(403).send({ error: 'cross-origin request refused' }));
  };
  registerMcpRoutes(app, o, guard);
  registerPreviewRoutes(app, o.ctx, guard);
}

type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

function registerMcpRoutes(app: FastifyInstance, o: McpHttpOptions, guard: Guard): void {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const max = o.maxSessions ?? 32;
  const jsonError = (reply: FastifyReply, code: number, message: string) => reply.code(code).send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
  app.addHook('onClose', async () => {
    for (const t of sessions.values()) await t.close().catch(() => undefined);
  });
  app.post('/mcp', { preHandler: guard }, async (req, reply) => {
    const sid = req.headers['mcp-session-id'];
    let t = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!t) {
      if (sid !== undefined) return jsonError(reply, 404, 'unknown MCP session; initialize a new one');
      if (!isInitializeRequest(req.body)) return jsonError(reply, 400, 'no MCP session: send an initialize request first');
      if (sessions.size >= max) return jsonError(reply, 503, `too many MCP sessions (${max})`);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void sessions.set(id, transport) });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await createMcpServer(o.ctx).server.connect(transport);
      t = transport;
    }
    reply.hijack();
    await handle(t, req, reply, req.body);
  });
  const existing = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const sid = req.headers['mcp-session-id'];
    const t = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!t) return void (await jsonError(reply, 404, 'unknown MCP session'));
    reply.hijack();
    await handle(t, req, reply);
  };
  app.get('/mcp', { preHandler: guard }, existing);
  app.delete('/mcp', { preHandler: guard }, existing);
}

/** Hands a hijacked request to the transport; a transport failure still ends the response (500). */
async function handle(t: StreamableHTTPServerTransport, req: FastifyRequest, reply: FastifyReply, body?: unknown): Promise<void> {
  try {
    await t.handleRequest(req.raw, reply.raw, body);
  } catch (e) {
    req.log.warn({ err: e }, 'MCP request failed');
    if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
    reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null }));
  }
}

function registerPreviewRoutes(app: FastifyInstance, ctx: McpContext, guard: Guard): void {
  const client = { name: 'dashboard', version: SERVER_VERSION };
  app.get('/api/previews', { preHandler: guard }, async () => {
    const list = await ctx.previews.list(ctx.clock.now());
    return { previews: list.map((p) => ({ previewId: p.previewId, createdAt: p.createdAt, expiresAt: p.expiresAt, status: p.status, request: p.request, results: p.results })) };
  });
  app.post<{ Params: { id: string } }>('/api/previews/:id/approve', { preHandler: guard }, async (req, reply) => {
    try {
      const r = await confirmPreview(ctx, req.params.id, { kind: 'dashboard', client }, 0);
      return { previewId: r.previewId, status: 'confirmed', jobId: r.jobId };
    } catch (e) {
      if (e instanceof ToolError) return reply.code(409).send({ previewId: req.params.id, error: e.message });
      throw e;
    }
  });
  app.post<{ Params: { id: string } }>('/api/previews/:id/reject', { preHandler: guard }, async (req, reply) => {
    const rec = await ctx.previews.get(req.params.id).catch(() => undefined);
    if (!rec) return reply.code(404).send({ previewId: req.params.id, error: 'unknown or expired preview' });
    const d = await ctx.previews.decide(rec, 'rejected', 'dashboard', ctx.clock.now());
    if (d.kind === 'gone') return reply.code(404).send({ previewId: rec.previewId, error: 'the preview expired' });
    if (d.kind === 'already') return reply.code(409).send({ previewId: rec.previewId, status: d.record.status, error: `already ${d.record.status}` });
    await ctx.infra.audit.append({ type: 'mcp.reject', signalId: rec.signalId, data: { previewId: rec.previewId, client, by: 'dashboard' } });
    return { previewId: rec.previewId, status: 'rejected' };
  });
}
