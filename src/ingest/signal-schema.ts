/**
 * The wire contract of a signal (CONTRACT §3) as zod 4 schemas. Each schema checks one part and outputs
 * domain values (`Decimal` prices, epoch-ms times, defaults filled in); rules that span parts (size kind vs
 * side, order type vs prices, bracket sides) live in `parse-signal.ts`. Invariants:
 *  - numbers must be finite; prices, money and percentages also accept a plain decimal string ("190.25")
 *    and are converted with `new Decimal(String(x))`, never through float arithmetic;
 *  - nested objects (instrument, size, order, bracket, algo) are strict: an unknown key is an error, so a
 *    typo such as `secTyp` cannot silently fall back to a default. The top level is lenient: unknown
 *    fields are accepted and dropped (producers add fields);
 *  - every text that reaches the broker (symbol, exchanges, algo names and params) is printable ASCII of a
 *    sensible length: the TWS protocol separates fields with NUL and @stoqey/ib does not escape it, so a
 *    control character would split a field on the wire.
 */
import { z } from 'zod';
import { ACCOUNT_TYPES, Decimal, ORDER_TYPES, SEC_TYPES, TIFS } from '../domain/types.js';

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** A short, quoted rendering of a received value for error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : typeof v;
}

interface DecimalBounds {
  /** exclusive lower bound (default 0: strictly positive) */
  readonly gt?: number;
  /** inclusive upper bound */
  readonly lte?: number;
  /** exclusive upper bound */
  readonly lt?: number;
}

function boundsText(b: DecimalBounds): string {
  const parts = [`> ${b.gt ?? 0}`];
  if (b.lte !== undefined) parts.push(`≤ ${b.lte}`);
  if (b.lt !== undefined) parts.push(`< ${b.lt}`);
  return parts.join(' and ');
}

/**
 * A price, amount or percentage: a finite number or a decimal string, within `bounds` (default: > 0).
 * Output is a `Decimal`. Wrap in `.optional()` for optional fields (undefined then short-circuits).
 */
export function decimalField(bounds: DecimalBounds = {}) {
  return z.unknown().transform((v, ctx): Decimal => {
    const text = typeof v === 'string' ? v.trim() : undefined;
    const ok = (typeof v === 'number' && Number.isFinite(v)) || (text !== undefined && DECIMAL_TEXT.test(text));
    if (!ok) {
      const message = v === undefined ? 'required' : `expected a finite number, received ${describeValue(v)}`;
      ctx.issues.push({ code: 'custom', message, input: v });
      return z.NEVER;
    }
    const d = new Decimal(String(text ?? v));
    const inRange =
      d.gt(bounds.gt ?? 0) &&
      (bounds.lte === undefined || d.lte(bounds.lte)) &&
      (bounds.lt === undefined || d.lt(bounds.lt));
    if (!inRange) {
      ctx.issues.push({ code: 'custom', message: `expected a number ${boundsText(bounds)}, received ${describeValue(v)}`, input: v });
      return z.NEVER;
    }
    return d;
  });
}

/** An ISO-8601 date-time with a time zone (`Z` or `±hh:mm`), output as epoch milliseconds. */
export const isoInstant = z
  .string()
  .check(z.iso.datetime({ offset: true, error: (i) => `expected an ISO-8601 date-time with a time zone, received ${describeValue(i.input)}` }))
  .transform((s) => Date.parse(s));


/**
 * A trimmed string matching `re`, or the error `expected <what>, received <value>`; a non-string gets the
 * same sentence (never the schema library's default text).
 */
function textField(re: RegExp, what: string) {
  return z.unknown().transform((v, ctx): string => {
    const t = typeof v === 'string' ? v.trim() : undefined;
    if (t === undefined || !re.test(t)) {
      ctx.issues.push({ code: 'custom', message: v === undefined ? 'required' : `expected ${what}, received ${describeValue(v)}`, input: v });
      return z.NEVER;
    }
    return t;
  });
}

