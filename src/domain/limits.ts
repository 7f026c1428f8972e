/**
 * Which configured limit applies to an order. Pure.
 */
import type { Decimal, RiskLimits, SecType } from './types.js';

/** The per-order notional limit for a secType: `maxOrderNotionalBySecType[secType]`, else `maxOrderNotional`. */
export function orderNotionalLimit(limits: RiskLimits, secType: SecType): { readonly limit: Decimal; readonly name: string } {
  const override = limits.maxOrderNotionalBySecType?.[secType];
  return override ? { limit: override, name: `limits.maxOrderNotionalBySecType.${secType}` } : { limit: limits.maxOrderNotional, name: 'limits.maxOrderNotional' };
}
