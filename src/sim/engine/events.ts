/**
 * Events the engine emits; sessions translate them into wire messages for the clients they concern.
 * Routing: order events go to the sessions of `order.clientId`; account and price events go to every
 * session subscribed to that account or symbol. Events are emitted synchronously, in TWS order.
 */
import type { WireContract, WireOrder, WireOrderState } from '../wire/messages.js';
import type { SimExecution } from './executions.js';
import type { SimOrder } from './orders.js';

/** An event of the simulator engine. */
export type SimEvent =
  | { readonly kind: 'openOrder'; readonly order: SimOrder }
  | { readonly kind: 'orderStatus'; readonly order: SimOrder }
  | {
      readonly kind: 'whatIf';
      readonly clientId: number;
      readonly orderId: number;
      readonly contract: WireContract;
      readonly wire: WireOrder;
      readonly state: WireOrderState;
    }
  | { readonly kind: 'orderError'; readonly clientId: number; readonly orderId: number; readonly code: number; readonly message: string }
  | { readonly kind: 'execution'; readonly exec: SimExecution }
  | { readonly kind: 'commission'; readonly exec: SimExecution }
  | { readonly kind: 'accountChanged'; readonly account: string; readonly conId?: number }
  | { readonly kind: 'priceChanged'; readonly conId: number };

/** A subscriber to engine events. It must not throw (the engine catches and logs if it does). */
export type SimEventListener = (e: SimEvent) => void;