/** 1–32 printable ASCII characters, inner single spaces allowed ("BRK B"). */
export const SYMBOL_RE = /^[\x21-\x7E]+( [\x21-\x7E]+)*$/;
export const symbolField = textField(SYMBOL_RE, '1–32 printable ASCII characters (e.g. AAPL, BRK B, EUR)').check((ctx) => {
  if (ctx.value.length > 32) ctx.issues.push({ code: 'custom', message: `expected 1–32 printable ASCII characters (e.g. AAPL, BRK B, EUR), received ${ctx.value.length} characters`, input: ctx.value });
});
/** An exchange code: 1–20 of A-Z a-z 0-9 . _ / - (SMART, NASDAQ, CME, IDEALPRO). */
export const exchangeField = textField(/^[A-Za-z0-9._/-]{1,20}$/, 'an exchange code of 1–20 characters A-Z a-z 0-9 . _ / - (e.g. SMART, NASDAQ, CME)');


export const SIGNAL_ID = /^[A-Za-z0-9._:-]{1,40}$/;

export const signalIdSchema = z
  .string()
  .regex(SIGNAL_ID, { error: (i) => `expected 1–40 characters of A-Z a-z 0-9 . _ : -, received ${describeValue(i.input)}` });

export const instrumentSchema = z.strictObject({
  symbol: symbolField,
  secType: z.enum(SEC_TYPES).default('STK'),
  exchange: exchangeField.default('SMART'),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, { error: (i) => `expected a 3-letter ISO currency code, received ${describeValue(i.input)}` })
    .transform((s) => s.toUpperCase())
    .default('USD'),
  primaryExchange: exchangeField.optional(),
  conId: z.int().positive().optional(),
  lastTradeDateOrContractMonth: z
    .string()
    .regex(/^\d{6}(\d{2})?$/, { error: (i) => `expected YYYYMM or YYYYMMDD, received ${describeValue(i.input)}` })
    .optional(),
  strike: decimalField().optional(),
  right: z
    .enum(['C', 'P', 'CALL', 'PUT'])
    .transform((r): 'C' | 'P' => (r === 'C' || r === 'CALL' ? 'C' : 'P'))
    .optional(),
  multiplier: z
    .unknown()
    .transform((v, ctx): string => {
      const ok = (typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e9) || (typeof v === 'string' && /^\d{1,9}(\.\d{1,6})?$/.test(v) && Number(v) > 0);
      if (!ok) {
        ctx.issues.push({ code: 'custom', message: `expected a positive number such as 50 or "100", received ${describeValue(v)}`, input: v });
        return z.NEVER;
      }
      return String(v);
    })
    .optional(),
  /** options: choose the contract by delta and days to expiry (issue 12) */
  select: z
    .strictObject({
      /** target delta; the sign is ignored (−0.30 and 0.30 are the same for a put) */
      delta: decimalField({ gt: -1, lte: 1 }).refine((x) => !x.isZero(), { error: 'expected a delta between −1 and 1 other than 0' }),
      dte: z.tuple([z.int().min(0), z.int().min(0)]).refine(([a, b]) => a <= b, { error: 'expected [min, max] with min ≤ max' }),
    })
    .optional(),
}).superRefine((i, ctx) => {
  if (!i.select) return;
  if (i.secType !== 'OPT') ctx.addIssue({ code: 'custom', path: ['select'], message: 'select is for options: expected secType "OPT"' });
  if (!i.right) ctx.addIssue({ code: 'custom', path: ['right'], message: 'required with select (C or P)' });
  for (const k of ['conId', 'strike', 'lastTradeDateOrContractMonth'] as const) {
    if (i[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'not allowed with select (the contract is chosen from the chain)' });
  }
});

const PERCENT = { gt: 0, lte: 100 } as const;

/** The five size kinds, in the order error messages list them. */
export const SIZE_KINDS = ['quantity', 'notional', 'equityPercent', 'riskPercent', 'positionPercent'] as const;

