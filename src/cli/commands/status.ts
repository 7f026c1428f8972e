/**
 * `ibkr-exec status` (CONTRACT §6): connection, linked accounts, trading state, queue depth — plus the
 * outbox by state and the last audit seq. Human tables by default, `--json` for one object.
 *
 * Redis is required (exit 1 when unreachable: without it nothing here is known). The broker is not: the
 * command tries TWS / IB Gateway at the config's host/port once (`reconnect: false`, short timeout) with a
 * client id of its own — `--client-id`, else `ib.clientId + 100`, never the daemon's, which TWS would
 * refuse with 326 (or worse, take from the daemon) — and when that fails it says so in the output and
 * still exits 0.
 */
import { readLeader, type LeaseHolder } from '../../infra/lease.js';
import type { Command } from 'commander';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { redisPassword } from '../../config.js';
import { ORDER_STATES } from '../../domain/order-state.js';
import type { TradingState } from '../../domain/types.js';
import { effectiveState, TradingStateStore } from '../../infra/trading-state.js';
import { tailAudit } from '../../infra/audit.js';
import { redisOptionsFor } from '../../infra/redis.js';
import type { BrokerAccountSummary } from '../../execution/broker-port.js';
import type { StateLossRecord } from '../../infra/state-dir.js';
import { cliConfig, cliKeys, cliRedis, cliSecrets, connectCliBroker, globalOptions } from '../context.js';
import { CliError, formatTable } from '../output.js';
import { connectionErrorMessage } from './queries.js';

/** What status needs from a broker session. */
export interface StatusBroker {
  managedAccounts(): Promise<readonly string[]>;
  accountSummaries(): Promise<readonly BrokerAccountSummary[]>;
  disconnect(): Promise<void>;
}

export interface StatusDeps {
  readonly loadConfig?: (cmd: Command) => Config;
  readonly connect?: (c: { host: string; port: number; clientId: number; timeoutMs: number }) => Promise<StatusBroker>;
  /** where output goes (default process.stdout) */
  readonly out?: (text: string) => void;
}

export interface StatusReport {
  readonly connection: { host: string; port: number; clientId: number; connected: boolean; error?: string };
  readonly accounts: readonly {
    account: string;
    declaredType: string | null;
    label: string | null;
    /** linked at IB; null when the broker could not be asked */
    linked: boolean | null;
    brokerAccountType: string | null;
    tradingState: TradingState | null;
    effectiveState: TradingState | null;
  }[];
  readonly tradingState: { global: TradingState; accounts: Readonly<Record<string, TradingState>> };
  readonly queue: { name: string; counts: Readonly<Record<string, number>> };
  readonly outbox: Readonly<Record<string, number>>;
  readonly audit: { key: string; lastSeq: number; lastTs: string | null };
  /** scopes whose value reads HALTED because it is missing, unsigned, forged or replayed: why */
  readonly tradingStateProblems: Readonly<Record<string, string>>;
  /** a loss of Redis state not yet ended by `ibkr-exec resume` (CONTRACT §2 stateDir) */
  readonly stateLoss: StateLossRecord | null;
  /** with `ha.enabled`: the daemon holding the leader lease, null when none does (docs/ha.md) */
  readonly leader?: LeaseHolder | null;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children', 'failed', 'completed'] as const;

const defaultConnect: NonNullable<StatusDeps['connect']> = connectCliBroker;

interface StatusOpts {
  clientId?: string;
  timeout?: string;
}

/** Registers `status`. */
export function registerStatusCommand(program: Command, deps: StatusDeps = {}): void {
  program
    .command('status')
    .description('connection, linked accounts, trading state, queue depth, outbox and audit')
    .option('--client-id <n>', 'IB client id for this session (default: config ib.clientId + 100)')
    .option('--timeout <seconds>', 'how long to wait for TWS / IB Gateway', '5')
    .action(async (o: StatusOpts, cmd: Command) => {
      const config = (deps.loadConfig ?? cliConfig)(cmd);
      const clientId = o.clientId !== undefined ? Number(o.clientId) : config.ib.clientId + 100;
      if (!Number.isInteger(clientId) || clientId < 0) throw new CliError(`--client-id: expected a non-negative integer, received ${o.clientId}`, 2);
      const seconds = Number(o.timeout ?? '5');
      if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`--timeout: expected a positive number of seconds, received ${o.timeout}`, 2);
      const report = await collectStatus(config, { clientId, timeoutMs: seconds * 1000, connect: deps.connect ?? defaultConnect });
      const out = deps.out ?? ((t: string) => void process.stdout.write(t));
      out((globalOptions(cmd).json ? JSON.stringify(report, null, 2) : formatStatus(report)) + '\n');
    });
}

