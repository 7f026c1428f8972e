/**
 * Which tools a server offers. Read tools always; write tools (place_order, cancel_order, halt_trading)
 * only with `mcp.allowWrites` and never in read-only mode — they are then absent from tools/list, not
 * merely refused. `registerExtraTool` adds a tool to every server created afterwards (a plugin's own).
 */
import type { McpContext } from './context.js';
import type { ToolDef } from './tool-def.js';
import { getAccountSummary, getConnectionStatus, getPortfolio, listAccounts, switchAccount } from './tools/account-tools.js';
import { getHistoricalData, getMarketData, searchContracts } from './tools/market-tools.js';
import { getOptionChain } from './tools/option-tools.js';
import { cancelOrder, haltTrading, placeOrder, previewOrder } from './tools/order-tools.js';
import { checkShortableShares, getBorrowRates, getMarginRequirements, shortSellingAnalysis } from './tools/short-tools.js';
import { getAuditTrail, getFills, getOpenOrders, getOrderStatus, getTradingState, verifyAuditChain } from './tools/state-tools.js';

/** The tools every server offers (the seed's read tools, then the household's). */
export const READ_TOOLS: readonly ToolDef[] = [
  getPortfolio, getAccountSummary, switchAccount, getMarketData, getHistoricalData, checkShortableShares, getMarginRequirements,
  getBorrowRates, shortSellingAnalysis, getConnectionStatus, listAccounts, previewOrder, getOpenOrders, getFills, getOrderStatus,
  getTradingState, getAuditTrail, verifyAuditChain, searchContracts, getOptionChain,
] as unknown as readonly ToolDef[];

/** Tools that change something; see the module comment. */
export const WRITE_TOOLS: readonly ToolDef[] = [placeOrder, cancelOrder, haltTrading] as unknown as readonly ToolDef[];

const extra: ToolDef[] = [];

/** Adds a tool to every server created afterwards (a name already taken is an error). */
export function registerExtraTool(def: ToolDef): void {
  if ([...READ_TOOLS, ...WRITE_TOOLS, ...extra].some((t) => t.name === def.name)) throw new Error(`MCP tool ${def.name} is already registered`);
  extra.push(def);
}

/** MCP may change anything (writes enabled and not read-only). */
export const writesEnabled = (ctx: Pick<McpContext, 'config' | 'readOnly'>): boolean => ctx.config.mcp.allowWrites && !ctx.readOnly;

/** The tools of a server for this context. */
export function toolsFor(ctx: Pick<McpContext, 'config' | 'readOnly'>): ToolDef[] {
  const all = [...READ_TOOLS, ...extra.filter((t) => !t.write || writesEnabled(ctx))];
  return writesEnabled(ctx) ? [...all, ...WRITE_TOOLS] : all;
}
