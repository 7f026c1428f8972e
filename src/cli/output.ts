/**
 * CLI output helpers: human tables by default, JSON with --json, and one-sentence errors with exit codes
 * (0 success, 1 failure, 2 bad usage or configuration). Shared by every command.
 */

/** An error meant for the user: printed as one sentence, never with a stack trace (unless --verbose). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export type Cell = string | number | boolean | undefined | null | { toString(): string };

/** Renders rows as an aligned text table with a header line. Numbers are right-aligned. */
export function formatTable(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => columns.map((_, i) => cellText(r[i])));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => isNumeric(r[i])));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

function cellText(c: Cell): string {
  if (c === undefined || c === null) return '';
  if (typeof c === 'boolean') return c ? 'yes' : 'no';
  return String(c);
}

function isNumeric(c: Cell): boolean {
  if (c === undefined || c === null || c === '') return true;
  if (typeof c === 'number') return true;
  return typeof c === 'object' && /^-?\d+(\.\d+)?$/.test(String(c));
}

/** Prints JSON (machine output) on stdout; Decimal values serialize as strings via their toJSON. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Reports an error to stderr in one clear sentence and returns the exit code to use. */
export function reportError(e: unknown, verbose: boolean): number {
  if (e instanceof CliError) {
    process.stderr.write(`ibkr-exec: ${e.message}\n`);
    if (verbose && e.stack) process.stderr.write(e.stack + '\n');
    return e.exitCode;
  }
  const err = e as { name?: string; message?: string; errors?: unknown; stack?: string };
  if (err?.name === 'ConfigError') {
    const list = Array.isArray(err.errors) ? (err.errors as string[]) : [];
    process.stderr.write(`ibkr-exec: invalid configuration: ${err.message ?? ''}\n`);
    for (const line of list) process.stderr.write(`  - ${line}\n`);
    return 2;
  }
  process.stderr.write(`ibkr-exec: ${err?.message ?? String(e)}\n`);
  if (verbose && err?.stack) process.stderr.write(err.stack + '\n');
  return 1;
}
