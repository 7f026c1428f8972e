/**
 * The Client Portal Web API pacing limits as IBKR documents them (gateway mode): a global 10 requests
 * per second, plus per-endpoint limits. A client over a limit gets 429; repeated violations put the
 * client in the "penalty box" (every request 429) for about ten minutes. Shared by the simulator
 * (which enforces them) and the client (which paces itself under them), so both read one table.
 */

/** One limit: at most `count` requests per `windowMs`. */
export interface CpLimit {
  readonly key: string;
  readonly count: number;
  readonly windowMs: number;
}

/** The global limit of the local gateway. */
export const CP_GLOBAL_LIMIT: CpLimit = { key: 'global', count: 10, windowMs: 1000 };

/** The penalty box: this many 429s within `windowMs` lock the client out for `penaltyMs`. */
export const CP_PENALTY = { violations: 3, windowMs: 60_000, penaltyMs: 600_000 } as const;

const ENDPOINT_LIMITS: readonly (readonly [RegExp, CpLimit])[] = [
  [/^\/tickle$/, { key: 'tickle', count: 1, windowMs: 1000 }],
  [/^\/sso\/validate$/, { key: 'sso-validate', count: 1, windowMs: 60_000 }],
  [/^\/iserver\/marketdata\/snapshot$/, { key: 'snapshot', count: 10, windowMs: 1000 }],
  [/^\/portfolio\/accounts$/, { key: 'portfolio-accounts', count: 1, windowMs: 5000 }],
  [/^\/portfolio\/subaccounts$/, { key: 'portfolio-subaccounts', count: 1, windowMs: 5000 }],
  [/^\/iserver\/account\/orders$/, { key: 'live-orders', count: 1, windowMs: 5000 }],
  [/^\/iserver\/account\/trades$/, { key: 'trades', count: 1, windowMs: 5000 }],
  [/^\/iserver\/account\/pnl\/partitioned$/, { key: 'pnl', count: 1, windowMs: 5000 }],
  [/^\/iserver\/scanner\/params$/, { key: 'scanner-params', count: 1, windowMs: 900_000 }],
];

/** The per-endpoint limit of a GET/POST path under /v1/api (undefined: only the global limit applies). */
export function endpointLimit(method: string, path: string): CpLimit | undefined {
  if (method === 'GET' || method === 'POST') {
    for (const [re, limit] of ENDPOINT_LIMITS) {
      if (re.test(path)) {
        // live orders: only the GET is limited (the POST /iserver/account/orders does not exist)
        return limit;
      }
    }
  }
  return undefined;
}

/** A limit with its window scaled (tests run the documented limits 100× faster with scale 0.01). */
export function scaled(limit: CpLimit, scale: number): CpLimit {
  return { ...limit, windowMs: Math.max(1, Math.round(limit.windowMs * scale)) };
}
