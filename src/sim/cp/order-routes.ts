/**
 * Orders: place (ack, question or `200 {error}`), the reply chain (/iserver/reply/{id}: another question
 * or the ack; a stale id answers 400 "reply id not found"), what-if, cancel, live orders per account
 * (pre-flight: the first call of a session answers empty; unscoped calls show the selected account
 * only, the false-empty list of multi-account logins), order status, and trades.
 * A new order or cancel while a chain is open discards that chain, as the gateway does.
 */
import type { SimEvent } from '../engine/events.js';
import { isOpen, type SimOrder } from '../engine/orders.js';
import type { WireOrderState } from '../wire/messages.js';
import { fail, ok, type CpAnswer, type CpRoute, type CpSimState, type CpTicket } from './cp-types.js';
import { liveOrderView, tradeView } from './order-view.js';
import { parseTickets, toWire } from './order-tickets.js';

/** Runs `fn` and collects the engine events it emits synchronously. */
function capture(s: CpSimState, fn: () => void): SimEvent[] {
  const seen: SimEvent[] = [];
  const off = s.engine.subscribe((e) => seen.push(e));
  try {
    fn();
  } finally {
    off();
  }
  return seen;
}

function questionsFor(s: CpSimState, tickets: readonly CpTicket[]): { messageId: string; text: string }[] {
  const out = s.faults.questionsNext.splice(0);
  for (const t of tickets) {
    const ins = s.engine.instruments.byConId(t.conid);
    if (!ins || t.orderType !== 'LMT' || t.price === undefined) continue;
    const last = s.engine.market.quote(ins).last.toNumber();
    if (Math.abs(t.price - last) / last > 0.03) {
      out.push({ messageId: 'o163', text: `The following order "${t.side} ${t.quantity} ${ins.symbol} @ ${t.price}" price exceeds the Percentage constraint of 3%. Are you sure you want to submit this order?` });
    }
  }
  return out.filter((q) => !s.session.suppressed.has(q.messageId));
}

function ask(s: CpSimState, account: string, tickets: readonly CpTicket[], questions: { messageId: string; text: string }[]): CpAnswer {
  const [q] = questions;
  if (!q) return submit(s, account, tickets);
  const id = `cpsim-reply-${(++s.replySeq).toString().padStart(6, '0')}`;
  s.pending = { id, account, tickets, questions: questions.slice(1) };
  return ok([{ id, message: [q.text], isSuppressed: false, messageIds: [q.messageId], messageOptions: ['Yes', 'No'] }]);
}

function duplicateOf(s: CpSimState, tickets: readonly CpTicket[]): string | undefined {
  const refs = new Set(tickets.map((t) => t.cOID).filter((c): c is string => c !== undefined));
  for (const o of s.engine.orders.values()) if (o.orderRef !== '' && refs.has(o.orderRef)) return o.orderRef;
  return undefined;
}

/** Books the tickets in the engine (a bracket: the parent is held until the last child transmits the family). */
function submit(s: CpSimState, account: string, tickets: readonly CpTicket[]): CpAnswer {
  const dup = duplicateOf(s, tickets);
  if (dup !== undefined) return ok({ error: `Order couldn't be submitted: Local order ID=${dup} is already registered.` });
  const ids = new Map<string, number>();
  const placed: number[] = [];
  const events = capture(s, () => {
    tickets.forEach((t, n) => {
      const orderId = s.engine.nextValidId(s.clientId);
      const parent = t.parentId !== undefined ? ids.get(t.parentId) : undefined;
      const wire = { ...toWire(t, account), parentId: parent ?? 0, transmit: n === tickets.length - 1 };
      s.engine.placeOrder(s.clientId, orderId, { conId: t.conid }, wire);
      if (t.cOID !== undefined) ids.set(t.cOID, orderId);
      placed.push(orderId);
    });
  });
  const err = events.find((e) => e.kind === 'orderError' && e.clientId === s.clientId && placed.includes(e.orderId) && e.code !== 399);
  if (err?.kind === 'orderError') return ok({ error: err.message });
  const answer = ok(placed.map((id) => {
    const o = s.engine.orders.get(`${s.clientId}:${id}`);
    return { order_id: String(o?.permId ?? id), order_status: o?.status ?? 'Submitted', encrypt_message: '1' };
  }));
  if (s.faults.dropNextOrderResponses > 0) {
    s.faults.dropNextOrderResponses -= 1;
    return { ...answer, drop: true };
  }
  return answer;
}

