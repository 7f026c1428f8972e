/**
 * Rules about whether this account may be traded at all, before any number is looked at: read-only and
 * live/paper guards, unknown accounts, declared-vs-broker type, trading state, expiry. Pure.
 */
import type { Rule } from './rule.js';
import { describeOrder, isBrokerIra, reason } from './rule.js';
import { isIraType, type Reason, type Signal } from '../domain/types.js';

/**
 * READ_ONLY: `readOnly: true`, or live mode without IBKR_EXEC_LIVE_ACCOUNTS (the daemon then runs read-only;
 * the message names which); live mode and the account is not in IBKR_EXEC_LIVE_ACCOUNTS; or paper mode
 * and the account id does not start with "DU" (a live account reached through a paper config).
 */
export const readOnlyGuard: Rule = (i, ctx) => {
  if (ctx.readOnly && ctx.mode === 'live' && ctx.liveAccounts.length === 0) {
    return reason('READ_ONLY', 'live mode without IBKR_EXEC_LIVE_ACCOUNTS: the daemon runs read-only and no order leaves the process (list the live account ids to trade in IBKR_EXEC_LIVE_ACCOUNTS)');
  }
  if (ctx.readOnly) return reason('READ_ONLY', 'read-only mode (readOnly is true): no order leaves the process');
  if (ctx.mode === 'live' && !ctx.liveAccounts.includes(i.account)) {
    return reason('READ_ONLY', `live mode: account ${i.account} is not listed in IBKR_EXEC_LIVE_ACCOUNTS, so it is not traded`);
  }
  if (ctx.mode === 'paper' && !i.account.startsWith('DU')) {
    return reason(
      'READ_ONLY',
      `paper mode refuses account ${i.account}: paper account ids start with DU, so this looks like a live account reached by mistake`,
    );
  }
  return null;
};

/** UNKNOWN_ACCOUNT: not linked to this login, linked but not declared, or no account data was received. */
export const knownAccount: Rule = (i, ctx) => {
  if (!ctx.linked) return reason('UNKNOWN_ACCOUNT', `account ${i.account} is not linked to this IB login`);
  if (ctx.declaredType === undefined) {
    return reason('UNKNOWN_ACCOUNT', `account ${i.account} is linked but not declared in the config, so it is never traded`);
  }
  if (!ctx.account) return reason('UNKNOWN_ACCOUNT', `no account data was received for ${i.account}`);
  return null;
};

/** ACCOUNT_TYPE_MISMATCH: declared IRA vs broker non-IRA, or the reverse. Passes when IB reports no type. */
export const accountTypeMatches: Rule = (i, ctx) => {
  const broker = ctx.account?.brokerAccountType;
  if (ctx.declaredType === undefined || broker === undefined || broker.trim() === '') return null;
  if (isIraType(ctx.declaredType) === isBrokerIra(broker)) return null;
  return reason(
    'ACCOUNT_TYPE_MISMATCH',
    `account ${i.account} is declared ${ctx.declaredType} but IB reports AccountType ${broker}; fix the config before trading it`,
  );
};

/** HALTED: the effective trading state forbids every new order. */
export const notHalted: Rule = (i, ctx) =>
  ctx.tradingState === 'HALTED'
    ? reason('HALTED', `trading is HALTED for account ${i.account}: no new orders until it is resumed`)
    : null;

/**
 * REDUCE_ONLY: only orders that shrink an existing position pass — a SELL up to the long position, a BUY up
 * to the short position, each net of this daemon's working orders on the same side.
 */
export const reduceOnly: Rule = (i, ctx) => {
  const x = ctx.exposure;
  if (ctx.tradingState !== 'REDUCE_ONLY' || !x || i.quantity === 0) return null;
  const reducible = i.signal.side === 'SELL' ? Math.max(x.position, 0) - x.workingSells : Math.max(-x.position, 0) - x.workingBuys;
  if (i.quantity <= reducible) return null;
  return reason(
    'REDUCE_ONLY',
    `account ${i.account} is REDUCE_ONLY: ${describeOrder(i)} would not only reduce the position of ${x.position} (reducible ${Math.max(reducible, 0)} after working orders)`,
  );
};

/**
 * Why a signal handled at `now` is too old, or null: after its `expiresAt`, or (with `maxAgeMs` > 0) more
 * than `maxAgeMs` after its `createdAt` (`execution.maxSignalAgeMs`; 0 = no age limit). Pure; the shell
 * also calls it before any broker request, so an expired signal needs no market data to be answered.
 */
export function expiryReason(signal: Signal, now: number, maxAgeMs: number): Reason | null {
  const exp = signal.expiresAt;
  if (exp !== undefined && now > exp) {
    const late = Math.round((now - exp) / 1000);
    return reason('SIGNAL_EXPIRED', `signal ${signal.id} expired at ${new Date(exp).toISOString()} and was handled ${late} s later`);
  }
  if (maxAgeMs > 0 && now - signal.createdAt > maxAgeMs) {
    const age = Math.round((now - signal.createdAt) / 1000);
    return reason('SIGNAL_EXPIRED', `signal ${signal.id} was created at ${new Date(signal.createdAt).toISOString()} and is ${age} s old when handled, more than execution.maxSignalAgeMs (${maxAgeMs} ms)`);
  }
  return null;
}

/** SIGNAL_EXPIRED: handled after `expiresAt`, or older than `execution.maxSignalAgeMs` (see `expiryReason`). */
export const notExpired: Rule = (i, ctx) => expiryReason(i.signal, ctx.now, ctx.maxSignalAgeMs ?? 0);
