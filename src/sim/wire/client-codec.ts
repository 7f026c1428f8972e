/** Client → server codec (STUB, being implemented). */
import type { ClientMessage, WireValue } from './messages.js';

/** Decodes one client frame (fields incl. msg id) at the negotiated server version. */
export function decodeClientMessage(fields: readonly string[], serverVersion: number): ClientMessage {
  void serverVersion;
  return { type: 'UNKNOWN', msgId: Number(fields[0] ?? -1), fields };
}

/** Encodes a client message as a client at `serverVersion` would (for tests and other clients). */
export function encodeClientMessage(msg: ClientMessage, serverVersion: number): WireValue[] {
  void msg;
  void serverVersion;
  throw new Error('not implemented yet');
}
