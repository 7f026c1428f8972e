/**
 * The futures an account holds and has working, with the initial margin each contract needs: what the
 * IRA futures rule sums (CONTRACT §4 `IRA_FUTURES_MARGIN`). Pure. Invariants:
 *  - one line per contract (conId when known, else symbol): held position, remaining working buys and sells;
 *  - the worst case of a line is the larger of |position + working buys| and |position − working sells|
 *    (every buy filling, or every sell filling), so margin is never counted twice for an order that closes;
 *  - a line whose initial margin is unknown is listed in `unknown`: the rule then denies (fail closed).
 */
import type { Decimal, AccountSnapshot, Side, WorkingOrder } from '../domain/types.js';
import { ZERO } from '../domain/money.js';

export interface FuturesLine {
  readonly key: string;
  readonly symbol: string;
  readonly position: number;
  readonly workingBuys: number;
  readonly workingSells: number;
  /** initial margin per contract (account base currency), when known */
  readonly margin?: Decimal;
}

export interface FuturesBook {
  readonly lines: readonly FuturesLine[];
}

/** The book key of a futures contract: `#conId` when known, else the symbol. */
export const futuresKey = (conId: number | undefined, symbol: string): string => (conId !== undefined ? `#${conId}` : symbol.toUpperCase());

/** Builds the book from the snapshot's FUT positions and our working FUT orders; `margins` by key. */
export function futuresBook(account: AccountSnapshot, working: readonly WorkingOrder[], margins: ReadonlyMap<string, Decimal>): FuturesBook {
  const lines = new Map<string, { symbol: string; position: number; workingBuys: number; workingSells: number }>();
  const line = (key: string, symbol: string) => {
    let l = lines.get(key);
    if (!l) lines.set(key, (l = { symbol, position: 0, workingBuys: 0, workingSells: 0 }));
    return l;
  };
  for (const p of account.positions) if (p.secType === 'FUT' && p.account === account.id) line(futuresKey(p.conId, p.symbol), p.symbol).position += p.quantity;
  for (const w of working) {
    if (w.secType !== 'FUT' || w.account !== account.id) continue;
    const l = line(futuresKey(w.conId, w.symbol), w.symbol);
    if (w.side === 'BUY') l.workingBuys += w.remaining;
    else l.workingSells += w.remaining;
  }
  return {
    lines: [...lines].map(([key, l]) => {
      const margin = margins.get(key);
      return { key, ...l, ...(margin ? { margin } : {}) };
    }),
  };
}

const worst = (l: Pick<FuturesLine, 'position' | 'workingBuys' | 'workingSells'>): number =>
  Math.max(Math.abs(l.position + l.workingBuys), Math.abs(l.position - l.workingSells));

/** The book with `delta` added to one line's position (a bracket child is judged after its entry filled). */
export function shiftPosition(book: FuturesBook, key: string, delta: number): FuturesBook {
  return { lines: book.lines.map((l) => (l.key === key ? { ...l, position: l.position + delta } : l)) };
}

export interface FuturesNeed {
  /** Σ worst-case contracts × initial margin over every line, with the order added (before the IRA multiplier) */
  readonly margin: Decimal;
  /** the same without the order */
  readonly marginBefore: Decimal;
  /** symbols whose margin is unknown */
  readonly unknown: readonly string[];
  /** worst-case contracts over the book with the order */
  readonly contracts: number;
}

/**
 * Initial margin the account needs with one more order (`key`, `side`, `quantity`, `margin` per contract)
 * on top of the book.
 */
export function futuresNeed(book: FuturesBook, order: { key: string; symbol: string; side: Side; quantity: number; margin?: Decimal }): FuturesNeed {
  const existing = book.lines.find((l) => l.key === order.key);
  const mine: FuturesLine = existing ?? { key: order.key, symbol: order.symbol, position: 0, workingBuys: 0, workingSells: 0 };
  const withOrder: FuturesLine = {
    ...mine,
    ...(order.margin ? { margin: order.margin } : {}),
    workingBuys: mine.workingBuys + (order.side === 'BUY' ? order.quantity : 0),
    workingSells: mine.workingSells + (order.side === 'SELL' ? order.quantity : 0),
  };
  const all = [...book.lines.filter((l) => l.key !== order.key), withOrder];
  const before = [...book.lines.filter((l) => l.key !== order.key), { ...mine, ...(order.margin ? { margin: order.margin } : {}) }];
  const sum = (ls: readonly FuturesLine[]) => ls.reduce((s, l) => (l.margin ? s.plus(l.margin.mul(worst(l))) : s), ZERO);
  const unknown = all.filter((l) => !l.margin && worst(l) > 0).map((l) => l.symbol);
  return { margin: sum(all), marginBefore: sum(before), unknown, contracts: all.reduce((s, l) => s + worst(l), 0) };
}

/** Initial margin the book needs as it is (no new order), and the symbols whose margin is unknown. */
export function heldFuturesMargin(book: FuturesBook): { readonly margin: Decimal; readonly unknown: readonly string[] } {
  const live = book.lines.filter((l) => worst(l) > 0);
  return {
    margin: live.reduce((s, l) => (l.margin ? s.plus(l.margin.mul(worst(l))) : s), ZERO),
    unknown: live.filter((l) => !l.margin).map((l) => l.symbol),
  };
}

/** Worst-case contracts on one line of the book (0 when absent). */
export const lineContracts = (book: FuturesBook, key: string): number => {
  const l = book.lines.find((x) => x.key === key);
  return l ? worst(l) : 0;
};

