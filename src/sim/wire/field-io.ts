/**
 * Bidirectional field walker. A message layout is written ONCE as a "schema" function that calls
 * `io.str(obj, 'key')`, `io.num(obj, 'key')`…; run with a decoding `FieldIO` it reads wire fields into `obj`,
 * run with an encoding one it reads `obj` and appends wire values. Conditionals in a schema test `obj[key]`
 * after the call, which holds in both directions. This keeps encoder and decoder symmetric by construction.
 *
 * Decoding rules (reference §3): "" → undefined for optional strings/numbers/ints, 0 for `int`, false for
 * `bool`; 2147483647 → undefined for `optInt`; 1.7976931348623157E308 → undefined for `num`. Malformed text
 * throws {@link WireDecodeError} naming the message and field.
 */
import { WireDecodeError } from './errors.js';
import type { WireValue } from './messages.js';

/** A mutable record a schema reads from or writes into. */
export type Rec = Record<string, unknown>;

const INT_MAX = 2147483647;
const DOUBLE_MAX = 1.7976931348623157e308;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Walks fields in one direction; see the module doc. */
export class FieldIO {
  /** Encoded output (encode mode). */
  readonly out: WireValue[] = [];
  private pos: number;

  private constructor(
    readonly decoding: boolean,
    readonly msgName: string,
    private readonly fields: readonly string[],
    start: number,
  ) {
    this.pos = start;
  }

  /** A decoder over `fields`, starting at index `start` (usually 1, after the msg id). */
  static reader(msgName: string, fields: readonly string[], start = 1): FieldIO {
    return new FieldIO(true, msgName, fields, start);
  }

  /** An encoder; `out` collects the values. */
  static writer(msgName: string): FieldIO {
    return new FieldIO(false, msgName, [], 0);
  }

  /** Index of the next field to read. */
  get position(): number {
    return this.pos;
  }

  /** Decode mode: throws unless every field was consumed. */
  end(): void {
    if (this.decoding && this.pos !== this.fields.length) {
      const left = this.fields.slice(this.pos);
      throw new WireDecodeError(this.msgName, '<leftover>', `${left.length} unread field(s): ${JSON.stringify(left.slice(0, 8))}`);
    }
  }

  /** Reads the next raw field text. */
  next(field: string): string {
    const v = this.fields[this.pos];
    if (v === undefined) throw new WireDecodeError(this.msgName, field, 'missing field (message too short)');
    this.pos += 1;
    return v;
  }

  /** Appends a raw value (encode) or consumes one field and checks nothing (decode). */
  constant(field: string, value: WireValue): void {
    if (this.decoding) this.next(field);
    else this.out.push(value);
  }

  /** Version field: encode writes `value`; decode consumes it and checks it is an int. */
  version(value: number): void {
    if (this.decoding) this.parseInt('version', this.next('version'));
    else this.out.push(value);
  }

  /** Optional string: "" ↔ undefined. */
  str(o: Rec, k: string): void {
    if (this.decoding) {
      const v = this.next(k);
      if (v !== '') o[k] = v;
    } else this.out.push(o[k] as WireValue);
  }

  /** String kept as is ("" stays ""). */
  text(o: Rec, k: string): void {
    if (this.decoding) o[k] = this.next(k);
    else this.out.push((o[k] as WireValue) ?? '');
  }

  /** Integer; "" → 0 (and undefined encodes as 0, as TWS sends it). */
  int(o: Rec, k: string): void {
    if (this.decoding) {
      const v = this.next(k);
      o[k] = v === '' ? 0 : this.parseInt(k, v);
    } else this.out.push((o[k] as WireValue) ?? 0);
  }

  /** Optional integer; "" and 2147483647 → undefined. `unsetAsMax`: encode undefined as 2147483647 (not ""). */
  optInt(o: Rec, k: string, unsetAsMax = false): void {
    if (this.decoding) {
      const v = this.next(k);
      if (v === '') return;
      const n = this.parseInt(k, v);
      if (n !== INT_MAX) o[k] = n;
    } else this.out.push(o[k] === undefined && unsetAsMax ? INT_MAX : (o[k] as WireValue));
  }

