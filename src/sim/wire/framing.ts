/**
 * Framing of the TWS V100+ protocol: every message is BE32(payload length) + fields, each field UTF-8 text
 * terminated by "\0". The first client packet (handshake) is the one exception, see {@link parseHandshake}.
 */
import { SERVER_MAX_VERSION, SERVER_MIN_VERSION, type WireValue } from './messages.js';
import { WireFrameError } from './errors.js';

/** Largest accepted frame payload (16 MiB); anything larger is treated as a corrupt stream. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

const API_PREFIX = Buffer.from('API\0', 'latin1');

/**
 * Turns one value into its wire text: bool → "1"/"0", undefined/null → "", numbers → decimal text
 * (±Infinity → "Infinity"/"-Infinity" as Java prints them, NaN → ""), strings as is. A string must not contain "\0" (it would split the field);
 * such characters are stripped.
 */
export function fieldText(v: WireValue): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  return v.includes('\0') ? v.replaceAll('\0', '') : v;
}

/** Encodes one frame: BE32 length + each field followed by "\0". */
export function encodeFrame(fields: readonly WireValue[]): Buffer {
  const payload = Buffer.from(fields.map((f) => fieldText(f) + '\0').join(''), 'utf8');
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/**
 * Splits a payload into fields. The payload normally ends in "\0"; a missing final terminator is tolerated
 * (the remainder becomes the last field). An empty payload yields [].
 */
export function splitFields(payload: Buffer): string[] {
  if (payload.length === 0) return [];
  const text = payload.toString('utf8');
  const parts = text.split('\0');
  if (text.endsWith('\0')) parts.pop();
  return parts;
}

/**
 * Incremental frame decoder for a byte stream (TCP). Push chunks as they arrive; {@link drain} returns the
 * complete frames so far, as field arrays, and keeps any partial frame for the next push.
 * Throws {@link WireFrameError} (from push or drain) when a length prefix exceeds `maxFrameBytes`; the
 * connection should then be closed.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** @param maxFrameBytes largest accepted payload length */
  constructor(private readonly maxFrameBytes: number = MAX_FRAME_BYTES) {}

  /** Appends received bytes. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
  }

  /** Bytes received but not yet returned as a frame. */
  get pending(): number {
    return this.buf.length;
  }

  /** Returns and removes every complete frame currently buffered. */
  drain(): string[][] {
    const frames: string[][] = [];
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32BE(off);
      if (len > this.maxFrameBytes) {
        throw new WireFrameError(`frame of ${len} bytes exceeds the maximum of ${this.maxFrameBytes}`);
      }
      if (this.buf.length - off - 4 < len) break;
      frames.push(splitFields(this.buf.subarray(off + 4, off + 4 + len)));
      off += 4 + len;
    }
    this.buf = off === 0 ? this.buf : Buffer.from(this.buf.subarray(off));
    return frames;
  }
}

/** Result of {@link parseHandshake}. */
export type HandshakeResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'ok'; readonly consumed: number; readonly minVersion: number; readonly maxVersion: number; readonly options: string }
  | { readonly kind: 'error'; readonly message: string };

const VERSION_RE = /^v(\d+)(?:\.\.(\d+))?(?: (.*))?$/s;

/**
 * Parses the first client packet: "API\0" + BE32(len) + "v<min>..<max>[ <options>]" (no trailing "\0").
 * `consumed` is the number of bytes used; bytes after it (e.g. START_API sent in the same chunk) are framed
 * messages. "v<n>" alone means min = max = n. Returns `incomplete` while fewer bytes than needed arrived.
 */
export function parseHandshake(buf: Buffer): HandshakeResult {
  const prefixLen = Math.min(buf.length, API_PREFIX.length);
  if (!buf.subarray(0, prefixLen).equals(API_PREFIX.subarray(0, prefixLen))) {
    return { kind: 'error', message: 'handshake does not start with "API\\0"' };
  }
  if (buf.length < 8) return { kind: 'incomplete' };
  const len = buf.readUInt32BE(4);
  if (len > 4096) return { kind: 'error', message: `handshake length ${len} is implausible` };
  if (buf.length < 8 + len) return { kind: 'incomplete' };
  const text = buf.subarray(8, 8 + len).toString('utf8').replace(/\0+$/, '');
  const m = VERSION_RE.exec(text);
  if (!m || m[1] === undefined) return { kind: 'error', message: `bad version range "${text}"` };
  const minVersion = Number(m[1]);
  const maxVersion = m[2] === undefined ? minVersion : Number(m[2]);
  if (maxVersion < minVersion) return { kind: 'error', message: `empty version range "${text}"` };
  return { kind: 'ok', consumed: 8 + len, minVersion, maxVersion, options: (m[3] ?? '').trim() };
}

/**
 * Picks the server version for a client range: min(clientMax, {@link SERVER_MAX_VERSION}). Returns null if
 * that is below the client's minimum or below {@link SERVER_MIN_VERSION} (the server then closes the socket).
 */
export function negotiateVersion(clientMin: number, clientMax: number): number | null {
  const v = Math.min(clientMax, SERVER_MAX_VERSION);
  if (v < clientMin || v < SERVER_MIN_VERSION) return null;
  return v;
}