/** The raw size object; "exactly one kind" is checked here, kind-vs-side in parse-signal. */
export const sizeSchema = z
  .strictObject({
    quantity: z
      .int({ error: (i) => `expected a positive whole number, received ${describeValue(i.input)}` })
      .positive().max(Number.MAX_SAFE_INTEGER).optional(),
    notional: decimalField().optional(),
    equityPercent: decimalField(PERCENT).optional(),
    riskPercent: decimalField(PERCENT).optional(),
    positionPercent: decimalField(PERCENT).optional(),
  })
  .check((ctx) => {
    const given = Object.values(ctx.value).filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.issues.push({
        code: 'custom',
        message: `expected exactly one of ${SIZE_KINDS.join(', ')}${given > 1 ? `, received ${given}` : ''}`,
        input: ctx.value,
      });
    }
  });

const ALGO_NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const ALGO_VALUE = /^[\x20-\x7E]{0,64}$/;

/** Algo params: at most 20 entries, names like `adaptivePriority`, values printable ASCII (≤ 64) as text. */
const algoParams = z.unknown().transform((v, ctx): Record<string, string> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    ctx.issues.push({ code: 'custom', message: `expected an object of algo parameters, received ${describeValue(v)}`, input: v });
    return z.NEVER;
  }
  const out: Record<string, string> = {};
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 20) ctx.issues.push({ code: 'custom', message: `expected at most 20 algo parameters, received ${entries.length}`, input: v });
  for (const [k, raw] of entries) {
    const text = typeof raw === 'string' ? raw : typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : typeof raw === 'boolean' ? String(raw) : undefined;
    if (!ALGO_NAME.test(k)) {
      ctx.issues.push({ code: 'custom', path: [k], message: `expected a parameter name of 1–40 letters, digits and _ (starting with a letter), received ${describeValue(k)}`, input: k });
    } else if (text === undefined || !ALGO_VALUE.test(text)) {
      ctx.issues.push({ code: 'custom', path: [k], message: `expected a string (0–64 printable ASCII characters), a finite number or true/false, received ${describeValue(raw)}`, input: raw });
    } else out[k] = text;
  }
  return out;
});

export const algoSchema = z.strictObject({
  strategy: textField(ALGO_NAME, 'an IB algo name of 1–40 letters, digits and _ (e.g. Adaptive, Twap, ArrivalPx)'),
  params: algoParams.default({}),
});

export const orderSchema = z.strictObject({
  type: z.enum(ORDER_TYPES).default('MKT'),
  limitPrice: decimalField().optional(),
  stopPrice: decimalField().optional(),
  trailingPercent: decimalField({ gt: 0, lt: 100 }).optional(),
  tif: z.enum(TIFS).default('DAY'),
  outsideRth: z.boolean().default(false),
  algo: algoSchema.optional(),
});

export const bracketSchema = z.strictObject({
  takeProfit: decimalField(),
  stopLoss: decimalField(),
});

export const accountsSchema = z.union(
  [
    z.literal('ALL'),
    z
      .array(z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, { error: (i) => `expected an account id, received ${describeValue(i.input)}` }))
      .min(1, { error: 'expected at least one account id' })
      .refine((ids) => new Set(ids).size === ids.length, { error: 'expected distinct account ids, received a duplicate' }),
    z.strictObject({ types: z.array(z.enum(ACCOUNT_TYPES)).min(1) }),
  ],
  {
    error: (i) =>
      `expected "ALL", a non-empty list of distinct account ids, or {"types": [${ACCOUNT_TYPES.join(', ')}]}, received ${describeValue(i.input)}`,
  },
);

/** The whole signal as it arrives on the queue; output is the wire shape with defaults and Decimals. */
export const signalWireSchema = z.object({
  id: signalIdSchema,
  createdAt: isoInstant,
  expiresAt: isoInstant.optional(),
  source: textField(/^[^\p{Cc}]{1,200}$/u, '1–200 characters without control characters').optional(),
  instrument: instrumentSchema,
  side: z.enum(['BUY', 'SELL']),
  size: sizeSchema,
  order: orderSchema.default({ type: 'MKT', tif: 'DAY', outsideRth: false }),
  bracket: bracketSchema.optional(),
  accounts: accountsSchema.default('ALL'),
  meta: z.record(z.string(), z.unknown()).optional(),
});

export type SignalWire = z.output<typeof signalWireSchema>;
export type OrderWire = z.output<typeof orderSchema>;
export type BracketWire = z.output<typeof bracketSchema>;
export type SizeWire = z.output<typeof sizeSchema>;
