/**
 * A one-shot Client Portal session for a CLI command (`broker: "client-portal"`): the certificate pinned
 * as configured, every request bounded by `timeoutMs`, no order polling needed. The caller disconnects it.
 */
import type { ClientPortalConfig } from '../config.js';
import { CpBroker } from './cp-broker.js';

/** Connects a CpBroker for one command; rejects with the reason when the gateway is not usable. */
export async function connectCpCliBroker(cp: ClientPortalConfig, timeoutMs: number): Promise<CpBroker> {
  const broker = new CpBroker({ baseUrl: cp.baseUrl, caFile: cp.caFile, fingerprint: cp.fingerprint, requestTimeoutMs: timeoutMs, pollMs: 60_000 });
  try {
    await broker.connect();
  } catch (e) {
    await broker.disconnect();
    throw e;
  }
  return broker;
}
