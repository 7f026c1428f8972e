// The panels of the dashboard, each rendered from the shared model (`ctx`).
/* global document */
import { $, h, money, num, time, empty, table, cmpId } from './dom.js';
import { exposureBars, sparkline } from './charts.js';
import { ctx } from './model.js';

export function renderHealth() {
  const hl = ctx.state.health;
  const pill = (id, text, cls, title) => {
    const el = $(id);
    el.textContent = text;
    el.className = 'pill ' + cls;
    if (title) el.title = title;
  };
  const tws = hl.tws;
  const twsState = tws?.state ?? 'UNKNOWN';
  pill('h-tws', `TWS ${twsState.toLowerCase().replace('_', ' ')}`, twsState === 'CONNECTED' ? 'ok' : 'bad', `${ctx.state.broker.host}:${ctx.state.broker.port}${tws?.reason ? ' — ' + tws.reason : ''}`);
  pill('h-redis', hl.redis.ok ? 'Redis ok' : 'Redis down', hl.redis.ok ? 'ok' : 'bad');
  const w = hl.worker;
  const waiting = w.counts ? w.counts.waiting + w.counts.delayed : 0;
  const noWorker = w.workers === 0;
  pill('h-worker', noWorker ? 'no worker' : `worker ${w.workers ?? '?'} · queue ${waiting}${w.counts?.failed ? ` · ${w.counts.failed} failed` : ''}`, noWorker ? 'bad' : w.counts?.failed ? 'warn' : 'ok', `queue ${w.queue}${w.counts ? `: waiting ${w.counts.waiting}, active ${w.counts.active}, delayed ${w.counts.delayed}, failed ${w.counts.failed}` : ''}`);
  if (!hl.ready.ready) pill('h-worker', `not ready: ${hl.ready.reason ?? ''}`, 'warn');
  const badge = document.querySelector('[data-testid="mode-badge"]');
  badge.textContent = ctx.state.mode === 'live' ? 'LIVE' : 'PAPER';
  badge.className = 'badge mode-' + badge.textContent;
  $('read-only').hidden = !ctx.state.readOnly;
}

function renderTradingState() {
  const g = ctx.state.tradingState.global;
  const el = $('trading-state');
  el.textContent = `Trading ${g.replace('_', '-')}`;
  el.className = 'state st-' + g;
  el.setAttribute('data-state', g);
}

export function accountName(id) {
  const a = ctx.state?.accounts.find((x) => x.id === id);
  return a?.label ? `${a.label}` : id;
}

function stateButtons(scope) {
  return h('span', {},
    h('button', { class: 'small danger', 'data-action': 'HALTED', 'data-scope': scope, title: `halt ${scope}` }, 'Halt'), ' ',
    h('button', { class: 'small warn', 'data-action': 'REDUCE_ONLY', 'data-scope': scope }, 'Reduce'), ' ',
    h('button', { class: 'small', 'data-action': 'ACTIVE', 'data-scope': scope }, 'Resume…'));
}

function renderAccounts() {
  const box = $('accounts');
  const cards = ctx.state.accounts.map((a) => {
    const own = ctx.state.tradingState.accounts[a.id];
    const eff = ctx.state.tradingState.effective[a.id];
    const declared = a.type !== null;
    return h('article', { class: 'card', 'data-testid': 'account-card', 'data-account': a.id },
      h('header', {}, h('h3', {}, a.label ?? a.id), h('span', { class: 'id' }, `${a.id} · ${a.type ? a.type.replace('_', ' ') : 'undeclared'}${a.brokerAccountType ? ` (IB ${a.brokerAccountType})` : ''}`)),
      h('div', { class: 'rules' }, a.rules.map((r) => h('span', { class: 'rule' + (r.startsWith('IRA') ? ' ira' : '') }, r)), a.linked === false ? h('span', { class: 'rule ira' }, 'not linked at IB') : null),
      h('div', { class: 'figures' },
        h('div', {}, h('span', {}, 'Net liquidation'), h('b', { 'data-testid': 'net-liquidation' }, money(a.netLiquidation, a.currency))),
        h('div', {}, h('span', {}, 'Settled cash'), h('b', {}, money(a.settledCash, a.currency))),
        h('div', {}, h('span', {}, 'Buying power'), h('b', {}, money(a.buyingPower, a.currency)))),
      sparkline(ctx.state.netLiq[a.id], a.currency),
      declared
        ? h('div', { class: 'controls' }, h('span', { class: 'state st-' + eff, 'data-testid': 'account-state', title: `own ${own}, effective ${eff}` }, eff === own ? eff : `${eff} (global)`), stateButtons(a.id))
        : h('div', { class: 'reason' }, 'Linked but not in the config: shown, never traded.'));
  });
  box.replaceChildren(...cards);
  const sel = $('f-account');
  const cur = sel.value;
  sel.replaceChildren(h('option', { value: '' }, 'all accounts'), ...ctx.state.accounts.map((a) => h('option', { value: a.id }, a.label ? `${a.label} (${a.id})` : a.id)));
  sel.value = cur;
}

