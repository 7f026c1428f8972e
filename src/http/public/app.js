/* global document, window, fetch, EventSource, URLSearchParams, setTimeout, clearTimeout, setInterval */
// ibkr-exec dashboard: one ES module, no framework, no build. Every value from the broker or Redis is put
// into the page as text (textContent / attributes), never parsed as HTML.

const meta = document.querySelector('meta[name="ibkr-csrf"]');
const CSRF = meta?.getAttribute('content') ?? '';
const CSRF_HEADER = meta?.getAttribute('data-header') ?? 'x-ibkr-csrf';
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

/** Creates an element: attributes as an object, children as strings (text) or nodes. */
function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof window.Node ? c : String(c));
  return el;
}

const money = (v, cur = 'USD') => {
  if (v === null || v === undefined || v === '') return '—';
  const n = Number(v);
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: cur, maximumFractionDigits: Math.abs(n) >= 10000 ? 0 : 2 }).format(n);
  } catch {
    return n.toFixed(2) + ' ' + cur;
  }
};
const num = (v) => (v === null || v === undefined || v === '' ? '—' : new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 }).format(Number(v)));
const time = (ts) => {
  const d = new Date(typeof ts === 'string' && /^\d+$/.test(ts) ? Number(ts) : ts);
  return Number.isNaN(d.getTime()) ? String(ts ?? '') : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
};
const empty = (...parts) => h('div', { class: 'empty' }, ...parts);
const table = (head, rows, numCols = []) =>
  h('table', {}, h('thead', {}, h('tr', {}, head.map((x, i) => h('th', { class: numCols.includes(i) ? 'num' : undefined }, x)))), h('tbody', {}, rows));

let state;
let es;
let refreshTimer;
const seen = new Set();
const liveFills = [];
const liveAudit = [];
const liveDecisions = [];
const signals = new Map();
const fresh = new Set();

function notice(text, kind = 'warn') {
  const n = $('notice');
  n.hidden = !text;
  n.textContent = text ?? '';
  n.className = 'notice' + (kind === 'error' ? ' error' : '');
}

async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', [CSRF_HEADER]: CSRF }, body: JSON.stringify(body) };
  const res = await fetch(path, { credentials: 'same-origin', ...init });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { error: text };
  }
  if (res.status === 401) window.location.href = '/login';
  if (!res.ok) throw Object.assign(new Error(data.error ?? `${res.status} ${res.statusText}`), { status: res.status });
  return data;
}

// ---------- rendering ----------

function renderHealth() {
  const hl = state.health;
  const pill = (id, text, cls, title) => {
    const el = $(id);
    el.textContent = text;
    el.className = 'pill ' + cls;
    if (title) el.title = title;
  };
  const tws = hl.tws;
  const twsState = tws?.state ?? 'UNKNOWN';
  pill('h-tws', `TWS ${twsState.toLowerCase().replace('_', ' ')}`, twsState === 'CONNECTED' ? 'ok' : 'bad', `${state.broker.host}:${state.broker.port}${tws?.reason ? ' — ' + tws.reason : ''}`);
  pill('h-redis', hl.redis.ok ? 'Redis ok' : 'Redis down', hl.redis.ok ? 'ok' : 'bad');
  const w = hl.worker;
  const waiting = w.counts ? w.counts.waiting + w.counts.delayed : 0;
  const noWorker = w.workers === 0;
  pill('h-worker', noWorker ? 'no worker' : `worker ${w.workers ?? '?'} · queue ${waiting}`, noWorker ? 'bad' : w.counts?.failed ? 'warn' : 'ok', `queue ${w.queue}${w.counts ? `: waiting ${w.counts.waiting}, active ${w.counts.active}, delayed ${w.counts.delayed}, failed ${w.counts.failed}` : ''}`);
  if (!hl.ready.ready) pill('h-worker', `not ready: ${hl.ready.reason ?? ''}`, 'warn');
  const badge = document.querySelector('[data-testid="mode-badge"]');
  badge.textContent = state.mode === 'live' ? 'LIVE' : 'PAPER';
  badge.className = 'badge mode-' + badge.textContent;
  $('read-only').hidden = !state.readOnly;
}

function renderTradingState() {
  const g = state.tradingState.global;
  const el = $('trading-state');
  el.textContent = `Trading ${g.replace('_', '-')}`;
  el.className = 'state st-' + g;
  el.setAttribute('data-state', g);
}

