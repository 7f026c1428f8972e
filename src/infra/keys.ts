/**
 * Every Redis key the daemon uses besides the BullMQ queue, derived from `redis.prefix` (default "ibkr")
 * in one place (CONTRACT §1). Do not build key strings anywhere else.
 *
 * Public (CONTRACT): `<p>:orders`, `<p>:fills`, `<p>:audit`, `<p>:dead-letter`, `<p>:trading-state`,
 * `<p>:trading-state:<account>`. Internal (may change between versions): everything else.
 */
export interface Keys {
  readonly prefix: string;
  /** stream: one entry per order state change */
  readonly orders: string;
  /** stream: one entry per execution (deduped by execId) */
  readonly fills: string;
  /** stream: the hash-chained audit trail; never trimmed */
  readonly audit: string;
  /** string `<seq>:<hash>`: the audit chain head, written with each append (truncation detection) */
  readonly auditHead: string;
  /** stream: invalid signals */
  readonly deadLetter: string;
  /** string: global trading state */
  readonly tradingState: string;
  /** string: per-account trading state */
  tradingStateFor(account: string): string;
  /** set of execIds already published to `fills` */
  readonly fillSeen: string;
  /** hash execId-prefix → latest execId (corrections) */
  readonly fillLatest: string;
  /** set of execIds whose commission was published */
  readonly commissionSeen: string;
  /** hash execId → JSON {commission, currency} that arrived before its fill */
  readonly commissionPending: string;
  /** hash: one outbox record per orderRef */
  outboxOrder(orderRef: string): string;
  /** set of orderRefs in one outbox state */
  outboxState(state: string): string;
  /** set of orderRefs of one signal */
  outboxSignal(signalId: string): string;
  /** hash orderId → orderRef */
  readonly outboxByOrderId: string;
  /** string: JSON Outcome of a handled signal */
  outcome(signalId: string): string;
  /** string: highest IB order id ever used by this deployment */
  readonly orderId: string;
  /** string: epoch ms of the last reconciled executions time */
  readonly checkpoint: string;
  /** stream: operator commands to the running daemon (kill-switch cancels) */
  readonly control: string;
  /** string: JSON heartbeat of the running daemon (status) */
  readonly daemonStatus: string;
  /** string `<token>:<holder>` with a TTL: the leader lease of a hot-standby group (ha, docs/ha.md) */
  readonly leader: string;
  /** string: the fencing token counter (INCR on every acquisition; never goes back) */
  readonly leaderToken: string;
  /** string: the identity of this Redis state, written once (compared with the state directory's copy) */
  readonly epoch: string;
  /** string: JSON StateLossRecord of the last detected loss of Redis state (cleared by resume) */
  readonly stateLoss: string;
  /** where an audit trail that no longer continues is kept after a loss (never deleted) */
  auditArchive(epoch: string): string;
  /** hash orderRef → base-currency notional of the entry orders placed in `account` on UTC `day` (YYYY-MM-DD) */
  dailyNotional(account: string, day: string): string;
}

/** Build the key set for a prefix ("ibkr" → "ibkr:orders", …). The prefix must not end with ":". */
export function keysFor(prefix: string): Keys {
  if (prefix === '' || prefix.endsWith(':')) throw new Error(`invalid Redis key prefix ${JSON.stringify(prefix)}`);
  const k = (s: string): string => `${prefix}:${s}`;
  return Object.freeze({
    prefix,
    orders: k('orders'),
    fills: k('fills'),
    audit: k('audit'),
    auditHead: k('audit:head'),
    deadLetter: k('dead-letter'),
    tradingState: k('trading-state'),
    tradingStateFor: (account: string) => k(`trading-state:${account}`),
    fillSeen: k('fills:seen'),
    fillLatest: k('fills:latest'),
    commissionSeen: k('fills:commission-seen'),
    commissionPending: k('fills:commission-pending'),
    outboxOrder: (orderRef: string) => k(`outbox:order:${orderRef}`),
    outboxState: (state: string) => k(`outbox:state:${state}`),
    outboxSignal: (signalId: string) => k(`outbox:signal:${signalId}`),
    outboxByOrderId: k('outbox:by-order-id'),
    outcome: (signalId: string) => k(`outcome:${signalId}`),
    orderId: k('order-id'),
    checkpoint: k('reconcile:checkpoint'),
    control: k('control'),
    daemonStatus: k('daemon:status'),
    leader: k('leader'),
    leaderToken: k('leader:token'),
    epoch: k('epoch'),
    stateLoss: k('state-loss'),
    auditArchive: (epoch: string) => k(`audit:archived:${epoch}`),
    dailyNotional: (account: string, day: string) => k(`daily-notional:${account}:${day}`),
  });
}