/** Gathers the report; throws CliError (exit 1) only when Redis is unreachable. */
export async function collectStatus(
  config: Config,
  o: { clientId: number; timeoutMs: number; connect: NonNullable<StatusDeps['connect']> },
): Promise<StatusReport> {
  const redis = await cliRedis(config);
  try {
    const [local, broker] = await Promise.all([redisFacts(config, redis), brokerFacts(config, o)]);
    const accounts = mergeAccounts(config, local.tradingState, broker);
    return { connection: broker.connection, accounts, ...local };
  } finally {
    redis.disconnect();
  }
}

async function redisFacts(config: Config, redis: Redis): Promise<Omit<StatusReport, 'connection' | 'accounts'>> {
  const keys = cliKeys(config);
  const ids = config.accounts.map((a) => a.id);
  let controlKey: Buffer;
  let keyProblem: string | undefined;
  try {
    controlKey = cliSecrets(config).controlKey;
  } catch (e) {
    controlKey = Buffer.alloc(32); // every value then reads HALTED, and the problem says why
    keyProblem = (e as Error).message;
  }
  const readings = await new TradingStateStore(redis, keys, controlKey).readings(ids);
  const tradingState = { global: readings.global?.state ?? 'HALTED', accounts: Object.fromEntries(ids.map((a) => [a, readings[a]?.state ?? 'HALTED'])) } as StatusReport['tradingState'];
  const tradingStateProblems = Object.fromEntries(Object.entries(readings).filter(([, r]) => r.problem !== undefined).map(([k, r]) => [k, keyProblem ?? r.problem ?? '']));
  const lossRaw = await redis.get(keys.stateLoss);
  const stateLoss = lossRaw === null ? null : parseLoss(lossRaw);
  const sizes = await Promise.all(ORDER_STATES.map((s) => redis.scard(keys.outboxState(s))));
  const outbox = Object.fromEntries(ORDER_STATES.map((s, i) => [s, sizes[i] ?? 0]));
  const [last] = await tailAudit(redis, keys.audit, 1);
  const password = redisPassword(process.env);
  const queue = new Queue(config.queue.name, { connection: { url: config.redis.url, ...redisOptionsFor({ role: 'producer', ...(password ? { password } : {}) }) } });
  queue.on('error', () => undefined);
  try {
    const counts = await queue.getJobCounts(...QUEUE_STATES);
    const leader = config.ha.enabled ? { leader: (await readLeader(redis, keys)) ?? null } : {};
    return { tradingState, queue: { name: config.queue.name, counts }, outbox, audit: { key: keys.audit, lastSeq: last?.seq ?? 0, lastTs: last?.ts ?? null }, tradingStateProblems, stateLoss, ...leader };
  } finally {
    await queue.close();
  }
}

/** The loss record; an unreadable one is still shown as a loss (never hidden). */
function parseLoss(raw: string): StateLossRecord {
  try {
    return JSON.parse(raw) as StateLossRecord;
  } catch {
    return { reason: 'redis state lost', detectedAt: '?', why: 'the loss record in Redis is unreadable', when: '?', lostEpoch: '?', epoch: '?', lostAuditHead: null };
  }
}

interface BrokerFacts {
  readonly connection: StatusReport['connection'];
  readonly linked?: readonly string[];
  readonly summaries?: readonly BrokerAccountSummary[];
}

