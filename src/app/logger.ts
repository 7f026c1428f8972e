/**
 * Operational logs (pino), never the audit trail: audit records go to the `ibkr:audit` stream.
 * Secrets and account numbers are redacted at the logger, so no call site can leak them by mistake.
 */
import { pino, destination, type Logger } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'redis.password',
  'url',
  '*.url',
  'key',
  '*.key',
  'controlKey',
  '*.controlKey',
  'auditKey',
  '*.auditKey',
];

/** Keeps the last four characters of an account id: DU1000001 → *****0001. */
export function maskAccountId(id: string): string {
  return id.length <= 4 ? id : '*'.repeat(id.length - 4) + id.slice(-4);
}

export interface LoggerOptions {
  readonly level?: string;
  /** write to stderr (CLI commands keep stdout for their output) */
  readonly stderr?: boolean;
  /** silence everything (tests, demo) */
  readonly silent?: boolean;
}

/** The daemon's logger: JSON lines, secrets and credential-bearing URLs redacted. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.silent ? 'silent' : (opts.level ?? 'info');
  return pino(
    { level, base: { app: 'ibkr-exec' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    opts.stderr ? destination(2) : destination(1),
  );
}