function accountName(id) {
  const a = state?.accounts.find((x) => x.id === id);
  return a?.label ? `${a.label}` : id;
}

function sparkline(series, currency) {
  const pts = (series ?? []).map(([t, v]) => [t, Number(v)]);
  if (pts.length < 2) return h('div', { class: 'reason' }, 'Net liquidation chart fills in as the day goes on.');
  const w = 240, ht = 36, pad = 2;
  const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
  const vs = pts.map((p) => p[1]);
  const lo = Math.min(...vs), hi = Math.max(...vs);
  const x = (t) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (w - 2 * pad);
  const y = (v) => ht - pad - ((v - lo) / Math.max(1e-9, hi - lo)) * (ht - 2 * pad - 8);
  const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
  return h('svg:svg', { class: 'spark', viewBox: `0 0 ${w} ${ht}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'net liquidation today' },
    h('svg:path', { class: 'area', d: `${d} L${x(t1).toFixed(1)},${ht} L${x(t0).toFixed(1)},${ht} Z` }),
    h('svg:path', { class: 'line', d }),
    h('svg:text', { x: 2, y: 9 }, `high ${money(hi, currency)}`),
    h('svg:text', { x: w - 2, y: 9, 'text-anchor': 'end' }, `low ${money(lo, currency)}`));
}

function stateButtons(scope) {
  return h('span', {},
    h('button', { class: 'small danger', 'data-action': 'HALTED', 'data-scope': scope, title: `halt ${scope}` }, 'Halt'), ' ',
    h('button', { class: 'small warn', 'data-action': 'REDUCE_ONLY', 'data-scope': scope }, 'Reduce'), ' ',
    h('button', { class: 'small', 'data-action': 'ACTIVE', 'data-scope': scope }, 'Resume…'));
}

function renderAccounts() {
  const box = $('accounts');
  const cards = state.accounts.map((a) => {
    const own = state.tradingState.accounts[a.id];
    const eff = state.tradingState.effective[a.id];
    const declared = a.type !== null;
    return h('article', { class: 'card', 'data-testid': 'account-card', 'data-account': a.id },
      h('header', {}, h('h3', {}, a.label ?? a.id), h('span', { class: 'id' }, `${a.id} · ${a.type ? a.type.replace('_', ' ') : 'undeclared'}${a.brokerAccountType ? ` (IB ${a.brokerAccountType})` : ''}`)),
      h('div', { class: 'rules' }, a.rules.map((r) => h('span', { class: 'rule' + (r.startsWith('IRA') ? ' ira' : '') }, r)), a.linked === false ? h('span', { class: 'rule ira' }, 'not linked at IB') : null),
      h('div', { class: 'figures' },
        h('div', {}, h('span', {}, 'Net liquidation'), h('b', { 'data-testid': 'net-liquidation' }, money(a.netLiquidation, a.currency))),
        h('div', {}, h('span', {}, 'Settled cash'), h('b', {}, money(a.settledCash, a.currency))),
        h('div', {}, h('span', {}, 'Buying power'), h('b', {}, money(a.buyingPower, a.currency)))),
      sparkline(state.netLiq[a.id], a.currency),
      declared
        ? h('div', { class: 'controls' }, h('span', { class: 'state st-' + eff, 'data-testid': 'account-state', title: `own ${own}, effective ${eff}` }, eff === own ? eff : `${eff} (global)`), stateButtons(a.id))
        : h('div', { class: 'reason' }, 'Linked but not in the config: shown, never traded.'));
  });
  box.replaceChildren(...cards);
  const sel = $('f-account');
  const cur = sel.value;
  sel.replaceChildren(h('option', { value: '' }, 'all accounts'), ...state.accounts.map((a) => h('option', { value: a.id }, a.label ? `${a.label} (${a.id})` : a.id)));
  sel.value = cur;
}

function brokerDown() {
  return state.broker.error
    ? empty(`TWS unavailable (${state.broker.error}) — start IB Gateway/TWS on ${state.broker.host}:${state.broker.port}${state.mode === 'paper' ? ' (paper)' : ''} with the API enabled.${state.broker.asOf ? ` Showing the snapshot of ${time(state.broker.asOf)}.` : ''}`)
    : null;
}

function renderPositions() {
  const box = $('positions');
  $('positions-asof').textContent = state.broker.asOf ? `as of ${time(state.broker.asOf)}` : '';
  const down = brokerDown();
  if (state.positions.length === 0) {
    box.replaceChildren(down ?? empty('No open positions. They appear here once a signal fills.'));
    return;
  }
  const rows = [];
  for (const t of state.totals) {
    const legs = state.positions.filter((p) => p.symbol === t.symbol && p.secType === t.secType && p.currency === t.currency && (t.conId === undefined || p.conId === t.conId));
    rows.push(h('tr', { class: 'total', 'data-symbol': t.symbol },
      h('td', {}, t.symbol, t.secType !== 'STK' ? ` ${t.secType}${t.conId ? ` #${t.conId}` : ''}` : ''), h('td', {}, legs.length > 1 ? `household · ${t.accounts} accounts` : accountName(legs[0].account)),
      h('td', { class: 'num' }, num(t.quantity)), h('td', { class: 'num' }, ''), h('td', { class: 'num' }, legs[0].price ? num(legs[0].price) : 'at cost'),
      h('td', { class: 'num ' + (Number(t.marketValue) < 0 ? 'neg' : '') }, money(t.marketValue, t.currency))));
    if (legs.length > 1) {
      for (const p of legs) {
        const v = Number(p.price ?? p.avgCost) * p.quantity;
        rows.push(h('tr', { class: 'sub' }, h('td', {}, p.symbol), h('td', {}, `${accountName(p.account)} · ${p.account}`), h('td', { class: 'num' }, num(p.quantity)), h('td', { class: 'num' }, num(p.avgCost)), h('td', { class: 'num' }, p.price ? num(p.price) : '—'), h('td', { class: 'num' }, money(v, p.currency))));
      }
    } else rows[rows.length - 1].children[3].textContent = num(legs[0].avgCost);
  }
  box.replaceChildren(...(down ? [down] : []), h('div', { class: 'scroll' }, table(['symbol', 'account', 'quantity', 'avg cost', 'price', 'market value'], rows, [2, 3, 4, 5])));
}

function renderExposure() {
  const box = $('exposure');
  const items = state.totals.filter((t) => Number(t.marketValue) !== 0).slice(0, 12);
  if (items.length === 0) {
    box.replaceChildren(empty('No exposure: nothing is held.'));
    return;
  }
  const max = Math.max(...items.map((t) => Math.abs(Number(t.marketValue))));
  const row = 20, w = 340, labelW = 74, valueW = 86;
  const svg = h('svg:svg', { class: 'bars', viewBox: `0 0 ${w} ${items.length * row}`, role: 'img', 'aria-label': 'exposure per symbol' },
    items.map((t, i) => {
      const v = Number(t.marketValue);
      const name = t.symbol.length > 9 ? t.symbol.slice(0, 8) + '…' : t.symbol;
      const len = Math.max(1, (Math.abs(v) / max) * (w - labelW - valueW));
      return h('svg:g', {},
        h('svg:text', { x: 0, y: i * row + 14 }, h('svg:title', {}, `${t.symbol} ${t.secType} ${t.currency}`), name),
        h('svg:rect', { class: v < 0 ? 'short' : 'long', x: labelW, y: i * row + 4, width: len.toFixed(1), height: 12, rx: 2 }),
        h('svg:text', { x: w, y: i * row + 14, 'text-anchor': 'end', class: 'muted' }, `${v < 0 ? 'short ' : ''}${money(Math.abs(v), t.currency)}`));
    }));
  box.replaceChildren(svg);
}

function renderOrders() {
  const box = $('orders');
  if (state.orders.length === 0) {
    box.replaceChildren(brokerDown() ?? empty('No working orders.'));
    return;
  }
  const rows = state.orders.map((o) => h('tr', { 'data-testid': 'order-row', 'data-order-id': o.orderId },
    h('td', {}, o.orderId), h('td', {}, accountName(o.account)), h('td', {}, o.symbol), h('td', {}, h('span', { class: 'tag ' + (o.side === 'BUY' ? 's-BOT' : 's-SLD') }, o.side)),
    h('td', { class: 'num' }, `${num(o.filled)}/${num(o.quantity)}`), h('td', {}, o.orderType, o.limitPrice ? ` ${num(o.limitPrice)}` : '', o.stopPrice ? ` stop ${num(o.stopPrice)}` : ''),
    h('td', {}, o.status.replace('_', ' ').toLowerCase()), h('td', { class: 'hash', title: o.orderRef ?? '' }, (o.orderRef ?? '').slice(0, 18)),
    h('td', {}, o.cancellable && !state.readOnly ? h('button', { class: 'small', 'data-testid': 'cancel-order', 'data-cancel': o.orderId }, 'Cancel') : h('span', { class: 'reason' }, state.readOnly ? 'read-only' : 'other client'))));
  box.replaceChildren(h('div', { class: 'scroll' }, table(['id', 'account', 'symbol', 'side', 'filled', 'type', 'status', 'orderRef', ''], rows, [4])));
}

function allFills() {
  const byId = new Map();
  for (const f of [...liveFills, ...state.fills]) if (!byId.has(f.id)) byId.set(f.id, f);
  return [...byId.values()].filter((f) => (f.fields.type ?? 'FILL') !== 'COMMISSION').sort((a, b) => cmpId(b.id, a.id)).slice(0, 50);
}

function renderFills() {
  const box = $('fills');
  const fills = allFills();
  if (fills.length === 0) {
    box.replaceChildren(empty('No fills yet today.'));
    return;
  }
  const rows = fills.map((e) => {
    const f = e.fields;
    return h('tr', { class: fresh.has('fills:' + e.id) ? 'flash' : undefined, 'data-testid': 'fill-row' },
      h('td', {}, time(f.ts ?? Number(e.id.split('-')[0]))), h('td', {}, accountName(f.account)), h('td', {}, f.symbol),
      h('td', {}, h('span', { class: 'tag s-' + f.side }, f.side === 'BOT' ? 'BUY' : 'SELL')), h('td', { class: 'num' }, num(f.shares)), h('td', { class: 'num' }, num(f.price)));
  });
  box.replaceChildren(h('div', { class: 'scroll' }, table(['time', 'account', 'symbol', 'side', 'shares', 'price'], rows, [4, 5])));
}

function allDecisions() {
  const key = (d) => `${d.seq}/${d.account}`;
  const byKey = new Map();
  for (const d of [...liveDecisions, ...state.decisions]) if (!byKey.has(key(d))) byKey.set(key(d), d);
  return [...byKey.values()].sort((a, b) => b.seq - a.seq);
}

function renderDecisions() {
  const box = $('decisions');
  const fa = $('f-account').value;
  const fd = $('f-decision').value;
  const all = allDecisions();
  if (all.length === 0) {
    box.replaceChildren(empty('No signals yet — send one with ', h('code', {}, 'ibkr-exec signal examples/signals/01-buy-aapl-all-accounts.json'), ' (or POST it, signed, to /signals).'));
    return;
  }
  const rows = all.filter((d) => (!fa || d.account === fa) && (!fd || d.decision === fd)).slice(0, 150).map((d) =>
    h('tr', { class: fresh.has('d:' + d.seq) ? 'flash' : undefined, 'data-testid': 'decision-row', 'data-decision': d.decision, 'data-account': d.account },
      h('td', {}, time(d.ts)), h('td', { title: d.signalId }, d.signalId), h('td', {}, [d.side, d.symbol].filter(Boolean).join(' ')), h('td', {}, accountName(d.account)),
      h('td', {}, h('span', { class: 'tag d-' + d.decision }, d.decision)), h('td', { class: 'num' }, num(d.quantity)),
      h('td', { class: 'reason' }, d.reasons.map((r) => h('div', {}, h('b', {}, r.code), ': ', r.message)), d.notes.map((n) => h('div', {}, n)))));
  box.replaceChildren(rows.length ? h('div', { class: 'scroll' }, table(['time', 'signal', 'order', 'account', 'decision', 'qty', 'reasons / notes'], rows, [5])) : empty('No decisions match the filter.'));
}

function renderAudit() {
  const st = $('audit-status');
  const c = state.audit.check;
  if (!c) {
    st.textContent = 'chain not checked yet';
    st.className = 'audit-status';
  } else if (c.ok) {
    st.textContent = c.through === 0 ? 'chain empty (nothing recorded yet)' : `chain verified through #${c.through}`;
    st.className = 'audit-status ok';
  } else {
    st.textContent = `chain BROKEN at #${c.seq}: ${c.reason} — run ibkr-exec audit verify`;
    st.className = 'audit-status bad';
  }
  const bySeq = new Map();
  for (const r of [...liveAudit, ...state.audit.records]) if (!bySeq.has(r.seq)) bySeq.set(r.seq, r);
  const recs = [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, 25);
  if (recs.length === 0) {
    $('audit').replaceChildren(empty('No audit records yet.'));
    return;
  }
  const rows = recs.map((r) => h('tr', { class: fresh.has('a:' + r.seq) ? 'flash' : undefined },
    h('td', { class: 'num' }, '#' + r.seq), h('td', {}, time(r.ts)), h('td', {}, r.type), h('td', {}, r.account ? accountName(r.account) : ''),
    h('td', { class: 'reason' }, summarize(r)), h('td', { class: 'hash' }, r.hash)));
  $('audit').replaceChildren(h('div', { class: 'scroll' }, table(['seq', 'time', 'type', 'account', 'summary', 'hash'], rows, [0])));
}

function summarize(r) {
  const d = r.data ?? {};
  if (r.type === 'trading-state') return `${d.scope}: ${d.previous} → ${d.current} (by ${d.by ?? '?'})`;
  if (r.type === 'dashboard.action') return `${d.scope}: ${d.previous} → ${d.current}${d.reason ? ` — “${d.reason}”` : ''}`;
  if (r.type === 'signal') return `${r.signalId}: ${d.payload?.side ?? ''} ${d.payload?.instrument?.symbol ?? ''}`;
  if (r.type === 'outcome') return `${r.signalId}: ${(d.results ?? []).map((x) => `${x.account} ${x.decision}`).join(', ')}`;
  if (r.type === 'connection') return `${d.state}${d.reason ? ` (${d.reason})` : ''}`;
  if (r.type === 'webhook.rejected') return d.reason ?? `${d.suppressed} suppressed`;
  if (r.type === 'decision') return `${d.decision ?? ''}${(d.reasons ?? []).map((x) => ` ${x.code ?? x}`).join('')}`;
  if (r.type === 'order.state') return `order ${d.orderId ?? ''}: ${d.from ?? '?'} → ${d.to ?? '?'}${d.filled ? ` (filled ${d.filled})` : ''}`;
  if (r.type === 'order.sent') return `sent ${(d.placed ?? []).map((x) => `#${x.orderId}`).join(', ')}`;
  if (r.type === 'order.intent') return `intent: ${(d.legs ?? []).map((x) => `${x.side ?? ''} ${x.quantity ?? ''} ${x.instrument?.symbol ?? ''} ${x.orderType ?? ''}`).join('; ')}`;
  if (r.type === 'fill') return `${d.side ?? ''} ${d.shares ?? ''} ${d.symbol ?? ''} @ ${d.price ?? ''}`;
  const s = JSON.stringify(d);
  return s.length > 140 ? s.slice(0, 139) + '…' : s;
}

let previews = { previews: [] };
async function loadPreviews() {
  try {
    previews = await api('/api/previews');
  } catch {
    previews = { previews: [], error: true };
  }
  renderPreviews();
}

function renderPreviews() {
  const box = $('previews');
  const now = Date.now();
  const pending = (previews.previews ?? []).filter((p) => (p.status ?? 'pending') === 'pending' && Date.parse(p.expiresAt) > now);
  if (pending.length === 0) {
    box.replaceChildren(empty(previews.error ? 'Previews unavailable.' : 'No pending previews. When an MCP client calls preview_order, it waits here for a person to approve or reject it.'));
    return;
  }
  box.replaceChildren(...pending.map((p) => {
    const rq = p.request ?? {};
    const size = rq.size ? Object.entries(rq.size).map(([k, v]) => `${k} ${v}`).join(' ') : '';
    const left = Math.max(0, Math.round((Date.parse(p.expiresAt) - now) / 1000));
    return h('div', { class: 'preview', 'data-testid': 'preview', 'data-preview': p.previewId },
      h('div', {}, h('b', {}, `${rq.side ?? ''} ${rq.symbol ?? rq.instrument?.symbol ?? ''}`), ` ${size}`, rq.order?.type ? ` ${rq.order.type}` : '', rq.order?.limitPrice ? ` @ ${rq.order.limitPrice}` : ''),
      h('div', { class: 'reason' }, `${p.previewId} · expires in ${left} s`),
      (p.results ?? []).map((r) => h('div', { class: 'reason' }, accountName(r.account), ': ', h('span', { class: 'tag d-' + (r.decision === 'DENIED' ? 'DENIED' : 'PLACED') }, r.decision), ` ${r.quantity ?? ''}`, (r.reasons ?? []).map((x) => ` ${x.code}`).join(''))),
      h('div', { class: 'actions' },
        h('button', { class: 'small', 'data-testid': 'approve-preview', 'data-preview-action': 'approve', 'data-id': p.previewId }, 'Approve'),
        h('button', { class: 'small', 'data-testid': 'reject-preview', 'data-preview-action': 'reject', 'data-id': p.previewId }, 'Reject')));
  }));
}

function render() {
  renderHealth();
  renderTradingState();
  renderAccounts();
  renderPositions();
  renderExposure();
  renderOrders();
  renderFills();
  renderDecisions();
  renderAudit();
}

// ---------- data flow ----------

async function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
  try {
    state = await api('/api/state');
    render();
    if (!es) connect(state.cursor);
  } catch (e) {
    notice(`Cannot load the dashboard state: ${e.message}`, 'error');
  }
  void loadPreviews();
}

