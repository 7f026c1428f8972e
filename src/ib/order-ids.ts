/**
 * Order-id allocation. IB requires every new order id to be greater than every id this client used
 * before — across TWS sessions, gateway restarts and our own restarts (error 103 otherwise). We keep the
 * highest id used in a persistent store (Redis in production) and allocate
 * `max(nextValidId, highestUsed + 1)`, so an id never goes backwards even when the gateway's
 * `nextValidId` is rolled back (detected and reported through `onRollback`).
 *
 * The allocator is not a mutex: the caller (`IbBroker.placeOrders`) holds one lock across allocate + send
 * so that a lower id can never reach the socket after a higher one.
 */

/**
 * Persistent high-water mark of used order ids. `reserve(min, count)` atomically picks
 * `first = max(min, highest + 1)`, stores `first + count - 1` as the new highest and returns `first`.
 */
export interface OrderIdStore {
  reserve(min: number, count: number): Promise<number>;
}

/** In-memory store for unit tests and the CLI (which never places orders). */
export class InMemoryOrderIdStore implements OrderIdStore {
  constructor(private highest = 0) {}
  reserve(min: number, count: number): Promise<number> {
    const first = Math.max(min, this.highest + 1);
    this.highest = first + Math.max(1, count) - 1;
    return Promise.resolve(first);
  }
  /** highest id handed out so far */
  peek(): number {
    return this.highest;
  }
}

/**
 * Adapt a store with a single-id `reserve(min) → id` (the Redis `OrderIdStore` of src/infra/outbox.ts)
 * to this interface. Safe because the caller serializes allocations (one lock around allocate + send).
 */
export function fromSingleReserve(store: { reserve(min: number): Promise<number> }): OrderIdStore {
  return {
    async reserve(min: number, count: number): Promise<number> {
      const first = await store.reserve(min);
      for (let i = 1; i < count; i += 1) {
        const id = await store.reserve(first + i);
        if (id !== first + i) throw new Error(`order id store skipped ids (${first + i} → ${id}) while reserving`);
      }
      return first;
    },
  };
}

/** Reported when the gateway hands out ids below ours. */
export interface RollbackInfo {
  readonly nextValidId: number;
  readonly ourNext: number;
}

/** Local, strictly increasing order ids seeded from `nextValidId` and the persistent store. */
export class OrderIdAllocator {
  private serverNext = 0;
  private localNext = 0;
  private rollbackReported = false;

  constructor(
    private readonly store: OrderIdStore,
    private readonly onRollback: (info: RollbackInfo) => void = () => undefined,
  ) {}

  /** True once a `nextValidId` arrived in this process. */
  isSeeded(): boolean {
    return this.serverNext > 0;
  }

  /** Feed every `nextValidId` (each connect sends one). A value below ours is a rollback: reported, ignored. */
  onNextValidId(id: number): void {
    this.serverNext = id;
    this.rollbackReported = false;
    if (this.localNext > 0 && id < this.localNext) this.reportRollback();
  }

  /** Feed ids seen in open/completed orders (reqAllOpenOrders): new ids must exceed them all. */
  observeUsedId(id: number): void {
    if (Number.isSafeInteger(id) && id > 0 && id + 1 > this.localNext) this.localNext = id + 1;
  }

  /** The next id this allocator would try (before the store is asked). */
  peekNext(): number {
    return Math.max(this.serverNext, this.localNext);
  }

  /** Allocate `count` consecutive ids; returns the first. Throws when no nextValidId arrived yet. */
  async allocate(count = 1): Promise<number> {
    if (!this.isSeeded()) throw new Error('no nextValidId received yet');
    const min = this.peekNext();
    const first = await this.store.reserve(min, count);
    if (!Number.isSafeInteger(first) || first < min) {
      throw new Error(`order id store returned ${first}, below the minimum ${min}`);
    }
    if (first > this.serverNext && this.localNext < this.serverNext + 1 && first !== min) this.reportRollback(first);
    this.localNext = first + count;
    return first;
  }

  private reportRollback(ourNext = this.localNext): void {
    if (this.rollbackReported) return;
    this.rollbackReported = true;
    this.onRollback({ nextValidId: this.serverNext, ourNext });
  }
}
