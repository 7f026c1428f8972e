/**
 * SHELL: turning a stored preview into ONE job on the daemon's queue — shared by `place_order` (MCP)
 * and the dashboard's approval API. Every check fails closed, with a sentence that says what to do:
 * writes enabled and not read-only; the preview known, unexpired, still pending, its request still
 * hashing to the stored hash, every account in `mcp.writeAccounts`; the user's confirmation where the
 * client supports elicitation. The first decision wins atomically (PreviewStore.decide); the job id
 * derives from the preview id, so even a lost race cannot add a second job. The daemon then evaluates
 * the signal again with its rules, exactly like any other signal.
 */
import type { Outcome } from '../domain/types.js';
import { jobIdForSignal } from '../ingest/enqueue.js';
import type { McpClientInfo, McpContext, McpSession } from './context.js';
import { parseRequest } from './preview.js';
import { PREVIEW_ID_RE, requestHashOf, type PreviewRecord } from './preview-store.js';
import { ToolError } from './tool-def.js';

/** COMPLETED: the pipeline answered; PENDING: enqueued, no answer yet; DECLINED: the user said no. */
export type ConfirmStatus = 'COMPLETED' | 'PENDING' | 'DECLINED';

/** What a confirmation did. */
export interface ConfirmResult {
  readonly status: ConfirmStatus;
  readonly previewId: string;
  readonly signalId: string;
  readonly jobId: string;
  readonly outcome?: Outcome;
  /** why there is no outcome yet, when known (no daemon consuming the queue) */
  readonly note?: string;
}

/** Who confirms: an MCP session (elicitation when supported) or the dashboard (a human clicked Approve). */
export type Confirmer = { readonly kind: 'mcp'; readonly session: McpSession } | { readonly kind: 'dashboard'; readonly client: McpClientInfo };

/** The preview, checked for everything but its status; throws ToolError saying why it cannot be confirmed. */
export async function loadConfirmable(ctx: McpContext, previewId: string): Promise<PreviewRecord> {
  if (!ctx.config.mcp.allowWrites || ctx.readOnly) {
    throw new ToolError(ctx.readOnly ? 'read-only mode: no order leaves this process' : 'MCP writes are disabled (mcp.allowWrites is false)');
  }
  if (!PREVIEW_ID_RE.test(previewId)) throw new ToolError(`${previewId} is not a preview id of this server; run preview_order first`);
  let rec: PreviewRecord | undefined;
  try {
    rec = await ctx.previews.get(previewId);
  } catch {
    throw new ToolError(`preview ${previewId} is unreadable (edited?); nothing was placed — run preview_order again`);
  }
  if (!rec) throw new ToolError(`preview ${previewId} is unknown or expired (previews last ${ctx.config.mcp.previewTtlSeconds} s); nothing was placed — run preview_order again`);
  if (Date.parse(rec.expiresAt) <= ctx.clock.now()) throw new ToolError(`preview ${previewId} expired at ${rec.expiresAt}; nothing was placed — run preview_order again`);
  if (rec.previewId !== previewId || rec.signalId !== previewId || rec.jobId !== jobIdForSignal(previewId) || requestHashOf(rec.request) !== rec.requestHash) {
    throw new ToolError(`preview ${previewId} does not match its request hash (tampered); nothing was placed — run preview_order again`);
  }
  const accounts = Array.isArray(rec.request.accounts) ? (rec.request.accounts as unknown[]).map(String) : [];
  const foreign = accounts.filter((a) => !ctx.config.mcp.writeAccounts.includes(a));
  if (accounts.length === 0 || foreign.length > 0) {
    throw new ToolError(`MCP may not place orders for ${foreign.join(', ') || 'these accounts'}: only for mcp.writeAccounts (${ctx.config.mcp.writeAccounts.join(', ') || 'none'}); nothing was placed`);
  }
  return rec;
}