const soon = (ms = 800) => {
  if (!refreshTimer) refreshTimer = setTimeout(refresh, ms);
};

function cmpId(a, b) {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

/** Keeps the live lists and marker sets of a page left open all day bounded. */
function trim() {
  for (const list of [liveFills, liveAudit, liveDecisions]) if (list.length > 300) list.length = 200;
  if (seen.size > 5000) seen.clear();
  if (fresh.size > 2000) fresh.clear();
}

function onEntry(e) {
  const key = `${e.stream}:${e.id}`;
  if (seen.has(key)) return;
  seen.add(key);
  trim();
  if (e.stream === 'fills') {
    liveFills.unshift(e);
    if (!state?.fills.some((x) => x.id === e.id)) fresh.add('fills:' + e.id);
    if (state) renderFills();
    soon();
  } else if (e.stream === 'orders') soon();
  else if (e.stream === 'audit') onAudit(e);
}

function onAudit(e) {
  const f = e.fields;
  let data;
  try {
    data = JSON.parse(f.data ?? 'null');
  } catch {
    data = f.data;
  }
  const rec = { seq: Number(f.seq), ts: f.ts, type: f.type, account: f.account, signalId: f.signalId, orderRef: f.orderRef, data, hash: (f.hash ?? '').slice(0, 12) };
  const known = state?.audit.records.some((r) => r.seq === rec.seq);
  liveAudit.unshift(rec);
  if (!known) fresh.add('a:' + rec.seq);
  if (rec.type === 'signal') signals.set(rec.signalId, data?.payload);
  if (rec.type === 'outcome') {
    const p = signals.get(rec.signalId) ?? state?.decisions.find((d) => d.signalId === rec.signalId);
    for (const x of data?.results ?? []) {
      liveDecisions.unshift({ seq: rec.seq, ts: rec.ts, signalId: rec.signalId, account: x.account, accountType: x.accountType, decision: x.decision, quantity: x.quantity, symbol: p?.instrument?.symbol ?? p?.symbol ?? '', side: p?.side ?? '', reasons: x.reasons ?? [], notes: x.notes ?? [] });
    }
    if (!known) fresh.add('d:' + rec.seq);
    if (state) renderDecisions();
  }
  if (state) renderAudit();
  if (['trading-state', 'dashboard.action', 'connection', 'order.cancel', 'kill-switch.cancel', 'outcome'].includes(rec.type)) soon(300);
}

function connect(cursor) {
  es = new EventSource(`/events?${new URLSearchParams({ since: cursor })}`);
  const status = (text, cls) => {
    $('h-stream').textContent = text;
    $('h-stream').className = 'pill ' + cls;
  };
  es.onopen = () => status('stream live', 'ok');
  es.onerror = () => status('stream reconnecting', 'warn');
  for (const name of ['orders', 'fills', 'audit']) es.addEventListener(name, (m) => onEntry(JSON.parse(m.data)));
  es.addEventListener('trading-state', () => soon(100));
  es.addEventListener('changed', () => soon(100));
  es.addEventListener('reset', () => soon(0));
  es.addEventListener('health', (m) => {
    if (!state) return;
    state.health.tws = JSON.parse(m.data).tws;
    renderHealth();
    soon(1500);
  });
}

// ---------- actions ----------

function askTradingState(stateName, scope) {
  const dlg = $('dialog');
  const where = scope === 'global' ? 'all accounts' : accountName(scope) + ` (${scope})`;
  const titles = { HALTED: `Halt trading — ${where}`, REDUCE_ONLY: `Reduce-only — ${where}`, ACTIVE: `Resume trading — ${where}` };
  const texts = {
    HALTED: 'No new orders will be sent. Working orders stay unless you also cancel them.',
    REDUCE_ONLY: 'Only orders that reduce a position will be sent.',
    ACTIVE: 'Orders will be sent again. Say why, and type RESUME to confirm.',
  };
  $('dialog-title').textContent = titles[stateName];
  $('dialog-text').textContent = texts[stateName];
  $('dialog-reason').value = '';
  $('dialog-confirm').value = '';
  $('dialog-cancel').checked = false;
  $('dialog-error').textContent = '';
  $('dialog-confirm-row').hidden = stateName !== 'ACTIVE';
  $('dialog-cancel-row').hidden = stateName !== 'HALTED';
  $('dialog-ok').textContent = { HALTED: 'Halt', REDUCE_ONLY: 'Reduce-only', ACTIVE: 'Resume' }[stateName];
  $('dialog-ok').className = stateName === 'HALTED' ? 'danger' : '';
  dlg.dataset.state = stateName;
  dlg.dataset.scope = scope;
  dlg.showModal();
  $('dialog-reason').focus();
}

async function submitDialog(ev) {
  const dlg = $('dialog');
  if (ev.submitter?.value !== 'ok') return;
  ev.preventDefault();
  const stateName = dlg.dataset.state;
  const reason = $('dialog-reason').value.trim();
  if (stateName === 'ACTIVE' && !reason) return void ($('dialog-error').textContent = 'Resuming needs a reason.');
  if (stateName === 'ACTIVE' && $('dialog-confirm').value !== 'RESUME') return void ($('dialog-error').textContent = 'Type RESUME (capitals) to confirm.');
  try {
    const r = await api('/api/trading-state', { scope: dlg.dataset.scope, state: stateName, reason, confirm: $('dialog-confirm').value, cancel: $('dialog-cancel').checked });
    dlg.close();
    notice(`${r.scope === 'global' ? 'Trading (global)' : r.scope}: ${r.previous} → ${r.current} (audit #${r.auditSeq})${r.note ? ` — ${r.note}` : ''}`);
    await refresh();
  } catch (e) {
    $('dialog-error').textContent = e.message;
  }
}

async function onClick(ev) {
  const b = ev.target.closest('button');
  if (!b) return;
  if (b.dataset.action) askTradingState(b.dataset.action, b.dataset.scope);
  else if (b.dataset.cancel) {
    b.disabled = true;
    try {
      await api(`/api/orders/${encodeURIComponent(b.dataset.cancel)}/cancel`, {});
      notice(`Cancel of order ${b.dataset.cancel} sent.`);
      soon(300);
    } catch (e) {
      notice(`Cancel failed: ${e.message}`, 'error');
      b.disabled = false;
    }
  } else if (b.dataset.previewAction) {
    b.disabled = true;
    try {
      await api(`/api/previews/${encodeURIComponent(b.dataset.id)}/${b.dataset.previewAction}`, {});
      notice(`Preview ${b.dataset.id} ${b.dataset.previewAction === 'approve' ? 'approved' : 'rejected'}.`);
    } catch (e) {
      notice(e.status === 404 ? 'Approvals are not available on this daemon (the MCP plugin is not mounted).' : `Failed: ${e.message}`, 'error');
    }
    void loadPreviews();
  }
}

document.addEventListener('click', onClick);
$('dialog-form').addEventListener('submit', submitDialog);
$('f-account').addEventListener('change', renderDecisions);
$('f-decision').addEventListener('change', renderDecisions);
setInterval(() => {
  if (!refreshTimer) void refresh();
}, 15000);
void refresh();
