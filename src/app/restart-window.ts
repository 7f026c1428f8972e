/**
 * PURE: IB's nightly restart window (`ib.restartWindow`: IBC's auto-restart time, default 23:45
 * America/New_York for 15 minutes). TWS / IB Gateway restart once a day and drop every API socket; on
 * Sundays the restart needs a fresh login, and with it the weekly 2FA a person must answer. No I/O, no clock:
 * callers pass `now` (epoch ms).
 */
import type { RestartWindow } from '../config-sections.js';

const MINUTE = 60_000;

/** Minutes since local midnight in `timeZone` at `now` (DST-aware through Intl). */
function localMinutes(now: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(now));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return get('hour') * 60 + get('minute') + get('second') / 60;
}

/** Where `now` lies relative to the window: inside it, or how long until it starts / since it ended (ms). */
export interface WindowPosition {
  readonly inWindow: boolean;
  /** ms since the most recent window ended (Infinity-free: at most one day) */
  readonly sinceEndMs: number;
  /** ms until the next window starts */
  readonly untilStartMs: number;
}

/** The position of `now` relative to the daily window (pure). A window of 0 minutes is never entered. */
export function windowPosition(now: number, w: RestartWindow): WindowPosition {
  const [h, m] = w.time.split(':').map(Number) as [number, number];
  const start = h * 60 + m;
  const day = 24 * 60;
  const minsSinceStart = (localMinutes(now, w.timeZone) - start + day) % day;
  const inWindow = w.minutes > 0 && minsSinceStart < w.minutes;
  const sinceEnd = (minsSinceStart - w.minutes + day) % day;
  return { inWindow, sinceEndMs: inWindow ? 0 : Math.round(sinceEnd * MINUTE), untilStartMs: Math.round(((day - minsSinceStart) % day) * MINUTE) };
}

/** True while `now` is in the restart window. */
export const inRestartWindow = (now: number, w: RestartWindow): boolean => windowPosition(now, w).inWindow;
