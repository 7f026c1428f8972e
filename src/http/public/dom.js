// DOM and formatting helpers of the dashboard. Values go into the page as text (textContent /
// attributes), never parsed as HTML.
/* global document, window */

const SVG = 'http://www.w3.org/2000/svg';

export const $ = (id) => document.getElementById(id);

/** Creates an element: attributes as an object, children as strings (text) or nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof window.Node ? c : String(c));
  return el;
}

export const money = (v, cur = 'USD') => {
  if (v === null || v === undefined || v === '') return '—';
  const n = Number(v);
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: cur, maximumFractionDigits: Math.abs(n) >= 10000 ? 0 : 2 }).format(n);
  } catch {
    return n.toFixed(2) + ' ' + cur;
  }
};

export const num = (v) => (v === null || v === undefined || v === '' ? '—' : new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 }).format(Number(v)));

export const time = (ts) => {
  const d = new Date(typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : ts);
  return Number.isNaN(d.getTime()) ? String(ts ?? '') : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
};

export const empty = (...parts) => h('div', { class: 'empty' }, ...parts);

export const table = (head, rows, numCols = []) =>
  h('table', {}, h('thead', {}, h('tr', {}, head.map((x, i) => h('th', { class: numCols.includes(i) ? 'num' : undefined }, x)))), h('tbody', {}, rows));

export function cmpId(a, b) {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

