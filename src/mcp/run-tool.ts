/**
 * Runs one tool definition against the ports and shapes its result, without any MCP SDK type: the
 * transport adapter (`server.ts`) only forwards this. A handler's result is made JSON-safe, checked
 * against the tool's output schema and rendered as text; a failure becomes an error result with one
 * sentence (never a stack trace).
 */
import type { McpContext, McpSession } from './context.js';
import { errorSentence, type ToolDef } from './tool-def.js';

/** A tool result in MCP terms (text content plus structured content, or an error). */
export interface ToolResult {
  readonly content: { readonly type: 'text'; readonly text: string }[];
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
  [key: string]: unknown;
}

/** Runs `def` with already validated `args`; see the module comment. */
export async function runTool(def: ToolDef, args: unknown, ctx: McpContext, session: McpSession): Promise<ToolResult> {
  try {
    const out = await def.handler(args as never, ctx, session);
    const structured = JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
    const parsed = def.output.parse(structured) as never;
    const text = def.render ? def.render(parsed) : JSON.stringify(structured);
    return { content: [{ type: 'text', text }], structuredContent: structured };
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: errorSentence(def.name, e) }] };
  }
}
