/**
 * A tiny validating reader for untyped configuration input (parsed JSON/YAML, environment strings).
 * Every problem is collected, never thrown, as one sentence that starts with the field's dotted path:
 * `limits.maxOrderQuantity: expected a positive integer, received -5`. Absent fields (`undefined`) take
 * the caller's default; `null` counts as present-and-wrong so a typo like `port: ~` is not silently ignored.
 */
import { Decimal } from '../domain/types.js';

/** Invalid configuration or secret setup; `errors` has one sentence per bad field. CLI: exit code 2. */
export class ConfigError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`invalid configuration: ${errors.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Render a received value for an error message: JSON-ish, truncated, never multi-line. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Collects errors and warnings while reading fields; see the module comment. */
export class FieldReader {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  /** Record `path: expected <expected>, received <value>`. */
  fail(path: string, expected: string, received: unknown): void {
    this.errors.push(`${path}: expected ${expected}, received ${describeValue(received)}`);
  }

  /** Record a free-form error that names its field. */
  error(path: string, message: string): void {
    this.errors.push(`${path}: ${message}`);
  }

  warn(path: string, message: string): void {
    this.warnings.push(`${path}: ${message}`);
  }

  /** An optional object section: `{}` when absent, `undefined` (and an error) when not an object. */
  section(raw: unknown, path: string): Record<string, unknown> | undefined {
    if (raw === undefined) return {};
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      this.fail(path, 'an object', raw);
      return undefined;
    }
    return raw as Record<string, unknown>;
  }

  /**
   * Report keys not in `known` (typos would otherwise be ignored silently), each with the nearest known
   * name. `strict` (safety sections): an error, so a misspelled safety setting can never leave a
   * permissive default in force; otherwise a warning.
   */
  unknownKeys(obj: Record<string, unknown>, path: string, known: readonly string[], strict = false): void {
    for (const k of Object.keys(obj)) {
      if (known.includes(k)) continue;
      const near = nearestName(k, known);
      const at = path ? `${path}.${k}` : k;
      if (strict) this.error(at, `unknown field${near ? `; did you mean ${path ? `${path}.` : ''}${near}?` : ''}`);
      else this.warn(at, `unknown field, ignored${near ? ` (did you mean ${near}?)` : ''}`);
    }
  }

  bool(v: unknown, path: string, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (typeof v === 'boolean') return v;
    this.fail(path, 'true or false', v);
    return dflt;
  }

  /** A string matching `re` (when given); `what` describes the expectation. */
  str(v: unknown, path: string, dflt: string, re?: RegExp, what = 'a non-empty string'): string {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || v.length === 0 || (re !== undefined && !re.test(v))) {
      this.fail(path, what, v);
      return dflt;
    }
    return v;
  }

  /** A safe integer in [min, max]. Strings are accepted only when `fromString` (environment values). */
  int(v: unknown, path: string, dflt: number, min: number, max: number, fromString = false): number {
    if (v === undefined) return dflt;
    const n = fromString && typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
      const what = min === 1 && max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer ${min}–${max}`;
      this.fail(path, what, v);
      return dflt;
    }
    return n;
  }

  /**
   * A decimal number (JSON/YAML number or numeric string) checked by `ok`; `what` describes the rule.
   * Returned as `Decimal` so money never goes through a float twice.
   */
  dec(v: unknown, path: string, dflt: Decimal, ok: (d: Decimal) => boolean, what: string): Decimal {
    if (v === undefined) return dflt;
    let d: Decimal | undefined;
    if (typeof v === 'number' && Number.isFinite(v)) d = new Decimal(v);
    else if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) d = new Decimal(v.trim());
    if (d === undefined || !ok(d)) {
      this.fail(path, what, v);
      return dflt;
    }
    return d;
  }

  /** One of a fixed set of string values. */
  oneOf<T extends string>(v: unknown, path: string, dflt: T, values: readonly T[]): T {
    if (v === undefined) return dflt;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    this.fail(path, `one of ${values.map((x) => `"${x}"`).join(', ')}`, v);
    return dflt;
  }
}

const norm = (s: string): string => s.toLowerCase().replace(/[_\-\s]/g, '');

/** Levenshtein distance (small strings only). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `name` (case, `_` and `-` ignored; then edit distance, ties to the
 * earlier name); undefined when `known` is empty.
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: { k: string; dist: number } | undefined;
  for (const k of known) {
    if (k.startsWith('$')) continue;
    const dist = editDistance(norm(name), norm(k));
    if (!best || dist < best.dist) best = { k, dist };
  }
  return best?.k;
}

/** Recursively freeze plain objects and arrays (Decimal instances are immutable already and left alone). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof Decimal || Object.isFrozen(value)) {
    return value;
  }
  for (const v of Object.values(value as object)) deepFreeze(v);
  return Object.freeze(value);
}