/** One line restating the order, for the confirmation question and the audit trail. */
export function describePreview(rec: PreviewRecord): string {
  const r = rec.request as { side?: string; instrument?: { symbol?: string }; order?: { type?: string; limitPrice?: unknown } };
  const per = rec.results.map((x) => `${x.account} (${x.accountType}): ${x.decision === 'APPROVED' ? `${x.quantity} shares, est. ${x.estimatedCost ?? '?'} ${x.currency}` : `DENIED ${x.reasons.map((y) => y.code).join(', ')}`}`).join('; ');
  return `${r.side ?? '?'} ${r.instrument?.symbol ?? '?'} ${r.order?.type ?? 'MKT'}${r.order?.limitPrice !== undefined ? ` @ ${String(r.order.limitPrice)}` : ''} — ${per}`;
}

/** Confirms a preview: checks, asks the user (MCP with elicitation), enqueues one job, optionally waits for its outcome. */
export async function confirmPreview(ctx: McpContext, previewId: string, who: Confirmer, waitMs: number): Promise<ConfirmResult> {
  const rec = await loadConfirmable(ctx, previewId);
  if (rec.status !== 'pending') throw alreadyDecided(rec);
  const client = who.kind === 'mcp' ? who.session.client() : who.client;
  const base = { previewId, signalId: rec.signalId, jobId: rec.jobId };
  if (who.kind === 'mcp') {
    const answer = await who.session.confirm(`Place this order? ${describePreview(rec)}. The daemon checks its rules again before sending.`);
    if (answer === 'decline' || answer === 'cancel') {
      await ctx.previews.decide(rec, 'rejected', `mcp:${client.name}`, ctx.clock.now());
      await ctx.infra.audit.append({ type: 'mcp.reject', signalId: rec.signalId, data: { previewId, client, answer } });
      return { ...base, status: 'DECLINED' };
    }
  }
  const now = ctx.clock.now();
  parseRequest(rec.request, rec.signalId, now); // the daemon's parser must still accept it
  const decided = await ctx.previews.decide(rec, 'confirmed', who.kind === 'mcp' ? `mcp:${client.name}` : 'dashboard', now);
  if (decided.kind === 'gone') throw new ToolError(`preview ${previewId} expired while it was being confirmed; nothing was placed — run preview_order again`);
  if (decided.kind === 'already') throw alreadyDecided(decided.record);
  const payload = {
    ...rec.request,
    id: rec.signalId,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ctx.config.mcp.previewTtlSeconds * 1000).toISOString(),
    source: 'mcp',
    meta: { previewId, client: `${client.name} ${client.version}`, confirmedBy: who.kind },
  };
  await ctx.infra.audit.append({ type: 'mcp.confirm', signalId: rec.signalId, data: { previewId, jobId: rec.jobId, client, by: who.kind, order: describePreview(rec) } });
  try {
    await ctx.queue.add(rec.jobId, payload);
  } catch (e) {
    await ctx.infra.audit.append({ type: 'mcp.confirm.failed', signalId: rec.signalId, data: { previewId, reason: (e as Error).message } }).catch(() => undefined);
    throw new ToolError(`the order was NOT enqueued (${(e as Error).message}); the preview is used up — check Redis and run preview_order again`);
  }
  if (waitMs <= 0) return { ...base, status: 'PENDING' };
  if ((await ctx.queue.workers().catch(() => undefined)) === 0) {
    return { ...base, status: 'PENDING', note: `no daemon is consuming queue ${ctx.config.queue.name}: the order waits there and is denied SIGNAL_EXPIRED after ${payload.expiresAt} — start ibkr-exec daemon` };
  }
  const outcome = await ctx.queue.outcome(rec.jobId, waitMs);
  return outcome ? { ...base, status: 'COMPLETED', outcome } : { ...base, status: 'PENDING' };
}

function alreadyDecided(rec: PreviewRecord): ToolError {
  return new ToolError(`preview ${rec.previewId} was already ${rec.status}${rec.decidedBy ? ` (by ${rec.decidedBy})` : ''}; it is single use and nothing new was placed — see get_order_status with signalId ${rec.signalId}`);
}
