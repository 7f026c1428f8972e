/**
 * The daemon's side of a hot-standby group (`ha.enabled`, docs/ha.md). A daemon first waits for Redis,
 * then for the leader lease (polling once a second); only the leader checks the state, connects to TWS,
 * reconciles and consumes. The infra connection is fenced by the lease (infra/fencing.ts), so every
 * state-changing write carries the token; every order socket write is checked against the lease on the
 * monotonic clock (`mayWrite`). When the lease is lost the daemon disconnects from TWS at once and stops
 * (crash-only: its supervisor starts it again, as a standby).
 */
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import type { Infra } from '../infra/index.js';
import { fenceConnection } from '../infra/fencing.js';
import { LeaderLease } from '../infra/lease.js';
import type { Logger } from './logger.js';

/** A daemon's membership of its standby group. */
export interface Standby {
  readonly lease: LeaderLease;
  /** resolves with the reason once this daemon led and lost the lease (never when it stops normally) */
  readonly lost: Promise<string>;
  /** waits for the lease (false when aborted); `onLost` runs once if it is lost later */
  lead(signal: AbortSignal, onLost: () => void): Promise<boolean>;
}

/** The standby membership when `ha.enabled`, else undefined (nothing changes: no lease, no fence). */
export function standbyLease(config: Config, infra: Infra, logger: Logger): Standby | undefined {
  if (!config.ha.enabled) return undefined;
  const holder = `${hostname()} pid ${process.pid} client ${config.ib.clientId}`;
  const lease = new LeaderLease({ redis: infra.redis, keys: infra.keys, holder, leaseMs: config.ha.leaseSeconds * 1_000 });
  fenceConnection(infra.redis, lease);
  let resolveLost: (why: string) => void = () => undefined;
  const lost = new Promise<string>((r) => (resolveLost = r));
  return {
    lease,
    lost,
    async lead(signal, onLost) {
      logger.info({ holder }, 'hot standby: waiting for the leader lease');
      const got = await lease.acquire(signal, (current) => {
        logger.info({ leader: current }, 'hot standby: another daemon leads; standing by');
        // TWS refuses a second session with a client id in use (326): each member needs its own
        if (current.endsWith(` client ${config.ib.clientId}`)) logger.error({ leader: current }, `hot standby: the leader uses the same ib.clientId ${config.ib.clientId}; give each daemon its own (IB_CLIENT_ID)`);
      });
      if (!got) return false;
      logger.info({ fencingToken: lease.currentToken, holder }, 'hot standby: this daemon leads (fencing token acquired)');
      lease.onLost((why) => {
        logger.error({ why, fencingToken: lease.currentToken }, 'hot standby: leader lease lost; disconnecting from TWS and stopping (no write or order from here on)');
        onLost();
        resolveLost(why);
      });
      return true;
    },
  };
}
