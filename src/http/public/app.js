/* global document, window, fetch, EventSource, URLSearchParams, setTimeout, clearTimeout, setInterval */
// ibkr-exec dashboard: plain ES modules, no framework, no build. This one holds the data flow (snapshot,
// Server-Sent Events) and the actions; panels.js renders, dom.js builds elements (text only, never HTML).
import { $ } from './dom.js';
import { ctx } from './model.js';
import { accountName, render, renderAudit, renderDecisions, renderFills, renderHealth, renderPreviews } from './panels.js';

const meta = document.querySelector('meta[name="ibkr-csrf"]');
const CSRF = meta?.getAttribute('content') ?? '';
const CSRF_HEADER = meta?.getAttribute('data-header') ?? 'x-ibkr-csrf';
let es;
let refreshTimer;
/** stream:id of every entry handled (a replay after a reconnect may repeat some) */
const seen = new Set();
/** signal id → payload, from the audit's `signal` records (decision rows show symbol and side) */
const signals = new Map();

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

async function loadPreviews() {
  try {
    ctx.previews = await api('/api/previews');
  } catch {
    ctx.previews = { previews: [], error: true };
  }
  renderPreviews();
}

async function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
  try {
    ctx.state = await api('/api/state');
    render();
    if (!es) connect(ctx.state.cursor);
  } catch (e) {
    notice(`Cannot load the dashboard state: ${e.message}`, 'error');
  }
  void loadPreviews();
}

const soon = (ms = 800) => {
  if (!refreshTimer) refreshTimer = setTimeout(refresh, ms);
};

/** Keeps the live lists and marker sets of a page left open all day bounded. */
function trim() {
  for (const list of [ctx.liveFills, ctx.liveAudit, ctx.liveDecisions]) if (list.length > 300) list.length = 200;
  if (seen.size > 5000) seen.clear();
  if (ctx.fresh.size > 2000) ctx.fresh.clear();
}

function onEntry(e) {
  const key = `${e.stream}:${e.id}`;
  if (seen.has(key)) return;
  seen.add(key);
  trim();
  if (e.stream === 'fills') {
    ctx.liveFills.unshift(e);
    if (!ctx.state?.fills.some((x) => x.id === e.id)) ctx.fresh.add('fills:' + e.id);
    if (ctx.state) renderFills();
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
  const known = ctx.state?.audit.records.some((r) => r.seq === rec.seq);
  ctx.liveAudit.unshift(rec);
  if (!known) ctx.fresh.add('a:' + rec.seq);
  if (rec.type === 'signal') signals.set(rec.signalId, data?.payload);
  if (rec.type === 'outcome') {
    const p = signals.get(rec.signalId) ?? ctx.state?.decisions.find((d) => d.signalId === rec.signalId);
    for (const x of data?.results ?? []) {
      ctx.liveDecisions.unshift({ seq: rec.seq, ts: rec.ts, signalId: rec.signalId, account: x.account, accountType: x.accountType, decision: x.decision, quantity: x.quantity, symbol: p?.instrument?.symbol ?? p?.symbol ?? '', side: p?.side ?? '', reasons: x.reasons ?? [], notes: x.notes ?? [] });
    }
    if (!known) ctx.fresh.add('d:' + rec.seq);
    if (ctx.state) renderDecisions();
  }
  if (ctx.state) renderAudit();
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
    if (!ctx.state) return;
    ctx.state.health.tws = JSON.parse(m.data).tws;
    renderHealth();
    soon(1500);
  });
}

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
