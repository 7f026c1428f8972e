/** Server → client codec (STUB, being implemented). */
import type { ServerMessage, WireValue } from './messages.js';

/** Encodes a server message (fields incl. msg id and version field) at the negotiated server version. */
export function encodeServerMessage(msg: ServerMessage, serverVersion: number): WireValue[] {
  void msg;
  void serverVersion;
  throw new Error('not implemented yet');
}

/** Decodes a server frame, the inverse of {@link encodeServerMessage} (for tests and other clients). */
export function decodeServerMessage(fields: readonly string[], serverVersion: number): ServerMessage {
  void fields;
  void serverVersion;
  throw new Error('not implemented yet');
}
