/** The domain types the Client Portal adapter produces (re-exported so the mapping reads as one file). */
export type { BrokerOrderStatus, FillReport, OrderReport } from '../execution/broker-port.js';
export type { PositionSnapshot } from '../domain/types.js';
