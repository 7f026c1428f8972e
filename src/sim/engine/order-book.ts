/**
 * Order intake as TWS does it: order ids per client (103 for a reused or lower id), modify by placing an
 * open order's id again, 200 for an unknown contract, 201 rejects (own checks and the reject-next fault),
 * what-if answers, held (transmit=false) orders, bracket transmission, cancel (202, 10147, 10148) and
 * global cancel. Faults: `dropAcks` (orders live but never acked), `rejectNext`, and `duplicateNext` (the
 * next order is also booked a second time, as IB can after a modify during 1100: same client, account
 * and orderRef, a new permId and a negative order id — IB's ids for orders the API did not number).
 */
import { Decimal } from '../../domain/types.js';
import type { WireContract, WireOrder } from '../wire/messages.js';
import { checkOrder } from './checks.js';
import { orderKey, type EngineContext } from './context.js';
import { ack, activate, cancelOrderInternal, childrenOf, evaluate, parentOf } from './fill-engine.js';
import type { SimInstrument } from './instruments.js';
import { parseOrder, type ParsedOrder } from './order-intake.js';
import { isOpen, type SimOrder } from './orders.js';
import { whatIfState } from './what-if.js';

/** Resolved contract echoed in OPEN_ORDER: the client's fields with the instrument's filled in. */
export function contractOf(ins: SimInstrument, asked?: WireContract): WireContract {
  return {
    conId: ins.conId, symbol: ins.symbol, secType: ins.secType,
    lastTradeDateOrContractMonth: ins.lastTradeDateOrContractMonth || undefined,
    strike: ins.strike, right: ins.right || undefined, multiplier: ins.multiplierText || undefined,
    exchange: asked?.exchange || ins.exchange, primaryExch: ins.primaryExchange || undefined,
    currency: ins.currency, localSymbol: ins.localSymbol, tradingClass: ins.tradingClass,
  };
}

/** TWS's answer to an order or cancel while "Read-Only API" is set. */
export const READ_ONLY_TEXT = "Error validating request.-'bP' : cause - The API interface is currently in Read-Only mode.";

/** Places, modifies and cancels orders; owns order-id bookkeeping and the order faults. */
export class OrderBook {
  /** per client: highest order id ever used (for 103) */
  private readonly highest = new Map<number, number>();
  /** per client: highest id since the last restart with rollback (for NEXT_VALID_ID) */
  private readonly hint = new Map<number, number>();
  private nextGlobal: number;
  private nextPermId: number;
  private dropAcks = 0;
  private rejectNext: { code: number; message: string; skip: number } | undefined;
  private duplicateNext = false;
  private nextDuplicateId = -1;
  /** read-only-api fault: every order and cancel is answered 321 */
  private readOnly = false;

  constructor(private readonly ctx: EngineContext, private readonly firstOrderId: number, permIdBase: number) {
    this.nextGlobal = firstOrderId;
    this.nextPermId = permIdBase;
  }

  /** NEXT_VALID_ID for a client: max of its own ids + 1 and the global counter. */
  nextValidId(clientId: number): number {
    return Math.max(this.nextGlobal, (this.hint.get(clientId) ?? 0) + 1);
  }

  /** Fault: accept the next `n` orders without any OPEN_ORDER / ORDER_STATUS. */
  setDropAcks(n: number): void {
    this.dropAcks = n;
  }

  /** Fault: reject the next order (after letting `skip` orders through) with this code and text. */
  setRejectNext(code: number, message: string, skip = 0): void {
    this.rejectNext = { code, message, skip };
  }

  /** Fault: book the next real order twice (the copy under a new permId and a negative order id). */
  setDuplicateNext(): void {
    this.duplicateNext = true;
  }

  /** Fault: the API is in read-only mode (TWS "Read-Only API" ticked): orders and cancels get 321. */
  setReadOnly(on: boolean): void {
    this.readOnly = on;
  }

  /** Gateway restart: with `rollback`, NEXT_VALID_ID falls back to the fixture's first id. */
  restart(rollback: boolean): void {
    if (!rollback) return;
    this.nextGlobal = this.firstOrderId;
    this.hint.clear();
  }

