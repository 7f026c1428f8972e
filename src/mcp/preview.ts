/**
 * SHELL: a preview evaluates an order exactly as the daemon would, and sends nothing. It parses the
 * request with the daemon's own signal parser, loads the same context the execution service loads (a
 * fresh account snapshot, the quote, the contract, this daemon's working orders from the outbox, the
 * effective trading state) and runs the same pure `evaluateSignalForAccount`. The one thing it adds is
 * an IB what-if order per approved account (margin and commission), never in read-only mode.
 */
import { Decimal, type AccountSnapshot, type ContractInfo, type Signal } from '../domain/types.js';
import { orderRefFor } from '../domain/order-ref.js';
import { evaluateSignalForAccount, targetAccounts, type AccountDecision, type TargetAccount } from '../execution/evaluate.js';
import { BrokerError } from '../execution/broker-port.js';
import { toSnapshot } from '../execution/market-context.js';
import { formatFieldErrors, parseSignal } from '../ingest/parse-signal.js';
import type { McpContext } from './context.js';
import type { PreviewResult } from './preview-store.js';
import { ToolError } from './tool-def.js';

/** Parses a wire request (no id/createdAt) as the daemon would; throws ToolError naming every bad field. */
export function parseRequest(request: Readonly<Record<string, unknown>>, signalId: string, now: number): Signal {
  const parsed = parseSignal({ ...request, id: signalId, createdAt: new Date(now).toISOString() });
  if (!parsed.ok) throw new ToolError(`the order is not valid: ${formatFieldErrors(parsed.errors)}`);
  return parsed.signal;
}

/** Account snapshots of every account the broker reports, as the daemon's market context builds them. */
async function loadSnapshots(ctx: McpContext): Promise<Map<string, AccountSnapshot>> {
  const [summaries, positions] = await Promise.all([ctx.broker.accountSummaries(), ctx.broker.positions()]);
  const out = new Map<string, AccountSnapshot>();
  for (const s of summaries) out.set(s.account, toSnapshot(s, ctx.config.accounts.find((a) => a.id === s.account)?.type, positions.filter((p) => p.account === s.account)));
  return out;
}


/** Evaluates `signal` for every account it targets; nothing is sent (a what-if order at most). */
export async function evaluatePreview(ctx: McpContext, signal: Signal): Promise<PreviewResult[]> {
  const [linked, snapshots, quote, contract] = await Promise.all([
    ctx.broker.managedAccounts(),
    loadSnapshots(ctx),
    ctx.broker.quote(signal.instrument).catch(() => undefined),
    // as the daemon: an unknown contract (IB 200) is a reason in the decision; any other failure is no answer
    ctx.broker.contractDetails(signal.instrument).catch((e: unknown) => {
      if (e instanceof BrokerError && e.code === 200) return undefined;
      throw new ToolError(`contract details for ${signal.instrument.symbol} are not available (${(e as Error).message}); nothing was previewed — try again`);
    }),
  ]);
  const targets = targetAccounts(signal, ctx.config.accounts, linked);
  const out: PreviewResult[] = [];
  for (const t of targets) out.push(await evaluateOne(ctx, signal, t, snapshots.get(t.account), quote, contract));
  return out;
}

async function evaluateOne(
  ctx: McpContext,
  signal: Signal,
  target: TargetAccount,
  account: AccountSnapshot | undefined,
  quote: Awaited<ReturnType<McpContext['broker']['quote']>> | undefined,
  contract: ContractInfo | undefined,
): Promise<PreviewResult> {
  const [working, states] = await Promise.all([ctx.infra.outbox.listWorking(target.account), ctx.infra.tradingState.effective(target.account)]);
  const futuresInitialMargin = signal.instrument.secType === 'FUT' && !ctx.readOnly ? await futuresMargin(ctx, signal, target.account) : undefined;
  const decision = evaluateSignalForAccount(signal, {
    now: ctx.clock.now(),
    mode: ctx.config.mode,
    readOnly: ctx.readOnly,
    liveAccounts: ctx.liveAccounts,
    limits: ctx.config.limits,
    ira: ctx.config.ira,
    tradingState: states.effective,
    accountId: target.account,
    ...(target.declaredType ? { declaredType: target.declaredType } : {}),
    ...(account ? { account } : {}),
    linked: target.linked,
    ...(quote ? { quote } : {}),
    ...(contract ? { contract } : {}),
    working,
    ...(futuresInitialMargin ? { futuresInitialMargin } : {}),
  });
  const whatIf = decision.kind === 'APPROVED' ? await whatIfOf(ctx, signal, decision) : null;
  return toResult(ctx, signal, decision, contract, whatIf);
}

function toResult(ctx: McpContext, signal: Signal, d: AccountDecision, contract: ContractInfo | undefined, whatIf: PreviewResult['whatIf']): PreviewResult {
  const multiplier = contract?.multiplier ?? new Decimal(signal.instrument.multiplier ?? 1);
  const price = d.kind === 'APPROVED' ? d.referencePrice : undefined;
  return {
    account: d.account,
    accountType: d.accountType,
    decision: d.kind,
    quantity: d.quantity,
    reasons: d.kind === 'DENIED' ? d.reasons.map((r) => ({ code: r.code, message: r.message })) : [],
    notes: [...d.notes],
    referencePrice: price?.toString() ?? null,
    estimatedCost: price ? price.mul(d.quantity).mul(multiplier).toDecimalPlaces(2).toString() : null,
    currency: signal.instrument.currency,
    whatIf,
    writable: ctx.config.mcp.allowWrites && !ctx.readOnly && ctx.config.mcp.writeAccounts.includes(d.account),
  };
}

async function whatIfOf(ctx: McpContext, signal: Signal, d: Extract<AccountDecision, { kind: 'APPROVED' }>): Promise<NonNullable<PreviewResult['whatIf']>> {
  const none = (reason: string) => ({ initialMarginChange: null, maintenanceMarginChange: null, commission: null, reason });
  if (ctx.readOnly) return none('read-only mode: no what-if order leaves the process');
  const entry = d.legs[0];
  if (!entry) return none('no order leg');
  try {
    const r = await ctx.broker.whatIf({ ...entry, orderRef: orderRefFor(`whatif:${signal.id}`, d.account, 'entry') });
    return {
      initialMarginChange: r.initMarginChange?.toString() ?? null,
      maintenanceMarginChange: r.maintMarginChange?.toString() ?? null,
      commission: r.commission?.toString() ?? null,
      reason: r.warningText ? `broker warning: ${r.warningText}` : null,
    };
  } catch (e) {
    return none(`the what-if order failed: ${(e as Error).message}`);
  }
}

async function futuresMargin(ctx: McpContext, signal: Signal, account: string): Promise<Decimal | undefined> {
  try {
    const r = await ctx.broker.whatIf({
      leg: 'entry', orderRef: orderRefFor(`whatif:${signal.id}:fut`, account, 'entry'), signalId: signal.id, account,
      instrument: signal.instrument, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY', outsideRth: false,
    });
    return r.initMarginChange ?? r.initMarginAfter;
  } catch {
    return undefined;
  }
}
