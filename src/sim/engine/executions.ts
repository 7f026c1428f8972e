/**
 * Executions: IB-like execIds ("0000e0d5.6570e1a2.01.01"), TWS time strings, and the execution filter
 * of REQ_EXECUTIONS (clientId, acctCode, time, symbol, secType, exchange, side; unset fields match all).
 */
import type { Decimal } from '../../domain/types.js';
import type { WireExecutionFilter } from '../wire/messages.js';
import type { SimInstrument } from './instruments.js';

/** One execution (a fill or part of one) with its commission report data. */
export interface SimExecution {
  readonly execId: string;
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly account: string;
  readonly instrument: SimInstrument;
  readonly side: 'BOT' | 'SLD';
  readonly shares: number;
  readonly price: Decimal;
  /** epoch ms */
  readonly time: number;
  readonly cumQty: number;
  readonly avgPrice: Decimal;
  readonly orderRef: string;
  readonly commission: Decimal;
  readonly commissionCurrency: string;
  readonly realizedPnl: Decimal;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** Makes execIds: a seed-derived prefix, a running counter, and ".01.01". */
export function execIdFactory(seedPrefix: number): (seq: number) => string {
  return (seq) => `${hex8(seedPrefix)}.${hex8(0x65000000 + seq)}.01.01`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** TWS time string in UTC: "yyyyMMdd HH:mm:ss UTC" (parsed by ibapi, ib_async and stoqey). */
export function twsTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/**
 * Parses the filter's time ("yyyyMMdd HH:mm:ss", "yyyyMMdd-HH:mm:ss", optional trailing zone which is
 * ignored; interpreted as UTC). Returns undefined when it does not parse (the filter then matches all).
 */
export function parseFilterTime(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})[ -]+(\d{2}):(\d{2}):(\d{2})/.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, se);
}

/** Whether an execution passes a REQ_EXECUTIONS filter. clientId 0 or unset matches every client. */
export function matchesFilter(e: SimExecution, f: WireExecutionFilter): boolean {
  if (f.clientId !== undefined && f.clientId !== 0 && f.clientId !== e.clientId) return false;
  if (f.acctCode && f.acctCode !== e.account) return false;
  if (f.symbol && f.symbol.toUpperCase() !== e.instrument.symbol.toUpperCase()) return false;
  if (f.secType && f.secType !== e.instrument.secType) return false;
  if (f.exchange && f.exchange !== e.instrument.exchange && f.exchange !== 'SMART') return false;
  if (f.side) {
    const side = f.side.toUpperCase();
    const want = side === 'BUY' || side === 'BOT' ? 'BOT' : side === 'SELL' || side === 'SLD' ? 'SLD' : side;
    if (want !== e.side) return false;
  }
  if (f.time) {
    const t = parseFilterTime(f.time);
    if (t !== undefined && e.time < t) return false;
  }
  return true;
}
