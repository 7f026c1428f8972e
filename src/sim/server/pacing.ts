/**
 * Message pacing as TWS enforces it: a sliding one-second window per connection. In 'reject' mode a
 * message above the limit is answered with error 100 and dropped, and the third violation closes the
 * connection; in 'pace' mode messages above the limit wait until the window has room.
 */
import type { ConnectionStats } from '../engine/stats.js';

/** Pacing behaviour. */
export type PacingMode = 'reject' | 'pace';

/** What to do with one received message. */
export type PacingVerdict = { readonly kind: 'process' } | { readonly kind: 'reject'; readonly count: number; readonly violations: number } | { readonly kind: 'wait'; readonly ms: number };

/** Counts a connection's messages per sliding second and decides on each one. */
export class PacingMeter {
  private readonly received: number[] = [];
  private readonly processed: number[] = [];

  constructor(
    private readonly stats: ConnectionStats,
    private mode: PacingMode,
    private readonly max: number,
  ) {}

  private static trim(list: number[], now: number): void {
    while (list.length > 0 && (list[0] ?? 0) <= now - 1000) list.shift();
  }

  /** Switches to 'pace' (a client that asked for it with the "+PACEAPI" connect option). */
  usePacing(): void {
    this.mode = 'pace';
  }

  /** Records a newly received message (stats) and returns the verdict for it. */
  receive(now: number): PacingVerdict {
    PacingMeter.trim(this.received, now);
    this.received.push(now);
    const count = this.received.length;
    this.stats.messages++;
    this.stats.currentPerSecond = count;
    this.stats.maxPerSecond = Math.max(this.stats.maxPerSecond, count);
    if (this.mode === 'pace') return this.nextSlot(now);
    if (count > this.max) {
      this.stats.violations++;
      return { kind: 'reject', count, violations: this.stats.violations };
    }
    return { kind: 'process' };
  }

  /** 'pace' mode: whether a queued message may run now, else how long to wait. */
  nextSlot(now: number): PacingVerdict {
    PacingMeter.trim(this.processed, now);
    if (this.processed.length < this.max) return { kind: 'process' };
    return { kind: 'wait', ms: Math.max((this.processed[0] ?? now) + 1000 - now, 1) };
  }

  /** 'pace' mode: marks a message as processed now. */
  markProcessed(now: number): void {
    this.processed.push(now);
  }
}

/** The TWS text of error 100. */
export function pacingErrorText(max: number, count: number, violation: number): string {
  return `Max rate of messages per second has been exceeded:max=${max} rec=${count} (${violation})`;
}