function place(s: CpSimState, account: string | undefined, body: unknown): CpAnswer {
  s.pending = undefined;
  if (account === undefined || !s.engine.accounts.has(account)) return fail(400, `accountId is not valid: ${account ?? ''}`);
  const tickets = parseTickets(body);
  if (typeof tickets === 'string') return fail(400, tickets);
  return ask(s, account, tickets, questionsFor(s, tickets));
}

function reply(s: CpSimState, id: string | undefined, body: unknown): CpAnswer {
  const p = s.pending;
  if (!p || p.id !== id) return fail(400, `reply id not found: '${id ?? ''}'`);
  s.pending = undefined;
  if ((body as { confirmed?: unknown } | undefined)?.confirmed !== true) return ok({ error: 'The order was not submitted: the question was declined.' });
  return ask(s, p.account, p.tickets, [...p.questions]);
}

function marginText(n: unknown): string {
  return typeof n === 'number' && n < 1e300 ? n.toLocaleString('en-US', { maximumFractionDigits: 2 }) : '0';
}

function whatIf(s: CpSimState, account: string | undefined, body: unknown): CpAnswer {
  if (account === undefined || !s.engine.accounts.has(account)) return fail(400, `accountId is not valid: ${account ?? ''}`);
  const tickets = parseTickets(body);
  if (typeof tickets === 'string') return fail(400, tickets);
  const t = tickets[0] as CpTicket;
  const orderId = s.engine.nextValidId(s.clientId);
  const events = capture(s, () => s.engine.placeOrder(s.clientId, orderId, { conId: t.conid }, { ...toWire(t, account), whatIf: true, transmit: true }));
  const err = events.find((e) => e.kind === 'orderError' && e.orderId === orderId);
  if (err?.kind === 'orderError') return ok({ error: err.message, warn: null });
  const w = events.find((e) => e.kind === 'whatIf');
  const st = (w?.kind === 'whatIf' ? w.state : { status: 'PreSubmitted' }) as WireOrderState;
  const v = (x: unknown): number => {
    const n = typeof x === 'string' ? Number(x) : typeof x === 'number' ? x : NaN;
    return Number.isFinite(n) && n < 1e300 ? n : 0;
  };
  const part = (b: unknown, c: unknown, a: unknown): unknown => ({ current: marginText(v(b)), change: marginText(v(c)), after: marginText(v(a)) });
  return ok({
    amount: { amount: `${t.quantity}`, commission: `${marginText(v(st.commission))} ${st.commissionCurrency ?? 'USD'}`, total: '' },
    equity: part(st.equityWithLoanBefore, st.equityWithLoanChange, st.equityWithLoanAfter),
    initial: part(st.initMarginBefore, st.initMarginChange, st.initMarginAfter),
    maintenance: part(st.maintMarginBefore, st.maintMarginChange, st.maintMarginAfter),
    warn: st.warningText || null, error: null,
  });
}

function byPermId(s: CpSimState, id: number): SimOrder | undefined {
  for (const o of s.engine.orders.values()) if (o.permId === id) return o;
  return undefined;
}