  private error(clientId: number, orderId: number, code: number, message: string): void {
    this.ctx.emit({ kind: 'orderError', clientId, orderId, code, message });
  }

  private useId(clientId: number, orderId: number): void {
    this.highest.set(clientId, Math.max(this.highest.get(clientId) ?? 0, orderId));
    this.hint.set(clientId, Math.max(this.hint.get(clientId) ?? 0, orderId));
    this.nextGlobal = Math.max(this.nextGlobal, orderId + 1);
  }

  /** PLACE_ORDER. Never throws for bad input: every problem becomes an error event. */
  place(clientId: number, orderId: number, contract: WireContract, w: WireOrder): void {
    if (this.readOnly) return this.error(clientId, orderId, 321, READ_ONLY_TEXT);
    const existing = this.ctx.orders.get(orderKey(clientId, orderId));
    if (existing && isOpen(existing)) return this.modify(existing, w);
    if (existing || orderId <= (this.highest.get(clientId) ?? 0) || orderId <= 0) {
      return this.error(clientId, orderId, 103, 'Duplicate order id');
    }
    if (!w.whatIf) this.useId(clientId, orderId);
    // the reject-next fault is for the next real order: a what-if probe does not use it up
    if (this.rejectNext && !w.whatIf) {
      const r = this.rejectNext;
      if (r.skip > 0) this.rejectNext = { ...r, skip: r.skip - 1 };
      else {
        this.rejectNext = undefined;
        return this.error(clientId, orderId, r.code, r.message);
      }
    }
    const ins = this.ctx.instruments.resolve(contract);
    if (!ins) return this.error(clientId, orderId, 200, 'No security definition has been found for the request');
    const parsed = parseOrder(w, this.ctx.accounts);
    if (typeof parsed === 'string') return this.error(clientId, orderId, 201, `Order rejected - reason:${parsed}`);
    const reason = checkOrder({ ...parsed, instrument: ins, clientId, parentId: w.parentId ?? 0, ocaGroup: w.ocaGroup ?? '' }, this.ctx.orders.values(), this.ctx.market, this.ctx.instruments);
    if (reason) return this.error(clientId, orderId, 201, `Order rejected - reason:${reason}`);
    if (w.whatIf) {
      const state = whatIfState(this.ctx, parsed, ins);
      this.ctx.emit({ kind: 'whatIf', clientId, orderId, contract: contractOf(ins, contract), wire: { ...w, account: parsed.account.id }, state });
      return;
    }
    const o = this.create(clientId, orderId, ins, contract, w, parsed);
    this.ctx.orders.set(orderKey(clientId, orderId), o);
    if (w.transmit) {
      o.transmitted = true;
      const parent = parentOf(this.ctx, o);
      if (!parent || parent.status === 'Filled') o.status = 'Submitted';
    }
    ack(this.ctx, o);
    if (w.transmit) this.transmit(o);
    this.afterChange(o);
    if (this.duplicateNext) {
      this.duplicateNext = false;
      this.bookDuplicate(o);
    }
  }

  /** The duplicate-next fault: a second live order with the same orderRef, acked like the first. */
  private bookDuplicate(o: SimOrder): void {
    const copy: SimOrder = { ...o, orderId: this.nextDuplicateId--, permId: this.nextPermId++, status: o.transmitted ? 'Submitted' : 'PreSubmitted',
      filled: 0, filledValue: new Decimal(0), lastFillPrice: new Decimal(0), triggered: false, createdAt: this.ctx.now(), completedAt: undefined, completedStatus: '' };
    this.ctx.orders.set(orderKey(copy.clientId, copy.orderId), copy);
    ack(this.ctx, copy);
    if (copy.transmitted) activate(this.ctx, copy);
    this.afterChange(copy);
  }

