/**
 * cancel_order: IB lets only the client id that placed an order cancel it, so MCP asks the running daemon
 * over the control stream (the path `ibkr-exec halt --cancel` uses), naming the exact orderRefs, then
 * waits (bounded) for the outbox to show the cancel. Only this daemon's orders (outbox records) in
 * mcp.writeAccounts are ever named.
 */
import { signControl } from '../../infra/signing.js';
import { z } from 'zod';
import type { OutboxRecord } from '../../infra/outbox.js';
import { resolveAccount } from '../accounts.js';
import type { McpContext, McpSession } from '../context.js';
import { ToolError } from '../tool-def.js';
import { ISO, MODE, iso } from './common.js';

const WORKING = new Set(['INTENT', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'UNRESOLVED']);
const DONE = new Set(['CANCELLED', 'FILLED', 'REJECTED', 'PENDING_CANCEL']);

/** The structured result of `cancel_order` (its output schema). */
export const cancelOutput = z.object({
  mode: MODE, asOf: ISO, requestId: z.string().nullable(),
  orders: z.array(z.object({ orderRef: z.string(), account: z.string(), signalId: z.string(), state: z.string() })),
  note: z.string(),
});

/** Sends the cancel request for the named orders and reports their states after a bounded wait. */
export async function cancelOrders(ctx: McpContext, session: McpSession, a: { signalId?: string | undefined; orderRef?: string | undefined; account?: string | undefined }): Promise<z.input<typeof cancelOutput>> {
  const ob = ctx.infra.outbox;
  const account = a.account !== undefined ? resolveAccount(a.account, ctx.config.accounts).id : undefined;
  const found: OutboxRecord[] = a.orderRef !== undefined ? [await ob.get(a.orderRef)].filter((r): r is OutboxRecord => r !== undefined) : await ob.listBySignal(a.signalId ?? '');
  const mine = found.filter((r) => account === undefined || r.account === account);
  if (mine.length === 0) throw new ToolError(`no order of this daemon matches ${a.orderRef ?? `signal ${a.signalId}`}${account ? ` in ${account}` : ''}; only orders the daemon placed can be cancelled here`);
  const foreign = [...new Set(mine.map((r) => r.account).filter((x) => !ctx.config.mcp.writeAccounts.includes(x)))];
  if (foreign.length) throw new ToolError(`MCP may not cancel orders in ${foreign.join(', ')}: only in mcp.writeAccounts (${ctx.config.mcp.writeAccounts.join(', ') || 'none'}); use ibkr-exec halt --cancel`);
  const working = mine.filter((r) => WORKING.has(r.state));
  const stamp = { mode: ctx.config.mode, asOf: iso(ctx.clock.now()) };
  if (working.length === 0) {
    return { ...stamp, requestId: null, orders: mine.map(row), note: 'nothing to cancel: no order is still working' };
  }
  const byAccount = new Map<string, string[]>();
  for (const r of working) byAccount.set(r.account, [...(byAccount.get(r.account) ?? []), r.orderRef]);
  let requestId: string | null = null;
  for (const [acct, refs] of byAccount) {
    const fields = { action: 'cancel', account: acct, orderRefs: refs.join(','), by: 'mcp' };
    requestId = (await ctx.infra.redis.xadd(ctx.infra.keys.control, '*', ...signControl(ctx.secrets.controlKey, ctx.infra.keys.control, fields, ctx.clock.now()))) ?? null;
  }
  await ctx.infra.audit.append({ type: 'mcp.cancel', signalId: working[0]!.signalId, data: { client: session.client(), orderRefs: working.map((r) => r.orderRef), requestId } });
  const after = await waitSettled(ctx, working.map((r) => r.orderRef));
  const settled = after.every((r) => DONE.has(r.state));
  return {
    ...stamp, requestId, orders: after.map(row),
    note: settled ? 'cancel sent by the daemon' : 'cancel requested; the daemon has not reported it yet (is it running?) — check get_order_status',
  };
}

const row = (r: OutboxRecord) => ({ orderRef: r.orderRef, account: r.account, signalId: r.signalId, state: r.state });

async function waitSettled(ctx: McpContext, refs: readonly string[]): Promise<OutboxRecord[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const recs = (await Promise.all(refs.map((r) => ctx.infra.outbox.get(r)))).filter((r): r is OutboxRecord => r !== undefined);
    if (recs.every((r) => DONE.has(r.state)) || Date.now() >= deadline) return recs;
    await new Promise((res) => setTimeout(res, 200));
  }
}
