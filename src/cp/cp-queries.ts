/**
 * Read-only queries over the Client Portal Web API: account summaries (summary + ledger: settled cash
 * per currency), positions (every page, per account), contract lookup (secdef search → contract info,
 * exactly one match or an error; futures via /trsrv/futures), quotes (the snapshot warm-up: the first
 * call only starts the stream, so it is repeated until the fields arrive), history and what-if.
 */
import { Decimal, type ContractInfo, type Instrument, type OrderLeg, type PositionSnapshot, type Quote, type SecType } from '../domain/types.js';
import { BrokerError, type Bar, type BrokerAccountSummary, type HistoryRequest, type WhatIfReport } from '../execution/broker-port.js';
import { errorOf, type CpApi } from './cp-api.js';
import { cpDecimal, cpPosition, legToTicket } from './cp-mapping.js';

type Row = Record<string, unknown>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Query settings. */
export interface CpQueryOptions {
  /** snapshot calls while warming up (default 6), `warmupMs` apart (default 400) */
  readonly warmupTries: number;
  readonly warmupMs: number;
  readonly now: () => number;
}

/** The queries of `CpBroker`. */
export class CpQueries {
  private readonly conids = new Map<string, ContractInfo>();

  constructor(private readonly api: CpApi, private readonly o: CpQueryOptions) {}

  async accountSummaries(accounts: readonly string[], types: ReadonlyMap<string, string>): Promise<BrokerAccountSummary[]> {
    const out: BrokerAccountSummary[] = [];
    for (const id of accounts) {
      const s = await this.api.read<Record<string, { amount?: unknown; value?: unknown; currency?: unknown }>>(`/portfolio/${encodeURIComponent(id)}/summary`);
      const l = await this.api.read<Record<string, Row>>(`/portfolio/${encodeURIComponent(id)}/ledger`);
      const amt = (k: string): Decimal | undefined => cpDecimal(s[k]?.amount);
      const base = l['BASE'];
      const cashByCurrency: Record<string, Decimal> = {};
      for (const [cur, row] of Object.entries(l)) if (cur !== 'BASE') cashByCurrency[cur] = cpDecimal(row['cashbalance']) ?? new Decimal(0);
      const t = types.get(id) ?? (typeof s['accounttype']?.value === 'string' ? s['accounttype'].value : undefined);
      const settled = cpDecimal(base?.['settledcash']) ?? amt('settledcash');
      out.push({
        account: id, ...(t ? { accountType: t } : {}), baseCurrency: typeof s['netliquidation']?.currency === 'string' ? s['netliquidation'].currency : 'USD',
        ...opt('netLiquidation', amt('netliquidation')), ...opt('totalCashValue', amt('totalcashvalue')), ...opt('settledCash', settled),
        ...opt('availableFunds', amt('availablefunds')), ...opt('buyingPower', amt('buyingpower')), ...opt('excessLiquidity', amt('excessliquidity')),
        ...opt('initMarginReq', amt('initmarginreq')), ...opt('maintMarginReq', amt('maintmarginreq')), ...opt('grossPositionValue', amt('grosspositionvalue')),
        cashByCurrency,
      });
    }
    return out;
  }

  /** Settled cash per currency of one account (ledger `settledcash`). */
  async settledCashByCurrency(account: string): Promise<Record<string, Decimal>> {
    const l = await this.api.read<Record<string, Row>>(`/portfolio/${encodeURIComponent(account)}/ledger`);
    return Object.fromEntries(Object.entries(l).filter(([c]) => c !== 'BASE').map(([c, r]) => [c, cpDecimal(r['settledcash']) ?? new Decimal(0)]));
  }

  async positions(accounts: readonly string[]): Promise<PositionSnapshot[]> {
    const out: PositionSnapshot[] = [];
    for (const id of accounts) {
      for (let page = 0; page < 100; page++) {
        const rows = await this.api.read<Row[]>(`/portfolio/${encodeURIComponent(id)}/positions/${page}`);
        if (!Array.isArray(rows) || rows.length === 0) break;
        out.push(...rows.map(cpPosition).filter((p) => p.quantity !== 0));
      }
    }
    return out;
  }

