/**
 * The state shared by the engine's parts (order book, fill engine): one object, owned by `SimEngine`.
 */
import type { SimAccount } from './accounts.js';
import type { ResolvedCommission } from './commission.js';
import type { SimEvent } from './events.js';
import type { SimExecution } from './executions.js';
import type { InstrumentRegistry } from './instruments.js';
import type { Market } from './market.js';
import type { SimOrder } from './orders.js';

/** Mutable engine state plus the emit/time hooks. */
export interface EngineContext {
  readonly instruments: InstrumentRegistry;
  readonly market: Market;
  readonly accounts: Map<string, SimAccount>;
  /** keyed by `orderKey(clientId, orderId)`, insertion order = placement order */
  readonly orders: Map<string, SimOrder>;
  readonly executions: SimExecution[];
  readonly commission: ResolvedCommission;
  readonly maxFillQuantity: number | undefined;
  now(): number;
  emit(e: SimEvent): void;
  newExecId(): string;
}

/** The map key of an order. */
export const orderKey = (clientId: number, orderId: number): string => `${clientId}:${orderId}`;