function cancel(s: CpSimState, account: string | undefined, orderIdText: string | undefined): CpAnswer {
  s.pending = undefined;
  const id = Number(orderIdText);
  const targets = id === -1
    ? [...s.engine.orders.values()].filter((o) => o.account === account && isOpen(o))
    : [byPermId(s, id)].filter((o): o is SimOrder => o !== undefined && o.account === account);
  if (targets.length === 0) return ok({ error: `OrderID ${orderIdText ?? ''} doesn't exist` });
  const events = capture(s, () => targets.forEach((o) => s.engine.cancelOrder(o.clientId, o.orderId)));
  const err = events.find((e) => e.kind === 'orderError' && e.code !== 202);
  if (err?.kind === 'orderError') return ok({ error: err.message });
  return ok({ msg: 'Request was submitted', order_id: id, conid: targets[0]?.instrument.conId ?? -1, account: account ?? null });
}

function liveOrders(s: CpSimState, q: URLSearchParams): CpAnswer {
  if (q.get('force') === 'true' || !s.session.ordersPreflighted) {
    s.session.ordersPreflighted = true;
    return ok({ orders: [], snapshot: false });
  }
  const account = q.get('accountId') ?? s.session.selectedAccount;
  const filters = (q.get('filters') ?? '').split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
  const orders = [...s.engine.orders.values()]
    .filter((o) => o.account === account && !o.ackDropped)
    .filter((o) => filters.length === 0 || filters.includes(o.status.toLowerCase()))
    .map(liveOrderView);
  return ok({ orders, snapshot: true });
}

function trades(s: CpSimState, q: URLSearchParams): CpAnswer {
  const days = Math.min(Math.max(Number(q.get('days') ?? '1') || 1, 1), 7);
  const since = s.engine.now() - days * 86_400_000;
  const account = q.get('accountId');
  return ok(s.engine.executions.filter((e) => e.time >= since && (account === null || e.account === account)).map(tradeView));
}

function status(s: CpSimState, idText: string | undefined): CpAnswer {
  const o = byPermId(s, Number(idText));
  if (!o) return fail(503, `order ${idText ?? ''} not found in this session`);
  const v = liveOrderView(o);
  return ok({
    order_id: o.permId, order_status: o.status, conid: o.instrument.conId, symbol: o.instrument.symbol, side: o.action === 'BUY' ? 'B' : 'S',
    total_size: String(o.totalQuantity), cum_fill: String(o.filled), filled_quantity: o.filled, remaining_quantity: v['remainingQuantity'],
    avg_fill_price: v['avgPrice'], order_type: o.orderType, limit_price: v['price'], tif: o.tif, account: o.account,
  });
}

/** The order routes. */
export const orderRoutes: readonly CpRoute[] = [
  { method: 'POST', pattern: /^\/iserver\/account\/([^/]+)\/orders$/, tier: 'brokerage', primed: true, handle: (s, r) => place(s, r.params[0], r.body) },
  { method: 'POST', pattern: /^\/iserver\/account\/([^/]+)\/orders\/whatif$/, tier: 'brokerage', primed: true, handle: (s, r) => whatIf(s, r.params[0], r.body) },
  { method: 'POST', pattern: /^\/iserver\/reply\/([^/]+)$/, tier: 'brokerage', primed: true, handle: (s, r) => reply(s, r.params[0], r.body) },
  { method: 'DELETE', pattern: /^\/iserver\/account\/([^/]+)\/order\/(-?\d+)$/, tier: 'brokerage', primed: true, handle: (s, r) => cancel(s, r.params[0], r.params[1]) },
  { method: 'GET', pattern: /^\/iserver\/account\/orders$/, tier: 'brokerage', primed: true, handle: (s, r) => liveOrders(s, r.query) },
  { method: 'GET', pattern: /^\/iserver\/account\/order\/status\/(\d+)$/, tier: 'brokerage', primed: true, handle: (s, r) => status(s, r.params[0]) },
  { method: 'GET', pattern: /^\/iserver\/account\/trades$/, tier: 'brokerage', primed: true, handle: (s, r) => trades(s, r.query) },
];
