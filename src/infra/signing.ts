/**
 * HMAC-SHA256 signatures with the control key (CONTRACT §5): control commands on `<p>:control` and
 * trading-state values. Each MAC covers a domain tag, the Redis key it lives under (a value copied to
 * another key, or a command sent to another deployment's stream, does not verify) and the canonical JSON
 * of every other field. Comparison is constant-time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** Hex HMAC-SHA256 of `parts` joined by newlines. */
export function hmacHex(key: Buffer, ...parts: readonly string[]): string {
  return createHmac('sha256', key).update(parts.join('\n')).digest('hex');
}

/** Constant-time comparison of two hex MACs (false for malformed input). */
export function macEquals(a: string | undefined, b: string): boolean {
  if (a === undefined || !/^[0-9a-f]{64}$/.test(a)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

const CONTROL_TAG = 'ibkr-exec control v1';

/** The MAC of a control command's fields (all but `sig`) on `stream`. */
export function controlMac(key: Buffer, stream: string, fields: Readonly<Record<string, string>>): string {
  const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'sig'));
  return hmacHex(key, CONTROL_TAG, stream, canonicalJson(rest));
}

/**
 * A signed control command as XADD field/value pairs: the given fields plus `ts` (epoch ms), `nonce`
 * (random, for replay protection) and `sig`.
 */
export function signControl(key: Buffer, stream: string, fields: Readonly<Record<string, string>>, now: number): string[] {
  const full: Record<string, string> = { ...fields, ts: String(now), nonce: randomBytes(12).toString('hex') };
  full.sig = controlMac(key, stream, full);
  return Object.entries(full).flat();
}

/** True when `fields.sig` is the MAC of the other fields. */
export function verifyControl(key: Buffer, stream: string, fields: Readonly<Record<string, string>>): boolean {
  return macEquals(fields.sig, controlMac(key, stream, fields));
}

const STATE_TAG = 'ibkr-exec trading-state v1';

/** The MAC of a trading-state value (all fields but `sig`) stored at `redisKey`. */
export function stateMac(key: Buffer, redisKey: string, fields: Readonly<Record<string, unknown>>): string {
  const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'sig'));
  return hmacHex(key, STATE_TAG, redisKey, canonicalJson(rest));
}
