/** Range of server versions whose message layouts this codec implements. */
import { SERVER_MAX_VERSION } from './messages.js';

/**
 * Lowest server version whose layouts the codec encodes/decodes (ib_async's minimum). Handshakes may
 * negotiate lower (down to SERVER_MIN_VERSION = 100), but no supported client does; a server should close a
 * connection whose negotiated version is below this.
 */
export const CODEC_MIN_VERSION = 157;

/** Throws RangeError unless CODEC_MIN_VERSION ≤ v ≤ SERVER_MAX_VERSION. */
export function checkVersion(v: number): void {
  if (!Number.isInteger(v) || v < CODEC_MIN_VERSION || v > SERVER_MAX_VERSION) {
    throw new RangeError(`server version ${v} outside the codec's range ${CODEC_MIN_VERSION}..${SERVER_MAX_VERSION}`);
  }
}
