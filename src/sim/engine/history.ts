/**
 * Historical bars whose values are deterministic for (seed, symbol, bar size): a seeded walk
 * backwards from the instrument's fixture price. Intraday bars are continuous (no session gaps);
 * daily bars skip weekends. TRADES/MIDPOINT/BID/ASK/FEE_RATE are supported.
 */
import { Decimal } from '../../domain/types.js';
import { roundToTick } from './market.js';
import { hashString, mulberry32, normal } from './prng.js';
import type { SimInstrument } from './instruments.js';

/** One bar in engine terms (prices as decimal text). */
export interface SimBar {
  readonly time: number;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
  readonly wap: string;
  readonly barCount: number;
}

const UNIT_SECONDS: Record<string, number> = { sec: 1, secs: 1, min: 60, mins: 60, hour: 3600, hours: 3600, day: 86400, days: 86400, week: 604800, weeks: 604800, month: 2592000, months: 2592000 };
const DURATION_SECONDS: Record<string, number> = { S: 1, D: 86400, W: 604800, M: 2592000, Y: 31536000 };

/** Parses "5 mins" → 300; undefined when not understood. */
export function barSeconds(setting: string): number | undefined {
  const m = /^(\d+)\s+([a-z]+)$/i.exec(setting.trim());
  const unit = m?.[2] ? UNIT_SECONDS[m[2].toLowerCase()] : undefined;
  return m && unit ? Number(m[1]) * unit : undefined;
}

/** Parses "1 M" → seconds; undefined when not understood. */
export function durationSeconds(s: string): number | undefined {
  const m = /^(\d+)\s*([SDWMY])$/i.exec(s.trim());
  const unit = m?.[2] ? DURATION_SECONDS[m[2].toUpperCase()] : undefined;
  return m && unit ? Number(m[1]) * unit : undefined;
}

/** Parses an endDateTime ("yyyyMMdd HH:mm:ss[ tz]", "yyyyMMdd-HH:mm:ss", "" = now) to epoch ms (UTC). */
export function parseEndTime(s: string | undefined, now: number): number | undefined {
  if (!s || s.trim() === '') return now;
  const m = /^(\d{4})(\d{2})(\d{2})(?:[ -]+(\d{2}):(\d{2}):(\d{2}))?/.exec(s.trim());
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
}

function barTimes(endMs: number, barSec: number, durSec: number): number[] {
  const count = Math.min(Math.max(Math.floor(durSec / barSec), 1), 5000);
  const times: number[] = [];
  if (barSec >= 86400) {
    let t = Math.floor(endMs / 86_400_000) * 86_400_000;
    const step = barSec * 1000;
    const days = Math.ceil(durSec / 86400);
    const start = t - days * 86_400_000;
    while (t > start && times.length < 5000) {
      const dow = new Date(t).getUTCDay();
      if (barSec > 86400 || (dow !== 0 && dow !== 6)) times.push(t);
      t -= barSec > 86400 ? step : 86_400_000;
    }
  } else {
    const last = Math.floor(endMs / 1000 / barSec) * barSec * 1000 - barSec * 1000;
    for (let i = 0; i < count; i++) times.push(last - i * barSec * 1000);
  }
  return times.reverse();
}

/** Generates bars ending at `endMs`. Returns [] when nothing fits. */
export function generateBars(ins: SimInstrument, seed: number, barSec: number, durSec: number, whatToShow: string, endMs: number): SimBar[] {
  const times = barTimes(endMs, barSec, durSec);
  const rand = mulberry32(hashString(`${ins.symbol}|${barSec}`, seed >>> 0));
  const sigma = ins.volatility * Math.sqrt(barSec / 86400);
  const closes: Decimal[] = [];
  let p = ins.initialPrice;
  for (let i = 0; i < times.length; i++) {
    closes.unshift(p);
    p = roundToTick(p.div(Math.exp(sigma * normal(rand))), ins.minTick);
  }
  const what = whatToShow.toUpperCase();
  const shift = what === 'BID' ? ins.minTick.neg() : what === 'ASK' ? ins.minTick : new Decimal(0);
  return times.map((time, i) => {
    const close = closes[i] ?? ins.initialPrice;
    const open = i === 0 ? p : (closes[i - 1] ?? close);
    const wiggle = close.mul(sigma * 0.5 * rand());
    let high = roundToTick(Decimal.max(open, close).add(wiggle), ins.minTick).add(shift);
    let low = roundToTick(Decimal.min(open, close).sub(wiggle), ins.minTick).add(shift);
    if (what === 'FEE_RATE') {
      const fee = new Decimal(0.25 + rand() * 0.3).toDecimalPlaces(4);
      return { time, open: fee.toString(), high: fee.toString(), low: fee.toString(), close: fee.toString(), volume: '-1', wap: '-1', barCount: -1 };
    }
    if (low.gt(high)) [low, high] = [high, low];
    const trades = what === 'TRADES';
    const volume = trades ? String(1000 + Math.floor(rand() * 50_000)) : '-1';
    const wap = trades ? open.add(close).add(high).add(low).div(4).toDecimalPlaces(4).toString() : '-1';
    return {
      time, open: open.add(shift).toString(), high: high.toString(), low: low.toString(), close: close.add(shift).toString(),
      volume, wap, barCount: trades ? 10 + Math.floor(rand() * 500) : -1,
    };
  });
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Formats a bar date as TWS does: daily "yyyyMMdd", intraday "yyyyMMdd HH:mm:ss UTC", or epoch seconds (formatDate 2). */
export function formatBarDate(ms: number, daily: boolean, formatDate: number): string {
  if (formatDate === 2 && !daily) return String(Math.floor(ms / 1000));
  const d = new Date(ms);
  const day = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  return daily ? day : `${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}
