/**
 * The one-process stack on the Client Portal backend: a Client Portal simulator on the TWS simulator's
 * engine (so the admin API, prices and state are shared), the config that points the daemon at it
 * (HTTPS, its certificate pinned by fingerprint), and the adapter's timers for a fast demo. The
 * simulator and the adapter run the documented rate limits 20× faster (one scale on both sides).
 */
import type { SimEngine } from '../sim/index.js';
import { startCpSimulator } from '../sim/cp/index.js';
import type { CpBrokerOptions } from './cp-broker.js';

const SCALE = 0.05;

/** Starts the Client Portal simulator on `engine`; returns the config fields, the adapter tuning and close. */
export async function attachClientPortal(engine: SimEngine): Promise<{ config: Record<string, unknown>; tuning: Partial<CpBrokerOptions>; close(): Promise<void> }> {
  const cp = await startCpSimulator({ engine, port: 0, rateLimitScale: SCALE });
  return {
    config: { broker: 'client-portal', clientPortal: { baseUrl: cp.baseUrl, fingerprint: cp.certificate?.fingerprint256 ?? null } },
    tuning: { pacingScale: SCALE, tickleMs: 3000, pollMs: 250, warmupMs: 100, lookupMs: 250, retryMs: 500 },
    close: () => cp.close(),
  };
}
