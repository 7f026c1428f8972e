/**
 * Public API of the TWS wire codec (pure, stateless apart from {@link FrameDecoder}'s buffer).
 *
 * Typical server loop: until the handshake is done, feed bytes to {@link parseHandshake}; answer with
 * `encodeFrame([version, time])` using {@link negotiateVersion}; then push every chunk into a
 * {@link FrameDecoder}, `drain()` it, and `decodeClientMessage(fields, version)` each frame; reply with
 * `encodeFrame(encodeServerMessage(msg, version))`.
 */
export * from './messages.js';
export { WireDecodeError, WireFrameError } from './errors.js';
export {
  MAX_FRAME_BYTES,
  FrameDecoder,
  encodeFrame,
  fieldText,
  negotiateVersion,
  parseHandshake,
  splitFields,
  type HandshakeResult,
} from './framing.js';
export { CODEC_MIN_VERSION, checkVersion } from './versions.js';
export { decodeClientMessage, encodeClientMessage } from './client-codec.js';
export { decodeServerMessage, encodeServerMessage } from './server-codec.js';
