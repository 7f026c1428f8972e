// Hand-written SVG charts: an account's net liquidation over the day, exposure per symbol.
import { h, money } from './dom.js';

/** A sparkline of `[epochMs, value]` points (the card's net liquidation today). */
export function sparkline(series, currency) {
  const pts = (series ?? []).map(([t, v]) => [t, Number(v)]);
  if (pts.length < 2) return h('div', { class: 'reason' }, 'Net liquidation chart fills in as the day goes on.');
  const w = 240, ht = 30, pad = 2;
  const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
  const vs = pts.map((p) => p[1]);
  const lo = Math.min(...vs), hi = Math.max(...vs);
  const x = (t) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (w - 2 * pad);
  const y = (v) => ht - pad - ((v - lo) / Math.max(1e-9, hi - lo)) * (ht - 2 * pad);
  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
  const chart = h('svg:svg', { class: 'spark', viewBox: `0 0 ${w} ${ht}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'net liquidation today' },
    h('svg:path', { class: 'area', d: `${d} L${x(t1).toFixed(1)},${ht} L${x(t0).toFixed(1)},${ht} Z` }),
    h('svg:path', { class: 'line', d }));
  const since = new Date(t0).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return h('div', { 'data-testid': 'net-liquidation-chart' }, chart, h('div', { class: 'spark-caption' }, `since ${since}: low ${money(lo, currency)} · high ${money(hi, currency)}`));
}

/** Horizontal bars of household market value per symbol: long green, short red, scaled to the largest. */
export function exposureBars(items) {
  const max = Math.max(...items.map((t) => Math.abs(Number(t.marketValue))));
  const row = 20, w = 340, labelW = 74, valueW = 86;
  return h('svg:svg', { class: 'bars', viewBox: `0 0 ${w} ${items.length * row}`, role: 'img', 'aria-label': 'exposure per symbol' },
    items.map((t, i) => {
      const v = Number(t.marketValue);
      const name = t.symbol.length > 9 ? t.symbol.slice(0, 8) + '…' : t.symbol;
      const len = Math.max(1, (Math.abs(v) / max) * (w - labelW - valueW));
      return h('svg:g', {},
        h('svg:text', { x: 0, y: i * row + 14 }, h('svg:title', {}, `${t.symbol} ${t.secType} ${t.currency}`), name),
        h('svg:rect', { class: v < 0 ? 'short' : 'long', x: labelW, y: i * row + 4, width: len.toFixed(1), height: 12, rx: 2 }),
        h('svg:text', { x: w, y: i * row + 14, 'text-anchor': 'end', class: 'muted' }, `${v < 0 ? 'short ' : ''}${money(Math.abs(v), t.currency)}`));
    }));
}
