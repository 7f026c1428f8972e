/**
 * Runs the pre-trade rule list and collects EVERY failing reason (a denial lists all of them). Pure.
 * The order of the list is the order reasons appear in a denial: account gates first, then price and size,
 * then limits, then IRA rules, then buying power.
 */
import type { Reason } from '../domain/types.js';
import { hasPrice, bracketSides, nonZeroQuantity, withinBuyingPower, withinMaxNotional, withinMaxQuantity, withinPriceCollar } from './common-rules.js';
import { accountTypeMatches, knownAccount, notExpired, notHalted, readOnlyGuard, reduceOnly } from './gate-rules.js';
import { iraFuturesMargin, iraNoFxBorrow, iraNoMargin, iraNoProhibitedSecurity, iraNoShortSale } from './ira-rules.js';
import { fxRateKnown, knownContract, withinDailyNotional, withinPositionNotional } from './limit-rules.js';
import { iraOptionSellToOpen, iraSharesUnderCalls } from './option-rules.js';
import type { PreTradeContext, PreTradeIntent, Rule } from './rule.js';

/** Every rule, in evaluation (and reporting) order. */
export const PRE_TRADE_RULES: readonly Rule[] = [
  readOnlyGuard,
  knownAccount,
  accountTypeMatches,
  notHalted,
  reduceOnly,
  notExpired,
  knownContract,
  fxRateKnown,
  hasPrice,
  bracketSides,
  nonZeroQuantity,
  withinMaxQuantity,
  withinMaxNotional,
  withinDailyNotional,
  withinPositionNotional,
  withinPriceCollar,
  iraNoShortSale,
  iraOptionSellToOpen,
  iraSharesUnderCalls,
  iraNoMargin,
  iraNoFxBorrow,
  iraNoProhibitedSecurity,
  iraFuturesMargin,
  withinBuyingPower,
];

/**
 * The rules a bracket child (take-profit, stop-loss) is judged by, as the order it is (its side, quantity
 * and price) after its entry filled: the account gates, expiry, quantity and collar were judged on the
 * entry already (children are exempt from the collar).
 */
export const CHILD_RULES: readonly Rule[] = [
  reduceOnly,
  withinMaxNotional,
  withinPositionNotional,
  iraNoShortSale,
  iraNoMargin,
  iraNoFxBorrow,
  iraNoProhibitedSecurity,
  iraFuturesMargin,
  withinBuyingPower,
];

/**
 * The account gates: when one fails nothing more is asked of the broker for this order (no what-if
 * margin probe, no FX rate): read-only, an unknown or mismatched account, HALTED.
 */
export const GATE_RULES: readonly Rule[] = [readOnlyGuard, knownAccount, accountTypeMatches, notHalted];

/** The rules re-checked right before the send, when the trading state changed during the evaluation. */
export const LATE_STATE_RULES: readonly Rule[] = [notHalted, reduceOnly];

/**
 * Applies `rules` (default: all) and returns every failing reason, in rule order; an empty list approves.
 * Identical reasons (same code and message) are reported once.
 */
export function checkPreTrade(intent: PreTradeIntent, ctx: PreTradeContext, rules: readonly Rule[] = PRE_TRADE_RULES): readonly Reason[] {
  const out: Reason[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    const r = rule(intent, ctx);
    const key = r && `${r.code}\u0000${r.message}`;
    if (r && key && !seen.has(key)) {
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}
