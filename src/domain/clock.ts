/** Time is injected: core code never calls Date.now(). */
export interface Clock {
  now(): number;
}

// the one place that reads the wall clock
// eslint-disable-next-line no-restricted-properties
export const systemClock: Clock = { now: () => Date.now() };

/** A clock for tests and simulations: moves only when told. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
