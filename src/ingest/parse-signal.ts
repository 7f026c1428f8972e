/**
 * `unknown` job data → a domain `Signal`, or every field error at once (CONTRACT §3, reason INVALID_SIGNAL).
 * Pure and total: never throws on any input. Invariants:
 *  - errors name the field by dotted path (`size.quantity`, `instrument.symbol`, `accounts.1`) and say what
 *    was expected and what was received;
 *  - cross-field rules (size kind vs side, order type vs its prices, bracket sides, expiry after creation)
 *    run on each part that parsed on its own, so one bad field does not hide another;
 *  - unknown top-level fields are accepted and dropped; unknown nested fields are errors.
 */
import type { z } from 'zod';
import type { AccountTarget, OrderType, Signal, SizeSpec } from '../domain/types.js';
import type { Decimal } from '../domain/types.js';
import {
  bracketSchema,
  describeValue,
  isoInstant,
  orderSchema,
  signalWireSchema,
  sizeSchema,
  type BracketWire,
  type OrderWire,
  type SignalWire,
  type SizeWire,
} from './signal-schema.js';

/** One schema violation: the dotted path of the field and a sentence fragment saying expected vs received. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export type ParseSignalResult =
  | { readonly ok: true; readonly signal: Signal }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** Path of the whole payload when it is not an object at all. */
export const ROOT_PATH = '(root)';

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  number: 'a finite number',
  int: 'an integer',
  string: 'a string',
  object: 'an object',
  boolean: 'true or false',
  array: 'a list',
  record: 'an object',
};

/** Per-parse zod error map: short "expected …, received …" messages. */
function errorMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      return `expected ${EXPECTED_NAMES[iss.expected] ?? iss.expected}, received ${describeValue(iss.input)}`;
    case 'invalid_value':
      return `expected one of ${iss.values.map((v) => String(v)).join(', ')}, received ${describeValue(iss.input)}`;
    case 'too_small':
      return iss.origin === 'number'
        ? `expected a number ${iss.inclusive ? '≥' : '>'} ${String(iss.minimum)}, received ${describeValue(iss.input)}`
        : `expected at least ${String(iss.minimum)} ${iss.origin === 'string' ? 'character(s)' : 'entry(ies)'}`;
    case 'too_big':
      return `expected at most ${String(iss.maximum)}, received ${describeValue(iss.input)}`;
    default:
      return undefined;
  }
}

function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const out: FieldError[] = [];
  for (const iss of issues) {
    const base = iss.path.map(String);
    if (iss.code === 'unrecognized_keys') {
      for (const k of iss.keys) out.push({ path: [...base, k].join('.'), message: 'unknown field' });
    } else {
      out.push({ path: base.length > 0 ? base.join('.') : ROOT_PATH, message: iss.message });
    }
  }
  return out;
}

/** Parses `value` with `schema` alone; undefined when it does not parse (its errors come from the whole). */
function part<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

const LIMIT_TYPES: readonly OrderType[] = ['LMT', 'LOC', 'STP LMT'];
const STOP_TYPES: readonly OrderType[] = ['STP', 'STP LMT'];

/** Which price fields each order type needs; all others must be absent. */
function orderFieldErrors(o: OrderWire): FieldError[] {
  const need = {
    limitPrice: LIMIT_TYPES.includes(o.type),
    stopPrice: STOP_TYPES.includes(o.type),
    trailingPercent: o.type === 'TRAIL',
  };
  const errors: FieldError[] = [];
  for (const [field, needed] of Object.entries(need) as [keyof typeof need, boolean][]) {
    const present = o[field] !== undefined;
    if (needed && !present) errors.push({ path: `order.${field}`, message: `required for order type ${o.type}` });
    if (!needed && present) errors.push({ path: `order.${field}`, message: `not used by order type ${o.type}; remove it or change order.type` });
  }
  return errors;
}

/** The price the entry is expected at, when the order carries one (limit first, then stop). */
const entryPrice = (o: OrderWire | undefined): Decimal | undefined => o?.limitPrice ?? o?.stopPrice;

/** Take-profit on the profitable side and stop-loss on the protective side of the entry (CONTRACT §4 PRICE_COLLAR). */
function bracketErrors(side: 'BUY' | 'SELL', b: BracketWire, order: OrderWire | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const buy = side === 'BUY';
  const [above, below] = buy ? ['takeProfit', 'stopLoss'] : ['stopLoss', 'takeProfit'];
  if ((buy && !b.takeProfit.gt(b.stopLoss)) || (!buy && !b.takeProfit.lt(b.stopLoss))) {
    errors.push({
      path: 'bracket',
      message: `expected takeProfit ${buy ? 'above' : 'below'} stopLoss for a ${side}, received takeProfit ${b.takeProfit.toString()} and stopLoss ${b.stopLoss.toString()}`,
    });
  }
  const entry = entryPrice(order);
  if (entry === undefined) return errors;
  const hi = b[above as keyof BracketWire];
  const lo = b[below as keyof BracketWire];
  if (!hi.gt(entry)) errors.push({ path: `bracket.${above}`, message: `expected above the entry price ${entry.toString()} for a ${side}, received ${hi.toString()}` });
  if (!lo.lt(entry)) errors.push({ path: `bracket.${below}`, message: `expected below the entry price ${entry.toString()} for a ${side}, received ${lo.toString()}` });
  return errors;
}

