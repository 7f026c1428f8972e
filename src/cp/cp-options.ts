/**
 * Option chains over the Client Portal: the underlying's OPT months (secdef/search sections), the strikes
 * of each month (secdef/strikes), the N strikes nearest the underlying's price, their contracts
 * (secdef/info), then one snapshot of them all, repeated through the warm-up, with the greeks
 * (7308 delta, 7309 gamma, 7310 theta, 7311 vega, 7633 implied volatility).
 */
import { Decimal, type Instrument, type OptionChainQuery, type OptionChainRow, type OptionChainSnapshot } from '../domain/types.js';
import { BrokerError } from '../execution/broker-port.js';
import type { CpApi } from './cp-api.js';
import { cpDecimal } from './cp-mapping.js';
import type { CpQueries } from './cp-queries.js';

type Row = Record<string, unknown>;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** "DEC26" → "202612". */
export function monthOf(cp: string): string {
  const m = MONTHS.indexOf(cp.slice(0, 3).toUpperCase());
  return m < 0 ? '' : `20${cp.slice(3, 5)}${String(m + 1).padStart(2, '0')}`;
}

/** Reads a chain snapshot. */
export async function cpOptionChain(api: CpApi, queries: CpQueries, o: { warmupTries: number; warmupMs: number; now: () => number }, underlying: Instrument, q: OptionChainQuery = {}): Promise<OptionChainSnapshot> {
  const und = await queries.contractDetails(underlying);
  const spot = (await queries.quote(underlying)).last;
  const found = await api.read<Row[]>(`/iserver/secdef/search?symbol=${encodeURIComponent(und.symbol)}&secType=STK`);
  const sections = (found.find((r) => Number(r['conid']) === und.conId)?.['sections'] ?? []) as Row[];
  const months = String(sections.find((x) => x['secType'] === 'OPT')?.['months'] ?? '').split(';').filter(Boolean);
  const [from, to] = q.expiryRange ?? (q.expiry ? [q.expiry, q.expiry] : ['', '99999999']);
  const wanted = months.filter((m) => monthOf(m) >= from.slice(0, 6) && monthOf(m) <= to.slice(0, 6));
  const use = q.expiryRange || q.expiry ? wanted : months.slice(0, 1);
  const rights = q.right ? [q.right] : (['C', 'P'] as const);
  const contracts: Row[] = [];
  for (const m of use) {
    const st = await api.read<{ call?: number[]; put?: number[] }>(`/iserver/secdef/strikes?conid=${und.conId}&sectype=OPT&month=${m}`);
    for (const r of rights) {
      const list = (r === 'C' ? st.call : st.put) ?? [];
      const near = [...list].sort((a, b) => Math.abs(a - (spot?.toNumber() ?? 0)) - Math.abs(b - (spot?.toNumber() ?? 0))).slice(0, q.strikes ?? 10);
      for (const k of near) contracts.push(...(await api.read<Row[]>(`/iserver/secdef/info?conid=${und.conId}&sectype=OPT&month=${m}&strike=${k}&right=${r}`)));
    }
  }
  const inRange = contracts.filter((c) => !q.expiryRange && !q.expiry ? true : String(c['maturityDate']) >= from && String(c['maturityDate']) <= to);
  if (inRange.length === 0) throw new BrokerError(`no ${und.symbol} options in the requested range on the Client Portal`, 'fatal', 200);
  const snaps = await snapshots(api, inRange.map((c) => Number(c['conid'])), o);
  const rows: OptionChainRow[] = inRange.map((c) => row(c, snaps.get(Number(c['conid'])), spot));
  return {
    underlying, underlyingConId: und.conId, ...(spot ? { underlyingPrice: spot } : {}), asOf: o.now(),
    tradingClass: String(inRange[0]?.['tradingClass'] ?? und.symbol), multiplier: String(inRange[0]?.['multiplier'] ?? '100'),
    expirations: [...new Set(inRange.map((c) => String(c['maturityDate'])))].sort(), rows,
  };
}

async function snapshots(api: CpApi, conids: number[], o: { warmupTries: number; warmupMs: number }): Promise<Map<number, Row>> {
  const out = new Map<number, Row>();
  for (let n = 0; n < o.warmupTries && out.size < conids.length; n++) {
    for (let i = 0; i < conids.length; i += 100) {
      const part = conids.slice(i, i + 100).filter((c) => !out.has(c));
      if (part.length === 0) continue;
      const rows = await api.read<Row[]>(`/iserver/marketdata/snapshot?conids=${part.join(',')}&fields=31,84,86,7308,7309,7310,7311,7633`);
      for (const r of Array.isArray(rows) ? rows : []) if (r['31'] !== undefined || r['84'] !== undefined) out.set(Number(r['conid']), r);
    }
    if (out.size < conids.length) await sleep(o.warmupMs);
  }
  return out;
}

function row(c: Row, snap: Row | undefined, spot: Decimal | undefined): OptionChainRow {
  const instrument: Instrument = {
    symbol: String(c['symbol']), secType: 'OPT', exchange: 'SMART', currency: String(c['currency'] ?? 'USD'), conId: Number(c['conid']),
    lastTradeDateOrContractMonth: String(c['maturityDate']), strike: new Decimal(Number(c['strike'])), right: String(c['right']) === 'P' ? 'P' : 'C',
    multiplier: String(c['multiplier'] ?? '100'),
  };
  if (!snap) return { instrument };
  const iv = cpDecimal(String(snap['7633'] ?? '').replace('%', ''));
  const bid = cpDecimal(snap['84']), ask = cpDecimal(snap['86']), last = cpDecimal(snap['31']);
  const delta = cpDecimal(snap['7308']), gamma = cpDecimal(snap['7309']), theta = cpDecimal(snap['7310']), vega = cpDecimal(snap['7311']);
  return {
    instrument, ...(bid ? { bid } : {}), ...(ask ? { ask } : {}), ...(last ? { last } : {}),
    greeks: {
      ...(iv ? { impliedVol: iv.div(100) } : {}), ...(delta ? { delta } : {}), ...(gamma ? { gamma } : {}), ...(vega ? { vega } : {}), ...(theta ? { theta } : {}),
      ...(last ? { optPrice: last } : {}), ...(spot ? { undPrice: spot } : {}), source: 'model',
    },
  };
}