async function brokerFacts(config: Config, o: { clientId: number; timeoutMs: number; connect: NonNullable<StatusDeps['connect']> }): Promise<BrokerFacts> {
  const { host, port } = config.ib;
  const base = { host, port, clientId: o.clientId };
  let broker: StatusBroker;
  try {
    broker = await o.connect({ host, port, clientId: o.clientId, timeoutMs: o.timeoutMs });
  } catch (e) {
    return { connection: { ...base, connected: false, error: connectionErrorMessage(host, port, o.clientId, e) } };
  }
  try {
    const linked = await broker.managedAccounts();
    const summaries = await broker.accountSummaries().catch(() => undefined);
    return { connection: { ...base, connected: true }, linked, ...(summaries ? { summaries } : {}) };
  } catch (e) {
    return { connection: { ...base, connected: false, error: connectionErrorMessage(host, port, o.clientId, e) } };
  } finally {
    await broker.disconnect().catch(() => undefined);
  }
}

/** Declared accounts in config order, then linked-but-undeclared ones (never traded). */
function mergeAccounts(config: Config, ts: StatusReport['tradingState'], b: BrokerFacts): StatusReport['accounts'] {
  const ids = [...config.accounts.map((a) => a.id), ...(b.linked ?? []).filter((id) => !config.accounts.some((a) => a.id === id))];
  return ids.map((id) => {
    const decl = config.accounts.find((a) => a.id === id);
    const own = ts.accounts[id];
    return {
      account: id,
      declaredType: decl?.type ?? null,
      label: decl?.label ?? null,
      linked: b.linked ? b.linked.includes(id) : null,
      brokerAccountType: b.summaries?.find((s) => s.account === id)?.accountType ?? null,
      tradingState: decl && own ? own : null,
      effectiveState: decl && own ? effectiveState(ts.global, own) : null,
    };
  });
}

/** The human rendering: an overview table, then one row per account. */
export function formatStatus(r: StatusReport): string {
  const c = r.connection;
  const conn = c.connected ? `connected to ${c.host}:${c.port} (client id ${c.clientId})` : `NOT CONNECTED — ${c.error ?? 'unreachable'}`;
  // the depth (waiting, active, delayed) always; the other counts when there are any
  const depth = ['waiting', 'active', 'delayed'];
  const counts = Object.entries(r.queue.counts).filter(([k, n]) => depth.includes(k) || n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  const outbox = Object.entries(r.outbox).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'empty';
  const loss = r.stateLoss;
  const lossRows = loss
    ? [['REDIS STATE LOST', `${loss.detectedAt}: ${loss.why}; ${loss.rebuilt ? `${loss.rebuilt.orders} order(s) re-adopted from the broker` : 'rebuilding from the broker'}; halted until "ibkr-exec resume"`]]
    : [];
  const problems = Object.entries(r.tradingStateProblems).map(([scope, why]) => [`state ${scope}`, `reads HALTED: ${why}`]);
  const overview = formatTable(['item', 'value'], [
    ['broker', conn],
    ...(r.leader !== undefined ? [['leader', r.leader ? `${r.leader.holder} (fencing token ${r.leader.token}, lease ${Math.ceil(r.leader.ttlMs / 1000)} s left)` : 'NONE: no daemon holds the lease']] : []),
    ...lossRows,
    ['trading state', r.tradingState.global],
    ...problems,
    [`queue ${r.queue.name}`, counts],
    ['outbox', outbox],
    ['audit', r.audit.lastSeq > 0 ? `last seq ${r.audit.lastSeq} at ${r.audit.lastTs ?? '?'}` : 'no records yet'],
  ]);
  const linked = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'NO');
  const accounts = formatTable(['account', 'declared type', 'label', 'linked', 'IB type', 'state', 'effective'],
    r.accounts.map((a) => [a.account, a.declaredType ?? 'undeclared (never traded)', a.label, linked(a.linked), a.brokerAccountType, a.tradingState, a.effectiveState]));
  return `${overview}\n\n${accounts}`;
}