  /** The single contract an instrument names (cached by its key). */
  async contractDetails(i: Instrument): Promise<ContractInfo> {
    const key = i.conId ? `#${i.conId}` : `${i.symbol}|${i.secType}|${i.currency}|${i.lastTradeDateOrContractMonth ?? ''}|${i.primaryExchange ?? ''}`;
    const hit = this.conids.get(key);
    if (hit) return hit;
    const conid = i.conId ?? (i.secType === 'FUT' ? await this.futureConid(i) : await this.searchConid(i));
    const info = toContractInfo(await this.api.read<Row>(`/iserver/contract/${conid}/info`));
    this.conids.set(key, info);
    return info;
  }

  private async searchConid(i: Instrument): Promise<number> {
    const rows = await this.api.read<Row[]>(`/iserver/secdef/search?symbol=${encodeURIComponent(i.symbol)}&secType=${i.secType === 'CASH' ? 'STK' : i.secType}`);
    const matches: ContractInfo[] = [];
    for (const r of Array.isArray(rows) ? rows : []) {
      const c = toContractInfo(await this.api.read<Row>(`/iserver/contract/${Number(r['conid'])}/info`));
      if (c.symbol.toUpperCase() === i.symbol.toUpperCase() && c.secType === i.secType && (!i.currency || c.currency === i.currency) && (!i.primaryExchange || c.primaryExchange === i.primaryExchange)) matches.push(c);
    }
    if (matches.length !== 1) throw new BrokerError(`${matches.length === 0 ? 'no' : 'more than one'} ${i.secType} contract for ${i.symbol} ${i.currency} on the Client Portal`, 'fatal', 200);
    return (matches[0] as ContractInfo).conId;
  }

  private async futureConid(i: Instrument): Promise<number> {
    const body = await this.api.read<Record<string, Row[]>>(`/trsrv/futures?symbols=${encodeURIComponent(i.symbol)}`);
    const month = i.lastTradeDateOrContractMonth ?? '';
    const list = (body[i.symbol] ?? []).filter((f) => month === '' || String(f['expirationDate'] ?? '').startsWith(month));
    if (list.length !== 1) throw new BrokerError(`${list.length === 0 ? 'no' : 'more than one'} future ${i.symbol} ${month} on the Client Portal`, 'fatal', 200);
    return Number(list[0]?.['conid']);
  }

  /** A snapshot quote; repeats the call while the gateway warms the stream up. */
  async quote(i: Instrument): Promise<Quote> {
    const { conId } = await this.contractDetails(i);
    for (let n = 0; n < this.o.warmupTries; n++) {
      const rows = await this.api.read<Row[]>(`/iserver/marketdata/snapshot?conids=${conId}&fields=31,84,86,7741,6509`);
      const row = Array.isArray(rows) ? rows.find((r) => Number(r['conid']) === conId) : undefined;
      if (row && (row['31'] !== undefined || row['84'] !== undefined)) {
        const avail = String(row['6509'] ?? 'R');
        const last = cpDecimal(row['31']), bid = cpDecimal(row['84']), ask = cpDecimal(row['86']), close = cpDecimal(row['7741']);
        return {
          ...(bid ? { bid } : {}), ...(ask ? { ask } : {}), ...(last ? { last } : {}), ...(close ? { close } : {}),
          delayed: /^[DY]/.test(avail), stale: /^[ZNO]/.test(avail), ts: Number(row['_updated'] ?? this.o.now()),
        };
      }
      await sleep(this.o.warmupMs);
    }
    return { delayed: false, stale: true, ts: this.o.now() };
  }

  async historicalBars(i: Instrument, req: HistoryRequest): Promise<Bar[]> {
    const { conId } = await this.contractDetails(i);
    const body = await this.api.read<{ data?: Row[]; error?: string }>(`/iserver/marketdata/history?conid=${conId}&period=${cpPeriod(req.duration)}&bar=${cpPeriod(req.barSize)}&outsideRth=${req.useRth === false}`);
    const daily = /day|week|month/.test(req.barSize);
    return (body.data ?? []).map((b) => ({
      time: barTime(Number(b['t']), daily), open: new Decimal(Number(b['o'])), high: new Decimal(Number(b['h'])), low: new Decimal(Number(b['l'])),
      close: new Decimal(Number(b['c'])), volume: new Decimal(Number(b['v'] ?? 0)),
    }));
  }

