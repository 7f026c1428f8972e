/**
 * Liveness probe of one IB session: every `intervalMs` send `reqCurrentTime` and expect `currentTime`
 * within `timeoutMs`; otherwise call `onDead` once. Catches half-open sockets, which neither the OS nor
 * @stoqey/ib's own watchdog notice (it only reconnects sockets already known closed).
 *
 * One instance per session: `stop()` (on teardown) cancels every timer, so a probe of an old session can
 * never close a newer one.
 */
import type { EventEmitter } from 'node:events';
import { EventName } from '@stoqey/ib';

/** Probe period and answer deadline. */
export interface LivenessOptions {
  /** probe period; 0 disables */
  readonly intervalMs: number;
  /** answer deadline */
  readonly timeoutMs: number;
}

/** The probe of one session. */
export class LivenessProbe {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onTime = (): void => {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule();
  };

  constructor(
    private readonly o: LivenessOptions,
    private readonly hub: EventEmitter,
    /** sends reqCurrentTime through the paced queue */
    private readonly sendProbe: () => void,
    private readonly onDead: (reason: string) => void,
  ) {}

  start(): void {
    if (this.o.intervalMs > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.hub.off(EventName.currentTime, this.onTime);
  }

  private schedule(): void {
    this.hub.off(EventName.currentTime, this.onTime);
    this.timer = setTimeout(() => this.probe(), this.o.intervalMs);
  }

  private probe(): void {
    if (this.stopped) return;
    this.hub.once(EventName.currentTime, this.onTime);
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.stop();
      this.onDead(`liveness probe unanswered for ${this.o.timeoutMs} ms (half-open socket?)`);
    }, this.o.timeoutMs);
    this.sendProbe();
  }
}
