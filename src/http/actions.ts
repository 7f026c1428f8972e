/**
 * The dashboard's state-changing routes (the security hook has already checked token and origin):
 * - `POST /api/trading-state` `{ scope: "global" | <account>, state, reason, confirm?, cancel? }` — through
 *   the same kill-switch function as `ibkr-exec halt|reduce-only|resume`, then an audit record
 *   `dashboard.action` with the reason. Resuming needs a reason and `confirm: "RESUME"` (typed by the person).
 * - `POST /api/orders/:orderId/cancel` — cancels one working order through the daemon's own session (IB
 *   lets only the placing client id cancel); never in read-only mode.
 * - `GET /api/previews` (only when the MCP plugin does not serve it): pending MCP previews read from
 *   `<p>:previews` / `<p>:preview:<id>`.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { TRADING_STATES, type TradingState } from '../domain/types.js';
import type { AuditLog } from '../infra/audit.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../app/logger.js';
import type { DashboardBroker } from './snapshot.js';

/** The kill switch as the CLI runs it (src/cli/commands/kill-switch.ts `setTradingState`). */
export type SetTradingState = (state: TradingState, o: { account?: string; cancel?: boolean }) => Promise<{ scope: string; previous: TradingState; current: TradingState; auditSeq: number; note?: string }>;

export interface ActionDeps {
  readonly config: Config;
  readonly readOnly: boolean;
  readonly redis: Redis;
  readonly audit: AuditLog;
  readonly broker: DashboardBroker;
  readonly clientId: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly setTradingState: SetTradingState;
  /** called after a change, so open pages refresh at once */
  readonly changed: () => void;
}

export const RESUME_CONFIRMATION = 'RESUME';

interface TradingStateBody {
  scope?: unknown;
  state?: unknown;
  reason?: unknown;
  confirm?: unknown;
  cancel?: unknown;
}

/** The problem with a trading-state request, or undefined (pure). */
export function tradingStateProblem(b: TradingStateBody, accounts: readonly string[]): string | undefined {
  if (typeof b.state !== 'string' || !(TRADING_STATES as readonly string[]).includes(b.state)) return `state: expected one of ${TRADING_STATES.join(', ')}`;
  if (typeof b.scope !== 'string' || (b.scope !== 'global' && !accounts.includes(b.scope))) return `scope: expected "global" or a declared account (${accounts.join(', ')})`;
  if (b.reason !== undefined && (typeof b.reason !== 'string' || b.reason.length > 500)) return 'reason: expected a string of at most 500 characters';
  if (b.state === 'ACTIVE') {
    if (typeof b.reason !== 'string' || b.reason.trim() === '') return 'reason: resuming needs a reason';
    if (b.confirm !== RESUME_CONFIRMATION) return `confirm: type ${RESUME_CONFIRMATION} to resume trading`;
  }
  return undefined;
}

/** Registers the action routes. */
export function registerActions(app: FastifyInstance, d: ActionDeps): void {
  const accounts = d.config.accounts.map((a) => a.id);
  app.post('/api/trading-state', async (req, reply) => {
    const b = (req.body ?? {}) as TradingStateBody;
    const problem = tradingStateProblem(b, accounts);
    if (problem) return reply.code(400).send({ error: problem });
    const state = b.state as TradingState;
    const account = b.scope === 'global' ? undefined : (b.scope as string);
    const cancel = state === 'HALTED' && b.cancel === true;
    const report = await d.setTradingState(state, { ...(account !== undefined ? { account } : {}), cancel });
    const reason = typeof b.reason === 'string' ? b.reason.trim() : '';
    await d.audit.append({ type: 'dashboard.action', ...(account !== undefined ? { account } : {}), data: { action: 'trading-state', scope: report.scope, previous: report.previous, current: report.current, reason, cancel, auditSeq: report.auditSeq, by: 'dashboard', ip: req.ip } });
    d.logger.warn({ scope: report.scope, previous: report.previous, current: report.current, reason }, 'dashboard: trading state changed');
    d.changed();
    return reply.send(report);
  });

  app.post('/api/orders/:orderId/cancel', async (req, reply) => {
    const orderId = Number((req.params as { orderId: string }).orderId);
    if (!Number.isSafeInteger(orderId) || orderId <= 0) return reply.code(400).send({ error: 'orderId: expected a positive integer' });
    if (d.readOnly) return reply.code(409).send({ error: 'read-only mode: no cancel leaves the process' });
    const order = (await d.broker.openOrders()).find((o) => o.orderId === orderId);
    if (!order) return reply.code(404).send({ error: `order ${orderId} is not a working order` });
    if (order.clientId !== undefined && order.clientId !== d.clientId) {
      return reply.code(409).send({ error: `order ${orderId} was placed by client id ${order.clientId}; IB lets only that client cancel it (cancel it in TWS)` });
    }
    await d.broker.cancelOrder(orderId);
    await d.audit.append({ type: 'order.cancel', account: order.account, ...(order.orderRef ? { orderRef: order.orderRef } : {}), data: { orderId, by: 'dashboard', ip: req.ip } });
    d.logger.warn({ orderId, orderRef: order.orderRef }, 'dashboard: cancel requested');
    d.changed();
    return reply.code(202).send({ orderId, orderRef: order.orderRef ?? null, requested: true });
  });
}

/** The pending-preview records of the MCP server (`<p>:preview:<id>` JSON, `<p>:previews` scored by expiry). */
export async function readPreviews(redis: Redis, prefix: string, nowMs: number): Promise<unknown[]> {
  const ids = await redis.zrangebyscore(`${prefix}:previews`, nowMs, '+inf', 'LIMIT', 0, 100);
  if (ids.length === 0) return [];
  const raw = await redis.mget(...ids.map((id) => `${prefix}:preview:${id}`));
  const out: unknown[] = [];
  for (const r of raw) {
    if (r === null) continue;
    try {
      out.push(JSON.parse(r) as unknown);
    } catch {
      // an unreadable record is not shown (and cannot be approved)
    }
  }
  return out;
}

/** Registers the read-only `GET /api/previews` unless a plugin already serves it. */
export function registerPreviewFallback(app: FastifyInstance, redis: Redis, prefix: string, clock: Clock): void {
  if (app.hasRoute({ method: 'GET', url: '/api/previews' })) return;
  app.get('/api/previews', async () => ({ previews: await readPreviews(redis, prefix, clock.now()), approvals: false }));
}
