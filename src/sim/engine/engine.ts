/**
 * The simulator engine: accounts, market, orders, executions and faults, free of sockets and timers.
 * Time and randomness are injected (`now`, `seed`); every change is announced as a `SimEvent`.
 * The server calls `step()` for the random walk; admin calls `setPrice`, `closeAuction`, `settle`.
 */
import { Decimal } from '../../domain/types.js';
import { resolveFixture } from '../fixture/load-fixture.js';
import type { Fixture } from '../fixture/schema.js';
import type { WireContract, WireOrder } from '../wire/messages.js';
import { createAccounts, type SimAccount } from './accounts.js';
import { resolveCommission } from './commission.js';
import type { EngineContext } from './context.js';
import type { SimEvent, SimEventListener } from './events.js';
import { execIdFactory, type SimExecution } from './executions.js';
import { cancelOrderInternal, evaluate } from './fill-engine.js';
import { InstrumentRegistry, type SimInstrument } from './instruments.js';
import { Market } from './market.js';
import { OrderBook } from './order-book.js';
import { isOpen, type SimOrder } from './orders.js';
import { hashString, mulberry32 } from './prng.js';
import { StatsRegistry } from './stats.js';

/** Options of `new SimEngine`. */
export interface SimEngineOptions {
  readonly fixture?: Fixture | undefined;
  /** PRNG seed (default 1) */
  readonly seed?: number | undefined;
  /** clock (default Date.now) */
  readonly now?: (() => number) | undefined;
  readonly logger?: ((line: string) => void) | undefined;
}

/** The simulated broker: everything a TWS session needs, without any I/O. */
export class SimEngine {
  readonly instruments: InstrumentRegistry;
  readonly market: Market;
  readonly accounts: Map<string, SimAccount>;
  readonly orders = new Map<string, SimOrder>();
  readonly executions: SimExecution[] = [];
  readonly stats = new StatsRegistry();
  readonly seed: number;
  /** highest server version to negotiate (fixture `serverVersion`, default 193) */
  readonly serverVersion: number | undefined;
  readonly now: () => number;
  private readonly listeners = new Set<SimEventListener>();
  private readonly book: OrderBook;
  private readonly ctx: EngineContext;
  private readonly log: (line: string) => void;

  constructor(opts: SimEngineOptions = {}) {
    this.now = opts.now ?? Date.now;
    const fx = resolveFixture(opts.fixture, this.now());
    this.seed = opts.seed ?? 1;
    this.log = opts.logger ?? (() => undefined);
    this.serverVersion = fx.serverVersion;
    this.instruments = new InstrumentRegistry(fx.instruments, this.now());
    this.market = new Market(this.instruments, mulberry32(this.seed), this.now);
    this.accounts = new Map(createAccounts(fx.accounts, this.instruments).map((a) => [a.id, a]));
    const execId = execIdFactory(hashString(`exec|${this.seed}`));
    let execSeq = 0;
    this.ctx = {
      instruments: this.instruments, market: this.market, accounts: this.accounts, orders: this.orders,
      executions: this.executions, commission: resolveCommission(fx.commission),
      maxFillQuantity: fx.fillPolicy?.maxFillQuantity, now: this.now,
      emit: (e) => this.emit(e), newExecId: () => execId(++execSeq),
    };
    this.book = new OrderBook(this.ctx, fx.nextOrderId, 1_000_000_000 + (hashString(`perm|${this.seed}`) % 100_000_000));
  }

  /** Subscribes to engine events; returns the unsubscribe function. */
  subscribe(listener: SimEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: SimEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.log(`sim: event listener failed on ${e.kind}: ${(err as Error).message}`);
      }
    }
  }

  /** Account ids in fixture order (MANAGED_ACCTS). */
  accountIds(): string[] {
    return [...this.accounts.keys()];
  }

  /** NEXT_VALID_ID for a client. */
  nextValidId(clientId: number): number {
    return this.book.nextValidId(clientId);
  }

  /** PLACE_ORDER (new, modify, or what-if). */
  placeOrder(clientId: number, orderId: number, contract: WireContract, order: WireOrder): void {
    this.book.place(clientId, orderId, contract, order);
  }

  /** CANCEL_ORDER. */
  cancelOrder(clientId: number, orderId: number): void {
    this.book.cancel(clientId, orderId);
  }

  /** REQ_GLOBAL_CANCEL. */
  globalCancel(): void {
    this.book.globalCancel();
  }

  /** The instrument a conId names, or a symbol (the stock, or the only instrument of that symbol); undefined when unknown or ambiguous. */
  instrument(key: string | number): SimInstrument | undefined {
    return typeof key === 'number' ? this.instruments.byConId(key) : this.instruments.bySymbol(key);
  }

  /**
   * Sets a last price (admin POST /price) and runs the fill engine; false for an unknown or ambiguous
   * key. An underlying's options are repriced with it; an option's own price holds until its underlying moves.
   */
  setPrice(key: string | number, price: number | Decimal): boolean {
    const ins = this.instrument(key);
    if (!ins) return false;
    this.priceMoved(this.market.move(ins, new Decimal(price)));
    return true;
  }

  /** One random-walk step (the server calls this every tickIntervalMs). */
  step(stepsPerDay = 23_400): void {
    this.priceMoved(this.market.step(stepsPerDay));
  }

  private priceMoved(changed: SimInstrument[]): void {
    if (changed.length === 0) return;
    for (const i of changed) this.emit({ kind: 'priceChanged', conId: i.conId });
    evaluate(this.ctx, new Set(changed.map((i) => i.conId)));
  }

  /** The closing auction: MOC fills at last, LOC fills if its limit allows, else it is cancelled. */
  closeAuction(): void {
    evaluate(this.ctx, undefined, true);
  }

  /** Settles all sale proceeds in every account (settled cash = cash). */
  settle(): void {
    for (const a of this.accounts.values()) {
      a.settle();
      this.emit({ kind: 'accountChanged', account: a.id });
    }
  }

  /** A new trading day: open DAY orders expire (Cancelled), the last price becomes the close, all cash settles. */
  newDay(): void {
    for (const o of [...this.orders.values()]) {
      if (isOpen(o) && o.tif === 'DAY') cancelOrderInternal(this.ctx, o, 'Order expired (DAY)');
    }
    this.market.rollDay();
    this.settle();
  }

  /** Fault: the next `count` orders get no OPEN_ORDER / ORDER_STATUS. */
  dropAcks(count: number): void {
    this.book.setDropAcks(count);
  }

  /** Fault: the next order (after `skip` more, e.g. 1 = a bracket's first child) is rejected with this code and text. */
  rejectNext(code: number, message: string, skip = 0): void {
    this.book.setRejectNext(code, message, skip);
  }

  /** Fault: the next order is also booked a second time under a new permId (CONTRACT §7 duplicate-next). */
  duplicateNext(): void {
    this.book.setDuplicateNext();
  }

  /** Fault: read-only API on/off (orders and cancels answered error 321). */
  setReadOnlyApi(on: boolean): void {
    this.book.setReadOnly(on);
  }

  /** Gateway restart (orders and executions kept); with `rollbackOrderIds` NEXT_VALID_ID drops back. */
  restart(rollbackOrderIds: boolean): void {
    this.book.restart(rollbackOrderIds);
  }
}
