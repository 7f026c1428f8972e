/**
 * Error types of the wire codec. Both are thrown, never returned; a server should catch them per frame,
 * log them, and answer or drop the client as it sees fit (a decode error never corrupts the decoder state).
 */

/** A frame could not be delimited (e.g. a length prefix beyond {@link MAX_FRAME_BYTES}). The stream is unusable. */
export class WireFrameError extends Error {
  override readonly name = 'WireFrameError';
}

/**
 * A complete frame had the wrong content for its message id: a missing field, a leftover field, or a
 * field that does not parse (e.g. "abc" where an int is expected). `msgName` and `field` say where.
 */
export class WireDecodeError extends Error {
  override readonly name = 'WireDecodeError';
  /**
   * @param msgName message name, e.g. "PLACE_ORDER"
   * @param field field name, e.g. "totalQuantity" (or "<leftover>" / "<end>")
   * @param detail what went wrong
   */
  constructor(
    readonly msgName: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${msgName}.${field}: ${detail}`);
  }
}
