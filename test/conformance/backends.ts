/**
 * One factory per BrokerPort backend for the conformance suite: each starts its simulator on free
 * loopback ports from the same household and returns the broker plus the few admin moves the suite
 * needs, in backend-neutral terms (lose the session, lose the next order's answer).
 */
import type { BrokerPort } from '../../src/execution/broker-port.js';
import { CpBroker } from '../../src/cp/cp-broker.js';
import type { SimEngine } from '../../src/sim/index.js';
import { startCpSimulator } from '../../src/sim/cp/index.js';
import { HOUSEHOLD, makeBroker, simPost, startSim } from '../ib/support/sim.js';

/** A started backend. */
export interface Backend {
  readonly name: string;
  readonly broker: BrokerPort;
  readonly engine: SimEngine;
  /** TWS: every socket dropped; Client Portal: the brokerage session expires */
  loseSession(): Promise<void>;
  /** the next order is booked but its answer never reaches the client */
  loseNextAnswer(): Promise<void>;
  close(): Promise<void>;
}

export type BackendFactory = () => Promise<Backend>;

/** TWS over the socket simulator. */
export const twsBackend: BackendFactory = async () => {
  const sim = await startSim(31, { fixture: HOUSEHOLD });
  const broker = makeBroker(sim.port);
  return {
    name: 'tws', broker, engine: sim.engine,
    loseSession: () => simPost(sim, '/fault', { action: 'disconnect' }),
    loseNextAnswer: () => simPost(sim, '/fault', { action: 'drop-acks', count: 1 }),
    close: async () => {
      await broker.disconnect();
      await sim.close();
    },
  };
};

async function cpFault(port: number | undefined, body: unknown): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${port}/fault`, { method: 'POST', body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`POST /fault ${r.status}: ${await r.text()}`);
}

/** The Client Portal over its simulator: HTTPS, the certificate pinned by fingerprint, the documented limits 50× faster. */
export const cpBackend: BackendFactory = async () => {
  const sim = await startCpSimulator({ port: 0, adminPort: 0, tickIntervalMs: 0, seed: 31, fixture: HOUSEHOLD, rateLimitScale: 0.02 });
  const broker = new CpBroker({
    baseUrl: sim.baseUrl, fingerprint: sim.certificate?.fingerprint256 ?? null,
    pacingScale: 0.02, tickleMs: 150, pollMs: 150, warmupMs: 50, lookupMs: 100, lookupTries: 10, requestTimeoutMs: 3000,
  });
  return {
    name: 'client-portal', broker, engine: sim.engine,
    loseSession: () => cpFault(sim.adminPort, { action: 'session-expired' }),
    loseNextAnswer: () => cpFault(sim.adminPort, { action: 'drop-next', count: 1 }),
    close: async () => {
      await broker.disconnect();
      await sim.close();
    },
  };
};
