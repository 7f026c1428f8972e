/**
 * The priority queue in front of the socket. Every outbound IB message of the session goes through
 * `submit()`: one `OutboundLimiter` budget for all of them, orders (and the liveness probe) before data
 * requests, FIFO inside a priority (so a bracket's legs and increasing order ids keep their order).
 *
 * @stoqey/ib has its own limiter; the session creates IBApi with a much higher `maxReqPerSec` so this
 * pacer is the binding one. A task is executed synchronously when its turn comes (the IBApi call writes
 * to the socket at once, because @stoqey/ib's command buffer is running once nextValidId arrived).
 *
 * Pitfall: when the session drops, `failAll()` rejects every queued task — a queued order must never be
 * sent on the next session (its id and its assumptions belong to the old one).
 */
import type { Clock } from '../domain/clock.js';
import { OutboundLimiter } from './pacing.js';

/** `control` (liveness probe, cancels of subscriptions) < `order` < `data`. Lower runs first. */
export type Priority = 'control' | 'order' | 'data';
const RANK: Readonly<Record<Priority, number>> = { control: 0, order: 1, data: 2 };

interface Task {
  readonly priority: Priority;
  readonly run: () => void;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  /** checked right before sending; a returned Error rejects the task instead */
  readonly gate?: () => Error | undefined;
}

/** Timer functions (injectable so unit tests drive time by hand). */
export interface PacerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: PacerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The priority queue + `OutboundLimiter` in front of the socket. */
export class Pacer {
  private readonly queues: Task[][] = [[], [], []];
  private readonly limiter: OutboundLimiter;
  private timer: unknown;
  private sentTotal = 0;

  constructor(
    private readonly clock: Clock,
    perSecond: number,
    private readonly timers: PacerTimers = realTimers,
  ) {
    this.limiter = new OutboundLimiter(clock.now(), { perSecond });
  }

  /** Queue one message; resolves once it was handed to the socket. */
  submit(priority: Priority, run: () => void, gate?: () => Error | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queues[RANK[priority]]!.push({ priority, run, resolve, reject, ...(gate ? { gate } : {}) });
      this.pump();
    });
  }

  /** Reject everything queued (session ended). */
  failAll(err: Error): void {
    for (const q of this.queues) for (const t of q.splice(0)) t.reject(err);
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Count a message @stoqey/ib sent by itself (START_API on connect) against the same budget. */
  recordExternal(): void {
    this.limiter.recordExternal(this.clock.now());
    this.sentTotal += 1;
  }

  /** Messages waiting. */
  pending(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** Messages sent since creation. */
  sent(): number {
    return this.sentTotal;
  }

  private next(): Task | undefined {
    for (const q of this.queues) if (q.length > 0) return q.shift();
    return undefined;
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    while (this.pending() > 0) {
      const now = this.clock.now();
      const wait = this.limiter.waitMs(now);
      if (wait > 0) {
        this.timer = this.timers.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const task = this.next()!;
      const blocked = task.gate?.();
      if (blocked) {
        task.reject(blocked);
        continue;
      }
      this.limiter.tryTake(now);
      this.sentTotal += 1;
      try {
        task.run();
        task.resolve();
      } catch (e) {
        task.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}
