/**
 * Anchors the audit head outside Redis: after each append batch the newest head (seq, hash) is written to
 * the state directory with the Redis epoch it belongs to. Appends only mark the head; one write per
 * event-loop turn carries the latest (a burst of appends costs one small file write). `flush()` writes
 * synchronously (shutdown). A failing write is reported once per streak and retried with the next append:
 * the chain itself stays in Redis, only truncation detection lags.
 */
import type { Head } from './audit.js';
import type { StateDir } from './state-dir.js';

export class AuditAnchor {
  private pending: Head | undefined;
  private scheduled = false;
  private failing = false;

  constructor(
    private readonly dir: StateDir,
    private epoch: string,
    private readonly clock: { now(): number },
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  /** The epoch the next anchors are written under (changes after a loss of Redis state). */
  setEpoch(epoch: string): void {
    this.epoch = epoch;
  }

  /** Mark `head` as the newest; written on the next turn of the event loop. */
  note = (head: Head): void => {
    this.pending = head;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  };

  /** Write the newest marked head now (no-op when none is pending). */
  flush(): void {
    const h = this.pending;
    if (h === undefined) return;
    try {
      this.dir.writeAnchor({ epoch: this.epoch, seq: h.seq, hash: h.hash, ts: new Date(this.clock.now()).toISOString() });
      if (this.pending === h) this.pending = undefined;
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.onError(e);
      this.failing = true;
    }
  }
}
