/**
 * The transport-independent shape of an MCP tool: a name, a strict zod input schema, a zod output schema,
 * annotations, and a handler over ports (`McpContext`) that returns the structured result. Nothing here
 * imports the MCP SDK: `server.ts` adapts these definitions to `McpServer.registerTool` (SDK 1.x), so a
 * move to the SDK's next major touches that one file.
 *
 * Conventions every tool follows:
 *  - input schemas are `z.strictObject` (an unknown key is an error, never silently dropped);
 *  - money and prices are decimal strings, quantities integers, times ISO-8601;
 *  - a refusal or a failure the user can act on throws `ToolError` with one sentence that says what to do;
 *    the adapter turns it into an `isError` tool result;
 *  - text that comes from the broker (contract names, reject reasons) is rendered marked as broker data.
 */
import type { z } from 'zod';
import { BrokerError, BrokerUnavailableError } from '../execution/broker-port.js';
import type { McpContext, McpSession } from './context.js';

/** Hints for hosts (never a security boundary: the daemon's rules are). */
export interface ToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** One tool, independent of the transport. */
export interface ToolDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly annotations: ToolAnnotations;
  /** a write tool: registered only with `mcp.allowWrites` and never in read-only mode */
  readonly write?: boolean;
  readonly handler: (args: z.output<I>, ctx: McpContext, session: McpSession) => Promise<z.input<O>>;
  /** the short text rendering of a result (default: compact JSON) */
  readonly render?: (out: z.output<O>) => string;
}

/** A refusal or failure with one sentence that says why and what to do; becomes an `isError` result. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/** Helper that keeps the input/output types of a definition tied together. */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(def: ToolDef<I, O>): ToolDef<I, O> {
  return def;
}

/** Marks a string that came from the broker, for text renderings (an assistant must treat it as data). */
export const brokerText = (s: string | null | undefined): string => (s ? `[broker data: ${JSON.stringify(s)}]` : '');

/** One sentence for a failed call: the ToolError's own, else what failed and what to do about it. */
export function errorSentence(tool: string, e: unknown): string {
  if (e instanceof ToolError) return e.message;
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof BrokerUnavailableError) return `${tool}: TWS / IB Gateway is not available (${msg}); start it or wait for the session to reconnect, then try again`;
  if (e instanceof BrokerError) return `${tool}: the broker refused the request ${brokerText(msg)}`;
  if (/max retries per request|Connection is closed|ECONNREFUSED|Stream isn't writeable|enableOfflineQueue/i.test(msg)) {
    return `${tool}: Redis is not reachable (${msg}); check that redis-server runs and REDIS_URL / redis.url points at it`;
  }
  return `${tool} failed: ${msg}`;
}