  async whatIf(leg: OrderLeg): Promise<WhatIfReport> {
    const { conId } = await this.contractDetails(leg.instrument);
    const ticket = legToTicket(leg, conId);
    if (typeof ticket === 'string') throw new BrokerError(ticket, 'fatal');
    const r = await this.api.call('POST', `/iserver/account/${encodeURIComponent(leg.account)}/orders/whatif`, { orders: [ticket] });
    const b = (r.body ?? {}) as Record<string, Record<string, unknown> | string | null>;
    if (r.status !== 200 || errorOf(b)) throw new BrokerError(`what-if refused: ${errorOf(b) ?? `status ${r.status}`}`, 'orderRejected');
    const part = (k: string, f: string): Decimal | undefined => cpDecimal((b[k] as Record<string, unknown> | undefined)?.[f]);
    const commission = cpDecimal(String((b['amount'] as Record<string, unknown> | undefined)?.['commission'] ?? '').split(' ')[0]);
    return {
      ...opt('initMarginChange', part('initial', 'change')), ...opt('maintMarginChange', part('maintenance', 'change')),
      ...opt('equityWithLoanChange', part('equity', 'change')), ...opt('initMarginAfter', part('initial', 'after')),
      ...(commission ? { commission, commissionCurrency: 'USD' } : {}), ...(typeof b['warn'] === 'string' ? { warningText: b['warn'] } : {}),
    };
  }
}

function opt<K extends string>(k: K, v: Decimal | undefined): { [P in K]?: Decimal } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: Decimal };
}

const SEC: readonly string[] = ['STK', 'FUT', 'OPT', 'CASH'];

/** The contract info document → ContractInfo. */
export function toContractInfo(r: Row): ContractInfo {
  const mult = cpDecimal(r['multiplier']);
  const tick = cpDecimal(r['min_tick']);
  return {
    conId: Number(r['con_id']), symbol: String(r['symbol'] ?? ''), secType: (SEC.includes(String(r['instrument_type'])) ? r['instrument_type'] : 'STK') as SecType,
    exchange: String(r['exchange'] ?? 'SMART'), ...(typeof r['listing_exchange'] === 'string' && r['listing_exchange'] ? { primaryExchange: r['listing_exchange'] } : {}),
    currency: String(r['currency'] ?? 'USD'), ...(typeof r['company_name'] === 'string' ? { longName: r['company_name'] } : {}),
    ...(typeof r['stock_type'] === 'string' && r['stock_type'] ? { stockType: r['stock_type'] } : {}),
    ...(typeof r['industry'] === 'string' && r['industry'] ? { industry: r['industry'] } : {}),
    ...(typeof r['category'] === 'string' && r['category'] ? { category: r['category'] } : {}),
    ...(mult ? { multiplier: mult } : {}), ...(tick ? { minTick: tick } : {}),
    ...(typeof r['maturity_date'] === 'string' && r['maturity_date'] ? { lastTradeDateOrContractMonth: r['maturity_date'] } : {}),
  };
}

const UNITS: Record<string, string> = { S: 'min', D: 'd', W: 'w', M: 'm', Y: 'y', sec: 'min', secs: 'min', min: 'min', mins: 'min', hour: 'h', hours: 'h', day: 'd', days: 'd', week: 'w', weeks: 'w', month: 'm', months: 'm' };

/** TWS "1 M" / "5 mins" / "1 day" → CP "1m" / "5min" / "1d". */
export function cpPeriod(tws: string): string {
  const m = /^(\d+)\s*([A-Za-z]+)$/.exec(tws.trim());
  if (!m?.[1] || !m[2]) return tws;
  return `${m[1]}${UNITS[m[2]] ?? m[2]}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function barTime(ms: number, daily: boolean): string {
  const d = new Date(ms);
  const day = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  return daily ? day : `${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
