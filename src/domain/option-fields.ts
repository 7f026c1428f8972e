/**
 * The right, strike and multiplier of an option leg, read back from its outbox payload (the serialized
 * `{ leg }`), for working-order reservations (issue 12). Pure; an unreadable payload gives none, and the
 * IRA option rules then fail closed.
 */
import { Decimal, type Instrument, type WorkingOrder } from './types.js';

/** "AAPL 20261218 200 C" for an option (how IB and people name it); the symbol alone for anything else. */
export function contractName(i: Pick<Instrument, 'symbol' | 'secType' | 'lastTradeDateOrContractMonth' | 'strike' | 'right'>): string {
  if (i.secType !== 'OPT') return i.symbol;
  return [i.symbol, i.lastTradeDateOrContractMonth, i.strike?.toString(), i.right].filter((x) => x !== undefined && x !== '').join(' ');
}

/** Option fields of a serialized leg payload (empty when absent or unreadable); the multiplier is the record's own (contract details). */
export function optionFieldsOfPayload(payload: string | undefined): Pick<WorkingOrder, 'right' | 'strike'> {
  try {
    const i = (JSON.parse(payload ?? '{}') as { leg?: { instrument?: { right?: string; strike?: string | number } } }).leg?.instrument;
    return {
      ...(i?.right === 'C' || i?.right === 'P' ? { right: i.right } : {}),
      ...(i?.strike !== undefined ? { strike: new Decimal(i.strike) } : {}),
    };
  } catch {
    return {};
  }
}
