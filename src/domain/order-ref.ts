import { createHash } from 'node:crypto';
import type { LegName } from './types.js';

const LEG_CODE: Readonly<Record<LegName, string>> = { entry: 'E', takeProfit: 'T', stopLoss: 'S' };

/**
 * The order reference sent to IB in `orderRef`: a pure function of (signal id, account, leg), so a
 * redelivered job maps onto the order already at the broker. Format `ix1-<account>-<leg>-<hash12>`:
 * the account and leg stay readable in TWS, the hash of the full triple makes it unique, and the whole
 * stays ASCII without spaces and under 40 characters (IB documents no limit; we keep it short).
 */
export function orderRefFor(signalId: string, account: string, leg: LegName): string {
  const h = createHash('sha256').update(`${signalId}\u0000${account}\u0000${leg}`).digest('hex').slice(0, 12);
  return `ix1-${account}-${LEG_CODE[leg]}-${h}`;
}

/** The OCA group of a bracket's children, also deterministic. */
export function ocaGroupFor(signalId: string, account: string): string {
  const h = createHash('sha256').update(`${signalId}\u0000${account}\u0000oca`).digest('hex').slice(0, 12);
  return `ix1oca-${account}-${h}`;
}

/** True when an orderRef was produced by this daemon (format version 1). */
export const isOwnOrderRef = (ref: string | undefined): boolean => ref !== undefined && ref.startsWith('ix1-');
