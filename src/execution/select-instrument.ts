/**
 * The shell around option selection (issue 12): a signal whose instrument carries `select` gets, once per
 * signal (before any account is evaluated), the contract `selectOption` picks from a fresh chain snapshot
 * of the expiries in its DTE window. The choice — snapshot time, candidates, greeks — is audited
 * (`option.selection`). No chain (broker without options, IB error) or no match → every target account is
 * DENIED `NO_PRICE` with one sentence saying why: no contract, so no price.
 */
import type { Instrument, OptionChainQuery, OptionChainSnapshot, Outcome, Reason, Signal } from '../domain/types.js';
import type { TargetAccount } from './evaluate.js';
import { expiryWindow, selectOption, type SelectionAudit } from '../sizing/select-option.js';

/** What the selection needs from the world. */
export interface SelectionDeps {
  readonly optionChain?: (underlying: Instrument, query: OptionChainQuery) => Promise<OptionChainSnapshot>;
  readonly now: () => number;
  readonly audit: (data: { readonly ok: boolean; readonly audit?: SelectionAudit; readonly message?: string }) => Promise<unknown>;
}

export type SelectionOutcome =
  | { readonly ok: true; readonly signal: Signal }
  | { readonly ok: false; readonly reason: Reason };

/** How many strikes around the money a selection looks at per expiry. */
const SELECTION_STRIKES = 16;

/** Resolves `instrument.select` into an explicit contract; signals without it pass through unchanged. */
export async function resolveOptionSelection(signal: Signal, deps: SelectionDeps): Promise<SelectionOutcome> {
  const sel = signal.instrument.select;
  if (!sel) return { ok: true, signal };
  const deny = async (message: string, audit?: SelectionAudit): Promise<SelectionOutcome> => {
    await deps.audit({ ok: false, message, ...(audit ? { audit } : {}) });
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
    return deny(`the ${rest.symbol} option chain could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
  const r = selectOption(snap, { right, delta: sel.delta, dte: sel.dte }, now);
  if (!r.ok) return deny(r.message, r.audit);
  await deps.audit({ ok: true, audit: r.audit });
  return { ok: true, signal: { ...signal, instrument: { ...r.instrument, exchange: rest.exchange, currency: rest.currency } } };
}

/** The outcome when selection found no contract: every target account DENIED with the one reason. */
export function deniedOutcome(signalId: string, targets: readonly TargetAccount[], reason: Reason): Outcome {
  return {
    signalId,
    results: targets.map((t) => ({ account: t.account, accountType: t.declaredType ?? 'UNKNOWN', decision: 'DENIED', quantity: 0, reasons: [reason], notes: [] })),
  };
}