function brokerDown() {
  return ctx.state.broker.error
    ? empty(`TWS unavailable (${ctx.state.broker.error}) — start IB Gateway/TWS on ${ctx.state.broker.host}:${ctx.state.broker.port}${ctx.state.mode === 'paper' ? ' (paper)' : ''} with the API enabled.${ctx.state.broker.asOf ? ` Showing the snapshot of ${time(ctx.state.broker.asOf)}.` : ''}`)
    : null;
}

function renderPositions() {
  const box = $('positions');
  $('positions-asof').textContent = ctx.state.broker.asOf ? `as of ${time(ctx.state.broker.asOf)}` : '';
  const down = brokerDown();
  if (ctx.state.positions.length === 0) {
    box.replaceChildren(down ?? empty('No open positions. They appear here once a signal fills.'));
    return;
  }
  const rows = [];
  for (const t of ctx.state.totals) {
    const legs = ctx.state.positions.filter((p) => p.symbol === t.symbol && p.secType === t.secType && p.currency === t.currency && (t.conId === undefined || p.conId === t.conId));
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
  const items = ctx.state.totals.filter((t) => Number(t.marketValue) !== 0).slice(0, 12);
  if (items.length === 0) {
    box.replaceChildren(empty('No exposure: nothing is held.'));
    return;
  }
  box.replaceChildren(exposureBars(items));
}

function renderOrders() {
  const box = $('orders');
  if (ctx.state.orders.length === 0) {
    box.replaceChildren(brokerDown() ?? empty('No working orders.'));
    return;
  }
  const rows = ctx.state.orders.map((o) => h('tr', { 'data-testid': 'order-row', 'data-order-id': o.orderId },
    h('td', {}, o.orderId), h('td', {}, accountName(o.account)), h('td', {}, o.symbol), h('td', {}, h('span', { class: 'tag ' + (o.side === 'BUY' ? 's-BOT' : 's-SLD') }, o.side)),
    h('td', { class: 'num' }, `${num(o.filled)}/${num(o.quantity)}`), h('td', {}, o.orderType, o.limitPrice ? ` ${num(o.limitPrice)}` : '', o.stopPrice ? ` stop ${num(o.stopPrice)}` : ''),
    h('td', {}, o.status.replace('_', ' ').toLowerCase()), h('td', { class: 'hash', title: o.orderRef ?? '' }, (o.orderRef ?? '').slice(0, 18)),
    h('td', {}, o.cancellable && !ctx.state.readOnly ? h('button', { class: 'small', 'data-testid': 'cancel-order', 'data-cancel': o.orderId }, 'Cancel') : h('span', { class: 'reason' }, ctx.state.readOnly ? 'read-only' : 'other client'))));
  box.replaceChildren(h('div', { class: 'scroll' }, table(['id', 'account', 'symbol', 'side', 'filled', 'type', 'status', 'orderRef', ''], rows, [4])));
}

function allFills() {
  const byId = new Map();
  for (const f of [...ctx.liveFills, ...ctx.state.fills]) if (!byId.has(f.id)) byId.set(f.id, f);
  return [...byId.values()].filter((f) => (f.fields.type ?? 'FILL') !== 'COMMISSION').sort((a, b) => cmpId(b.id, a.id)).slice(0, 50);
}

export function renderFills() {
  const box = $('fills');
  const fills = allFills();
  if (fills.length === 0) {
    box.replaceChildren(empty('No fills yet today.'));
    return;
  }
  const rows = fills.map((e) => {
    const f = e.fields;
    return h('tr', { class: ctx.fresh.has('fills:' + e.id) ? 'flash' : undefined, 'data-testid': 'fill-row' },
      h('td', {}, time(f.ts ?? Number(e.id.split('-')[0]))), h('td', {}, accountName(f.account)), h('td', {}, f.symbol),
      h('td', {}, h('span', { class: 'tag s-' + f.side }, f.side === 'BOT' ? 'BUY' : 'SELL')), h('td', { class: 'num' }, num(f.shares)), h('td', { class: 'num' }, num(f.price)));
  });
  box.replaceChildren(h('div', { class: 'scroll' }, table(['time', 'account', 'symbol', 'side', 'shares', 'price'], rows, [4, 5])));
}

function allDecisions() {
  const key = (d) => `${d.seq}/${d.account}`;
  const byKey = new Map();
  for (const d of [...ctx.liveDecisions, ...ctx.state.decisions]) if (!byKey.has(key(d))) byKey.set(key(d), d);
  return [...byKey.values()].sort((a, b) => b.seq - a.seq);
}

export function renderDecisions() {
  const box = $('decisions');
  const fa = $('f-account').value;
  const fd = $('f-decision').value;
  const all = allDecisions();
  if (all.length === 0) {
    box.replaceChildren(empty('No signals yet — send one with ', h('code', {}, 'ibkr-exec signal examples/signals/01-buy-aapl-all-accounts.json'), ' (or POST it, signed, to /signals).'));
    return;
  }
  const rows = all.filter((d) => (!fa || d.account === fa) && (!fd || d.decision === fd)).slice(0, 150).map((d) =>
    h('tr', { class: ctx.fresh.has('d:' + d.seq) ? 'flash' : undefined, 'data-testid': 'decision-row', 'data-decision': d.decision, 'data-account': d.account },
      h('td', {}, time(d.ts)), h('td', { title: d.signalId }, d.signalId), h('td', {}, [d.side, d.symbol].filter(Boolean).join(' ')), h('td', {}, accountName(d.account)),
      h('td', {}, h('span', { class: 'tag d-' + d.decision }, d.decision)), h('td', { class: 'num' }, num(d.quantity)),
      h('td', { class: 'reason' }, d.reasons.map((r) => h('div', {}, h('b', {}, r.code), ': ', r.message)), d.notes.map((n) => h('div', {}, n)))));
  box.replaceChildren(rows.length ? h('div', { class: 'scroll' }, table(['time', 'signal', 'order', 'account', 'decision', 'qty', 'reasons / notes'], rows, [5])) : empty('No decisions match the filter.'));
}

export function renderAudit() {
  const st = $('audit-status');
  const c = ctx.state.audit.check;
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
  for (const r of [...ctx.liveAudit, ...ctx.state.audit.records]) if (!bySeq.has(r.seq)) bySeq.set(r.seq, r);
  const recs = [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, 25);
  if (recs.length === 0) {
    $('audit').replaceChildren(empty('No audit records yet.'));
    return;
  }
  const rows = recs.map((r) => h('tr', { class: ctx.fresh.has('a:' + r.seq) ? 'flash' : undefined },
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
  if (r.type === 'reconciliation') {
    const kinds = {};
    for (const a of d.actions ?? []) {
      const k = typeof a === 'string' ? a : (a?.kind ?? a?.type ?? 'action');
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    const acts = Object.entries(kinds).map(([k, n]) => `${n} ${String(k).toLowerCase()}`).join(', ');
    return `${d.why ?? ''}: ${d.open ?? 0} open, ${d.executions ?? 0} executions${acts ? `; ${acts}` : ''}`;
  }
  if (r.type === 'fill') return `${d.side ?? ''} ${d.shares ?? ''} ${d.symbol ?? ''} @ ${d.price ?? ''}`;
  const s = JSON.stringify(d);
  return s.length > 140 ? s.slice(0, 139) + '…' : s;
}

export function renderPreviews() {
  const box = $('previews');
  const now = Date.now();
  const pending = (ctx.previews.previews ?? []).filter((p) => String(p.status ?? 'pending').toLowerCase() === 'pending' && Date.parse(p.expiresAt) > now);
  if (pending.length === 0) {
    box.replaceChildren(empty(ctx.previews.error ? 'Previews unavailable.' : 'No pending previews. When an MCP client calls preview_order, it waits here for a person to approve or reject it.'));
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

export function render() {
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

