/**
 * Pure aggregation of `accountSummary` rows (reqAccountSummary group "All") into one
 * `BrokerAccountSummary` PER ACCOUNT — never collapsed into the first account.
 *
 * Row shapes (IB): plain tags come once per account with the base currency, e.g.
 * (DU1, NetLiquidation, "150000", "USD"); `$LEDGER:ALL` adds per-currency rows such as
 * (DU1, CashBalance, "1000", "EUR") and (DU1, CashBalance, "51000", "BASE").
 */
import type { Decimal } from '../domain/types.js';
import type { BrokerAccountSummary } from '../execution/broker-port.js';
import { decOrUndefined } from './ib-mapping.js';

/** Tags requested (plus `$LEDGER:ALL` for per-currency cash). */
export const SUMMARY_TAGS = [
  'AccountType',
  'NetLiquidation',
  'TotalCashValue',
  'SettledCash',
  'AvailableFunds',
  'BuyingPower',
  'ExcessLiquidity',
  'InitMarginReq',
  'MaintMarginReq',
  'GrossPositionValue',
  '$LEDGER:ALL',
] as const;

/** One accountSummary message: (account, tag, value, currency). */
export interface SummaryRow {
  readonly account: string;
  readonly tag: string;
  readonly value: string;
  readonly currency: string;
}

const FIELD: Readonly<Record<string, keyof BrokerAccountSummary>> = {
  NetLiquidation: 'netLiquidation',
  TotalCashValue: 'totalCashValue',
  SettledCash: 'settledCash',
  AvailableFunds: 'availableFunds',
  BuyingPower: 'buyingPower',
  ExcessLiquidity: 'excessLiquidity',
  InitMarginReq: 'initMarginReq',
  MaintMarginReq: 'maintMarginReq',
  GrossPositionValue: 'grossPositionValue',
};

/** Group rows by account, in first-seen account order. */
export function summariesFromRows(rows: readonly SummaryRow[]): BrokerAccountSummary[] {
  const byAccount = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const list = byAccount.get(r.account) ?? [];
    list.push(r);
    byAccount.set(r.account, list);
  }
  return [...byAccount.entries()].map(([account, list]) => summaryOf(account, list));
}

function summaryOf(account: string, rows: readonly SummaryRow[]): BrokerAccountSummary {
  const real = (c: string): boolean => c !== '' && c !== 'BASE';
  // the plain tags come in the base currency; $LEDGER rows repeat some tags per currency and for "BASE"
  const base =
    rows.find((r) => r.tag === 'NetLiquidation' && real(r.currency))?.currency ??
    rows.find((r) => r.tag === 'TotalCashValue' && real(r.currency))?.currency ??
    rows.find((r) => real(r.currency))?.currency ??
    'USD';
  const fields: Record<string, Decimal> = {};
  const cashByCurrency: Record<string, Decimal> = {};
  let accountType: string | undefined;
  for (const r of rows) {
    if (r.tag === 'AccountType') accountType = r.value;
    else if (r.tag === 'CashBalance' && real(r.currency)) {
      const d = decOrUndefined(r.value);
      if (d !== undefined) cashByCurrency[r.currency] = d;
    } else {
      const f = FIELD[r.tag];
      if (f === undefined || fields[f] !== undefined || r.currency !== base) continue;
      const d = decOrUndefined(r.value);
      if (d !== undefined) fields[f] = d;
    }
  }
  return {
    account,
    ...(accountType !== undefined ? { accountType } : {}),
    baseCurrency: base,
    ...fields,
    cashByCurrency,
  };
}
