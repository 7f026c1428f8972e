/**
 * The shell around contract selection (issue 12), once per signal before any account is evaluated:
 *  - an option whose instrument carries `select` gets the contract `selectOption` picks from a fresh chain
 *    snapshot of the expiries in its DTE window; the choice (snapshot time, candidates, greeks) is audited
 *    as `option.selection`;
 *  - a future without a month (and without a conId) gets the front month (`frontMonth`) of the contracts
 *    the broker lists, audited as `future.month` when there was more than one.
 * No chain / no contract (broker without the query, IB error) or no match → every target account is
 * DENIED `NO_PRICE` with one sentence saying why: no contract, so no price.
 */
import type { Instrument, OptionChainQuery, OptionChainSnapshot, Outcome, Reason, Signal } from '../domain/types.js';
import { BrokerError } from './broker-port.js';
import type { TargetAccount } from './evaluate.js';
import { frontMonth } from '../sizing/select-future.js';
import { expiryWindow, selectOption, type SelectionAudit } from '../sizing/select-option.js';

/** What the selection needs from the world. */
export interface SelectionDeps {
  readonly optionChain?: (underlying: Instrument, query: OptionChainQuery) => Promise<OptionChainSnapshot>;
  readonly contracts?: (query: Instrument) => Promise<readonly Instrument[]>;
  /** config `execution.futuresMonth`: `front` (default) or `deny` a month-less future when several are listed */
  readonly futuresMonth?: 'front' | 'deny';
  readonly now: () => number;
  readonly audit: (type: 'option.selection' | 'future.month', data: { readonly ok: boolean; readonly audit?: unknown; readonly message?: string }) => Promise<unknown>;
}

export type SelectionOutcome =
  | { readonly ok: true; readonly signal: Signal }
  | { readonly ok: false; readonly reason: Reason };

/** IB unavailable (not connected, session lost): retry the job later instead of deciding. */
const isRetryable = (e: unknown): boolean => e instanceof BrokerError && e.kind === 'retryable';

/** How many strikes around the money a selection looks at per expiry. */
const SELECTION_STRIKES = 16;

/** Resolves `instrument.select` and a month-less future into an explicit contract; other signals pass through. */
export function resolveInstrument(signal: Signal, deps: SelectionDeps): Promise<SelectionOutcome> {
  const i = signal.instrument;
  if (i.select) return resolveOptionSelection(signal, deps);
  if (i.secType === 'FUT' && !i.lastTradeDateOrContractMonth && i.conId === undefined) return resolveFrontMonth(signal, deps);
  return Promise.resolve({ ok: true, signal });
}

async function resolveFrontMonth(signal: Signal, deps: SelectionDeps): Promise<SelectionOutcome> {
  const i = signal.instrument;
  if (!deps.contracts) return { ok: true, signal }; // the broker resolves it (or answers 200)
  const deny = async (message: string): Promise<SelectionOutcome> => {
    await deps.audit('future.month', { ok: false, message });
    return { ok: false, reason: { code: 'NO_PRICE', message: `no ${i.symbol} futures contract could be chosen: ${message}` } };
  };
  let listed: readonly Instrument[];
  try {
    listed = await deps.contracts({ symbol: i.symbol, secType: 'FUT', exchange: i.exchange, currency: i.currency });
  } catch (e) {
    if (isRetryable(e)) throw e;
    return deny(`the broker's contract list failed (${e instanceof Error ? e.message : String(e)})`);
  }
  if (listed.length <= 1) return { ok: true, signal };
  if (deps.futuresMonth === 'deny') {
    const months = listed.map((c) => c.lastTradeDateOrContractMonth ?? '?').join(', ');
    return deny(`it names ${listed.length} months (${months}) and execution.futuresMonth is "deny": give instrument.lastTradeDateOrContractMonth`);
  }
  const front = frontMonth(listed, deps.now());
  if (!front) return deny(`none of its ${listed.length} listed months is still trading`);
  await deps.audit('future.month', { ok: true, audit: { rule: 'front month', chosen: front.contract.lastTradeDateOrContractMonth, conId: front.contract.conId, considered: front.considered } });
  const c = front.contract;
  return { ok: true, signal: { ...signal, instrument: { ...i, ...(c.conId !== undefined ? { conId: c.conId } : {}),
    ...(c.lastTradeDateOrContractMonth ? { lastTradeDateOrContractMonth: c.lastTradeDateOrContractMonth } : {}), ...(c.multiplier ? { multiplier: c.multiplier } : {}) } } };
}

/** Resolves `instrument.select` into an explicit contract. */
async function resolveOptionSelection(signal: Signal, deps: SelectionDeps): Promise<SelectionOutcome> {
  const sel = signal.instrument.select!;
  const deny = async (message: string, audit?: SelectionAudit): Promise<SelectionOutcome> => {
    await deps.audit('option.selection', { ok: false, message, ...(audit ? { audit } : {}) });
    return { ok: false, reason: { code: 'NO_PRICE', message: `no option contract could be selected: ${message}` } };
  };
  const right = signal.instrument.right;
  if (!right) return deny('instrument.select needs instrument.right (C or P)');
  if (!deps.optionChain) return deny('this broker connection cannot list option chains');
  const now = deps.now();
  const { select: _select, ...rest } = signal.instrument;
  const underlying: Instrument = { symbol: rest.symbol, secType: 'STK', exchange: 'SMART', currency: rest.currency };
  let snap: OptionChainSnapshot;
  try {
    snap = await deps.optionChain(underlying, { right, strikes: SELECTION_STRIKES, expiryRange: expiryWindow(sel.dte, now) });
  } catch (e) {
    if (isRetryable(e)) throw e; // IB unavailable: the job is retried, never denied for it
    return deny(`the ${rest.symbol} option chain could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
  const r = selectOption(snap, { right, delta: sel.delta, dte: sel.dte }, now);
  if (!r.ok) return deny(r.message, r.audit);
  await deps.audit('option.selection', { ok: true, audit: r.audit });
  return { ok: true, signal: { ...signal, instrument: { ...r.instrument, exchange: rest.exchange, currency: rest.currency } } };
}

/** The outcome when selection found no contract: every target account DENIED with the one reason. */
export function deniedOutcome(signalId: string, targets: readonly TargetAccount[], reason: Reason): Outcome {
  return {
    signalId,
    results: targets.map((t) => ({ account: t.account, accountType: t.declaredType ?? 'UNKNOWN', decision: 'DENIED', quantity: 0, reasons: [reason], notes: [] })),
  };
}