/** How far in the future `createdAt` may lie (clock skew between producer and daemon), CONTRACT §2. */
export const MAX_CREATED_AHEAD_MS = 60_000;

/** Option fields (strike, right) only on an option. */
function instrumentErrors(raw: unknown): FieldError[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const i = raw as Record<string, unknown>;
  const secType = typeof i['secType'] === 'string' ? i['secType'] : 'STK';
  if (secType === 'OPT') return [];
  return (['strike', 'right'] as const)
    .filter((f) => i[f] !== undefined)
    .map((f) => ({ path: `instrument.${f}`, message: `only for secType OPT, received secType ${secType}; remove it or set instrument.secType` }));
}

/** Rules spanning several parts; each runs only when the parts it needs parsed. */
function crossFieldErrors(raw: Record<string, unknown>, now: number | undefined): FieldError[] {
  const side = raw['side'] === 'BUY' || raw['side'] === 'SELL' ? raw['side'] : undefined;
  const size = part(sizeSchema, raw['size']);
  const order = raw['order'] === undefined ? undefined : part(orderSchema, raw['order']);
  const bracket = part(bracketSchema, raw['bracket']);
  const errors: FieldError[] = [];
  if (size?.riskPercent !== undefined && raw['bracket'] === undefined) {
    errors.push({ path: 'bracket.stopLoss', message: 'required when size.riskPercent is used' });
  }
  if (size?.positionPercent !== undefined && side === 'BUY') {
    errors.push({ path: 'size.positionPercent', message: 'only allowed for SELL, received side BUY' });
  }
  if (order) errors.push(...orderFieldErrors(order));
  if (bracket && side) errors.push(...bracketErrors(side, bracket, order));
  errors.push(...instrumentErrors(raw['instrument']));
  const created = part(isoInstant, raw['createdAt']);
  const expires = part(isoInstant, raw['expiresAt']);
  if (created !== undefined && now !== undefined && created > now + MAX_CREATED_AHEAD_MS) {
    errors.push({ path: 'createdAt', message: `expected a time no more than 60 s in the future, received ${describeValue(raw['createdAt'])} (${Math.round((created - now) / 1000)} s ahead)` });
  }
  if (created !== undefined && expires !== undefined && expires <= created) {
    errors.push({ path: 'expiresAt', message: `expected a time after createdAt, received ${describeValue(raw['expiresAt'])}` });
  }
  return errors;
}

function toSize(s: SizeWire): SizeSpec {
  if (s.quantity !== undefined) return { kind: 'quantity', quantity: s.quantity };
  if (s.notional !== undefined) return { kind: 'notional', notional: s.notional };
  if (s.equityPercent !== undefined) return { kind: 'equityPercent', percent: s.equityPercent };
  if (s.riskPercent !== undefined) return { kind: 'riskPercent', percent: s.riskPercent };
  if (s.positionPercent !== undefined) return { kind: 'positionPercent', percent: s.positionPercent };
  throw new Error('unreachable: size schema guarantees exactly one kind');
}

function toAccounts(a: SignalWire['accounts']): AccountTarget {
  if (a === 'ALL') return { kind: 'all' };
  if (Array.isArray(a)) return { kind: 'ids', ids: a };
  return { kind: 'types', types: a.types };
}

/** Drops keys whose value is undefined (so optional fields are absent, not present-and-undefined). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function toSignal(w: SignalWire): Signal {
  return compact({
    id: w.id,
    createdAt: w.createdAt,
    expiresAt: w.expiresAt,
    source: w.source,
    instrument: compact(w.instrument),
    side: w.side,
    size: toSize(w.size),
    order: compact(w.order),
    bracket: w.bracket,
    accounts: toAccounts(w.accounts),
    meta: w.meta,
  });
}

/**
 * Validates job data against CONTRACT §3 and returns the domain signal, or ALL field errors. With `now`
 * (epoch ms, from the caller's clock) a `createdAt` more than 60 s ahead of it is an error.
 * Pitfall: a valid result can still be denied per account later (e.g. a MKT entry whose bracket turns out
 * to be on the wrong side of the live price); only what can be known without market data is checked here.
 */
export function parseSignal(data: unknown, opts: { readonly now?: number } = {}): ParseSignalResult {
  const r = signalWireSchema.safeParse(data, { error: errorMessage });
  const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
  const schemaErrors = r.success ? [] : toFieldErrors(r.error.issues);
  const cross = isObject ? crossFieldErrors(data as Record<string, unknown>, opts.now) : [];
  const seen = new Set(schemaErrors.map((e) => `${e.path}\u0000${e.message}`));
  const errors = [...schemaErrors, ...cross.filter((e) => !seen.has(`${e.path}\u0000${e.message}`))];
  if (r.success && errors.length === 0) return { ok: true, signal: toSignal(r.data) };
  return { ok: false, errors };
}

/** One line for logs, job failure messages and the dead-letter stream: `path: message; path: message`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('; ');
}
