/**
 * Carries out the planned faults against the running system: daemon SIGKILL (half of them right after an
 * order was SUBMITTED, with a price move while nobody listens), Redis restarts (every other one with the
 * daemon killed while Redis is down) and the simulator's admin faults (CONTRACT §7).
 */
import type { Redis } from 'ioredis';
import type { DaemonProcess } from './daemon-process.js';
import type { RedisProcess } from './redis-process.js';
import { BASE_PRICES, type PlannedFault } from './scenario.js';

/** What the injector acts on. */
export interface FaultTargets {
  /** writes an INTENT for `signalId` × `account` whose job does not exist; returns its orderRef */
  readonly orphan?: (signalId: string, account: string, symbol: string) => Promise<string>;
  /** the run id (orphan signal ids) */
  readonly runId?: string;
  readonly daemon: DaemonProcess;
  readonly redisProc: RedisProcess;
  /** a connection to the private Redis (duplicated for blocking reads) */
  readonly redis: Redis;
  /** the `<prefix>:orders` stream key */
  readonly ordersKey: string;
  /** POSTs to the simulator's admin API */
  admin(path: string, body?: unknown): Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const priceOf = (symbol: string, factor: number): number => Math.round((BASE_PRICES[symbol] ?? 100) * factor * 100) / 100;

/** Returns `inject(fault)`, which resolves once the fault is done and the daemon is up again. */
export function faultInjector(t: FaultTargets): (f: PlannedFault) => Promise<void> {
  const simFault = (body: Record<string, unknown>) => t.admin('/fault', body);
  return async (f) => {
    switch (f.kind) {
      case 'daemon-kill':
        if (f.n % 2 === 1) await nextOrderEvent(t.redis, t.ordersKey, 'SUBMITTED', 5_000);
        await t.daemon.kill();
        if (f.symbol && f.n2 !== undefined) await t.admin('/price', { symbol: f.symbol, price: priceOf(f.symbol, f.n2) });
        await sleep(f.n);
        return t.daemon.start();
      case 'redis-restart':
        await t.redisProc.down();
        if (f.n % 2 === 1) await t.daemon.kill();
        await sleep(f.n);
        await t.redisProc.up();
        if (!t.daemon.running) await t.daemon.start();
        return;
      case 'disconnect':
        await simFault({ action: 'disconnect' });
        return;
      case 'connectivity-lost':
        await simFault({ action: 'connectivity-lost', ms: f.n });
        return;
      case 'drop-acks':
        await simFault({ action: 'drop-acks', count: f.n });
        return;
      case 'reject-next':
        await simFault({ action: 'reject-next', code: 201, message: 'Order rejected - reason:chaos' });
        return;
      case 'sim-restart':
        await simFault({ action: 'restart', rollbackOrderIds: true });
        return;
      case 'price-move':
        await t.admin('/price', { symbol: f.symbol, price: priceOf(f.symbol ?? '', f.n) });
        return;
      case 'gateway-down':
        // the socket goes, and once back IB reports its own connectivity lost for `n` ms: jobs in flight
        // outlast the daemon's broker wait and go back to delayed (a producer with one attempt lost them)
        await simFault({ action: 'disconnect' });
        await simFault({ action: 'connectivity-lost', ms: f.n });
        await sleep(f.n);
        return;
      case 'duplicate-next':
        await simFault({ action: 'duplicate-next' });
        return;
      case 'orphan-intent':
        await t.orphan?.(`c${t.runId ?? ''}-orphan${f.n}`, 'DU1000002', f.symbol ?? 'AAPL');
        return;
    }
  };
}

/** Waits (bounded) for the next entry of `event` on the orders stream; returns false on timeout. */
async function nextOrderEvent(redis: Redis, key: string, event: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = '$';
  const reader = redis.duplicate();
  reader.on('error', () => undefined);
  try {
    while (Date.now() < deadline) {
      const res = (await reader.xread('COUNT', 100, 'BLOCK', Math.max(1, deadline - Date.now()), 'STREAMS', key, last).catch(() => null)) as [string, [string, string[]][]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      for (const [id, flat] of entries) {
        last = id;
        if (flat[flat.indexOf('event') + 1] === event) return true;
      }
      if (!res) await sleep(50);
    }
    return false;
  } finally {
    reader.disconnect();
  }
}
