/**
 * What the adapter knows of orders between gateway answers: orderId ↔ orderRef ↔ account, the last
 * status and filled quantity seen per order (to emit a change once), and the execIds already emitted
 * (fills once per execId per process). Live orders and trades are fetched per account, because an
 * unscoped query on a multi-account login can answer a false-empty list.
 */
import type { Subject } from 'rxjs';
import type { BrokerEvent, FillReport, OrderReport } from '../execution/broker-port.js';
import type { CpApi } from './cp-api.js';
import { cpFillReport, cpOrderReport } from './cp-mapping.js';

interface Known {
  readonly orderRef: string | undefined;
  readonly account: string;
  status: string;
  filled: number;
}

const TERMINAL = new Set(['FILLED', 'CANCELLED', 'INACTIVE']);

/** Order bookkeeping and the per-account fetches. */
export class CpBook {
  private readonly known = new Map<number, Known>();
  private readonly byRef = new Map<string, number>();
  private readonly seenExec = new Set<string>();
  /** shares of the fills emitted, per orderRef */
  private readonly fillShares = new Map<string, number>();

  constructor(private readonly api: CpApi, private readonly events$: Subject<BrokerEvent>, private readonly now: () => number) {}

  orderIdOf(ref: string): number | undefined {
    return this.byRef.get(ref);
  }

  accountOf(orderId: number): string | undefined {
    return this.known.get(orderId)?.account;
  }

  /** Accounts with an order that is still working, or whose fills we have not all seen yet. */
  busyAccounts(): string[] {
    const busy = (k: Known): boolean => !TERMINAL.has(k.status) || (k.filled > 0 && k.orderRef !== undefined && (this.fillShares.get(k.orderRef) ?? 0) < k.filled);
    return [...new Set([...this.known.values()].filter(busy).map((k) => k.account))];
  }

  /** Records an order and emits its status when it changed. */
  noteOrder(r: OrderReport): void {
    const k = this.known.get(r.orderId);
    if (r.orderRef) this.byRef.set(r.orderRef, r.orderId);
    if (k && k.status === r.status && k.filled === r.filled) return;
    this.known.set(r.orderId, { orderRef: r.orderRef, account: r.account, status: r.status, filled: r.filled });
    this.events$.next({
      type: 'orderStatus', ts: this.now(),
      update: { orderId: r.orderId, permId: r.orderId, ...(r.orderRef ? { orderRef: r.orderRef } : {}), account: r.account, status: r.status, filled: r.filled, remaining: r.remaining, ...(r.avgFillPrice ? { avgFillPrice: r.avgFillPrice } : {}) },
    });
  }

  /** Emits a fill once per execId (and its commission). */
  noteFill(f: FillReport): void {
    if (this.seenExec.has(f.execId)) return;
    this.seenExec.add(f.execId);
    if (f.orderRef) this.fillShares.set(f.orderRef, (this.fillShares.get(f.orderRef) ?? 0) + f.shares);
    this.events$.next({ type: 'fill', fill: f, ts: this.now() });
    if (f.commission) this.events$.next({ type: 'commission', execId: f.execId, commission: f.commission, currency: f.commissionCurrency ?? 'USD', ts: this.now() });
  }

  /** Live orders of one account (the session's first call is the gateway's pre-flight and is repeated). */
  async liveOrders(account: string): Promise<OrderReport[]> {
    const path = `/iserver/account/orders?accountId=${encodeURIComponent(account)}`;
    if (!this.api.session.ordersPreflighted) {
      await this.api.read(path);
      this.api.session.ordersPreflighted = true;
    }
    const body = await this.api.read<{ orders?: Record<string, unknown>[] }>(path);
    return (body.orders ?? []).map(cpOrderReport).filter((o) => o.account === account);
  }

  /** Trades (executions) of one account over the last `days` (1..7). */
  async trades(account: string, days: number): Promise<FillReport[]> {
    const rows = await this.api.read<Record<string, unknown>[]>(`/iserver/account/trades?days=${Math.min(7, Math.max(1, days))}&accountId=${encodeURIComponent(account)}`);
    return (Array.isArray(rows) ? rows : []).map((r) => cpFillReport(r, (ref) => this.byRef.get(ref))).filter((f) => f.account === account);
  }
}