  /** Optional double / decimal; "" and Double.MAX_VALUE → undefined. Accepts "Infinity". */
  num(o: Rec, k: string): void {
    if (this.decoding) {
      const v = this.next(k);
      if (v === '') return;
      const n = this.parseNum(k, v);
      if (n !== DOUBLE_MAX) o[k] = n;
    } else this.out.push(o[k] as WireValue);
  }

  /** Double / decimal; "" → 0. */
  num0(o: Rec, k: string): void {
    if (this.decoding) {
      const v = this.next(k);
      o[k] = v === '' ? 0 : this.parseNum(k, v);
    } else this.out.push((o[k] as WireValue) ?? 0);
  }

  /** Boolean; "" → false (undefined encodes as "0", as TWS sends it). Accepts ints (≠ 0 = true), "true"/"false". */
  bool(o: Rec, k: string): void {
    if (this.decoding) o[k] = this.parseBool(k, this.next(k));
    else this.out.push(Boolean(o[k]));
  }

  /** Optional boolean; "" ↔ undefined. */
  optBool(o: Rec, k: string): void {
    if (this.decoding) {
      const v = this.next(k);
      if (v !== '') o[k] = this.parseBool(k, v);
    } else this.out.push(o[k] === undefined ? undefined : Boolean(o[k]));
  }

  /**
   * A counted list: count field, then `each(item)` per element. Decode stores the array only if non-empty
   * (unless `keepEmpty`); encode writes the array's length (0 if absent).
   */
  list(o: Rec, k: string, each: (item: Rec) => void, keepEmpty = false): void {
    if (this.decoding) {
      const n = this.count(k);
      const arr: Rec[] = [];
      for (let i = 0; i < n; i++) {
        const item: Rec = {};
        each(item);
        arr.push(item);
      }
      if (n > 0 || keepEmpty) o[k] = arr;
    } else {
      const arr = (o[k] as Rec[] | undefined) ?? [];
      this.out.push(arr.length);
      for (const item of arr) each(item);
    }
  }

  /** Reads a list count: a non-negative int no larger than the fields left (guards against garbage). */
  count(k: string): number {
    const v = this.next(`${k}.count`);
    const n = v === '' ? 0 : this.parseInt(`${k}.count`, v);
    if (n < 0 || n > this.fields.length - this.pos) {
      throw new WireDecodeError(this.msgName, `${k}.count`, `implausible count ${n}`);
    }
    return n;
  }

  /** A nested object at `o[k]` (created when decoding). `present` decides whether it is on the wire at all. */
  nested(o: Rec, k: string, body: (inner: Rec) => void): void {
    if (this.decoding) {
      const inner: Rec = {};
      body(inner);
      o[k] = inner;
    } else body((o[k] as Rec | undefined) ?? {});
  }

  /** Parses an int field strictly. */
  parseInt(k: string, v: string): number {
    const n = Number(v);
    if (!NUMBER_RE.test(v.trim()) || !Number.isInteger(n)) {
      throw new WireDecodeError(this.msgName, k, `expected an integer, got ${JSON.stringify(v)}`);
    }
    return n;
  }

  /** Parses a double field strictly ("Infinity" allowed). */
  parseNum(k: string, v: string): number {
    const t = v.trim();
    if (t === 'Infinity' || t === '+Infinity') return Infinity;
    if (t === '-Infinity') return -Infinity;
    if (!NUMBER_RE.test(t)) throw new WireDecodeError(this.msgName, k, `expected a number, got ${JSON.stringify(v)}`);
    return Number(t);
  }

  /** Parses a boolean field. */
  parseBool(k: string, v: string): boolean {
    if (v === '' || v === '0' || v === 'false') return false;
    if (v === '1' || v === 'true') return true;
    return this.parseNum(k, v) !== 0;
  }
}