  private create(clientId: number, orderId: number, ins: SimInstrument, contract: WireContract, w: WireOrder, p: ParsedOrder): SimOrder {
    const ackDropped = this.dropAcks > 0;
    if (ackDropped) this.dropAcks--;
    return {
      clientId, orderId, permId: this.nextPermId++, instrument: ins, contract: contractOf(ins, contract),
      wire: { ...w, account: p.account.id }, account: p.account.id, action: p.action, totalQuantity: p.quantity,
      orderType: p.orderType, lmtPrice: p.lmtPrice, auxPrice: p.auxPrice, trailingPercent: p.trailingPercent,
      trailStopPrice: p.trailStopPrice, tif: (w.tif || 'DAY').toUpperCase(), ocaGroup: w.ocaGroup ?? '',
      orderRef: w.orderRef ?? '', parentId: w.parentId ?? 0, transmitted: false, status: 'PreSubmitted',
      filled: 0, filledValue: new Decimal(0), lastFillPrice: new Decimal(0), triggered: false, ackDropped,
      createdAt: this.ctx.now(), completedAt: undefined, completedStatus: '',
    };
  }

  /** Transmits an order's whole bracket family (parent, siblings) and activates what may work. */
  private transmit(o: SimOrder): void {
    const root = parentOf(this.ctx, o) ?? o;
    const family = [root, ...childrenOf(this.ctx, root)];
    for (const m of family) if (isOpen(m)) m.transmitted = true;
    for (const m of family) activate(this.ctx, m);
  }

  private afterChange(o: SimOrder): void {
    evaluate(this.ctx, new Set([o.instrument.conId]));
    if (isOpen(o) && o.status === 'Submitted' && o.tif === 'IOC') cancelOrderInternal(this.ctx, o, 'IOC order not filled');
  }

  /** Modify: an open order placed again with the same id; quantity, prices, tif and transmit may change. */
  private modify(o: SimOrder, w: WireOrder): void {
    const parsed = parseOrder({ ...w, account: w.account || o.account }, this.ctx.accounts);
    if (typeof parsed === 'string') return this.error(o.clientId, o.orderId, 201, `Order rejected - reason:${parsed}`);
    if (parsed.quantity < o.filled) {
      return this.error(o.clientId, o.orderId, 201, `Order rejected - reason:The new quantity ${parsed.quantity} is below the filled quantity ${o.filled}`);
    }
    const reason = checkOrder({ ...parsed, instrument: o.instrument, replacing: o, clientId: o.clientId, parentId: o.parentId, ocaGroup: w.ocaGroup ?? o.ocaGroup }, this.ctx.orders.values(), this.ctx.market, this.ctx.instruments);
    if (reason) return this.error(o.clientId, o.orderId, 201, `Order rejected - reason:${reason}`);
    Object.assign(o, {
      wire: { ...w, account: o.account }, totalQuantity: parsed.quantity, orderType: parsed.orderType,
      lmtPrice: parsed.lmtPrice, auxPrice: parsed.auxPrice, trailingPercent: parsed.trailingPercent,
      tif: (w.tif || o.tif).toUpperCase(), orderRef: w.orderRef || o.orderRef, ocaGroup: w.ocaGroup ?? o.ocaGroup,
    });
    ack(this.ctx, o);
    if (w.transmit && !o.transmitted) this.transmit(o);
    this.afterChange(o);
  }

  /** CANCEL_ORDER from a client: 202 on success, 10147 when unknown, 10148 when already done. */
  cancel(clientId: number, orderId: number): void {
    if (this.readOnly) return this.error(clientId, orderId, 321, READ_ONLY_TEXT);
    const o = this.ctx.orders.get(orderKey(clientId, orderId));
    if (!o) return this.error(clientId, orderId, 10147, `OrderId ${orderId} that needs to be cancelled is not found.`);
    if (!isOpen(o)) {
      return this.error(clientId, orderId, 10148, `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${o.status}.`);
    }
    cancelOrderInternal(this.ctx, o);
  }

  /** REQ_GLOBAL_CANCEL: cancels every open order of every client. */
  globalCancel(): void {
    for (const o of [...this.ctx.orders.values()]) if (isOpen(o)) cancelOrderInternal(this.ctx, o, 'Global Cancel');
  }
}
