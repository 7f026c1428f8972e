/** A pino logger that keeps its records in memory, for tests that assert what the daemon logged. */
import { pino, type Logger } from 'pino';

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: { level: number; msg: string; [k: string]: unknown }[];
  /** the messages matching `re` */
  matching(re: RegExp): string[];
}

export function captureLogs(level = 'info'): CapturedLogs {
  const lines: CapturedLogs['lines'] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as CapturedLogs['lines'][number]) });
  return { logger, lines, matching: (re) => lines.map((l) => l.msg).filter((m) => re.test(m)) };
}
