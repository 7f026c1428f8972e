/**
 * `ibkr-exec status` (CONTRACT §6): the running daemon's view — its heartbeat at `<prefix>:daemon:status`
 * (`src/app/heartbeat.ts`): its IB connection, each account's effective state as the daemon trades it
 * (ACTIVE / REDUCE_ONLY / HALTED / READ_ONLY / TYPE_MISMATCH / NOT_LINKED, and why) and whether it takes
 * signals — plus the queue depth, the outbox by state and the last audit seq read from Redis. When there is no
 * heartbeat (no daemon runs) or it is stale (the daemon is stuck or gone) the first line says so plainly.
 * Human tables by default, `--json` for one object.
 *
 * Redis is required (exit 1 when unreachable: without it nothing here is known). The broker is not: only
 * when no daemon runs, or with `--probe`, the command tries TWS / IB Gateway itself, once (`reconnect: false`,
 * short timeout), with a client id of its own — `--client-id`, else `ib.clientId + 100`, never the daemon's,
 * which TWS would refuse with 326 (or worse, take from the daemon) — and labels that row as this CLI's own
 * probe, never as the daemon's connection. A failed probe is shown in the output and still exits 0.
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
import type { AccountEffective, DaemonHeartbeat } from '../../app/heartbeat.js';
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

/** The daemon as its heartbeat shows it. */
export interface DaemonView {
  /** a fresh heartbeat exists */
  readonly running: boolean;
  /** a heartbeat exists but is older than its `staleAfterMs` */
  readonly stale: boolean;
  readonly key: string;
  readonly ageMs: number | null;
  /** one sentence: running, stale or not running */
  readonly message: string;
  readonly heartbeat: DaemonHeartbeat | null;
}

export interface StatusReport {
  readonly daemon: DaemonView;
  /** this CLI's own probe of TWS / IB Gateway (not the daemon's session): only when no daemon runs, or with --probe */
  readonly connection: { source: 'cli-probe'; host: string; port: number; clientId: number; connected: boolean; error?: string } | null;
  readonly accounts: readonly {
    account: string;
    declaredType: string | null;
    label: string | null;
    /** linked at IB; null when the broker could not be asked */
    linked: boolean | null;
    brokerAccountType: string | null;
    tradingState: TradingState | null;
    /** the daemon's effective state when it runs, else global × account from Redis */
    effectiveState: AccountEffective | null;
    /** why the account is not ACTIVE, as the daemon sees it (null when ACTIVE or no daemon runs) */
    why: string | null;
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
  probe?: boolean;
}

/** Registers `status`. */
export function registerStatusCommand(program: Command, deps: StatusDeps = {}): void {
  program
    .command('status')
    .description("the running daemon's view (heartbeat): its IB connection, each account's effective state, queue, outbox and audit")
    .option('--probe', "also connect to TWS / IB Gateway from this CLI (done anyway when no daemon runs)")
    .option('--client-id <n>', 'IB client id for the probe (default: config ib.clientId + 100)')
    .option('--timeout <seconds>', 'how long to wait for TWS / IB Gateway', '5')
    .action(async (o: StatusOpts, cmd: Command) => {
      const config = (deps.loadConfig ?? cliConfig)(cmd);
      const clientId = o.clientId !== undefined ? Number(o.clientId) : config.ib.clientId + 100;
      if (!Number.isInteger(clientId) || clientId < 0) throw new CliError(`--client-id: expected a non-negative integer, received ${o.clientId}`, 2);
      const seconds = Number(o.timeout ?? '5');
      if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`--timeout: expected a positive number of seconds, received ${o.timeout}`, 2);
      const report = await collectStatus(config, { clientId, timeoutMs: seconds * 1000, connect: deps.connect ?? defaultConnect, probe: o.probe === true });
      const out = deps.out ?? ((t: string) => void process.stdout.write(t));
      out((globalOptions(cmd).json ? JSON.stringify(report, null, 2) : formatStatus(report)) + '\n');
    });
}

/** Gathers the report; throws CliError (exit 1) only when Redis is unreachable. */
export async function collectStatus(
  config: Config,
  o: { clientId: number; timeoutMs: number; connect: NonNullable<StatusDeps['connect']>; probe?: boolean },
): Promise<StatusReport> {
  const redis = await cliRedis(config);
  try {
    const daemon = await daemonView(config, redis);
    const probe = o.probe === true || !daemon.running;
    const [local, broker] = await Promise.all([redisFacts(config, redis), probe ? brokerFacts(config, o) : Promise.resolve<BrokerFacts>({ connection: null })]);
    const accounts = mergeAccounts(config, local.tradingState, broker, daemon.running ? daemon.heartbeat : null);
    return { daemon, connection: broker.connection, accounts, ...local };
  } finally {
    redis.disconnect();
  }
}

/** Reads the heartbeat; missing, unreadable or stale each say so (never shown as a running daemon). */
async function daemonView(config: Config, redis: Redis): Promise<DaemonView> {
  const key = cliKeys(config).daemonStatus;
  const raw = await redis.get(key);
  if (raw === null) return { running: false, stale: false, key, ageMs: null, heartbeat: null, message: `NOT RUNNING — no daemon heartbeat at ${key}: no daemon runs for this config (redis.prefix ${config.redis.prefix}); "ibkr-exec daemon" starts one` };
  let hb: DaemonHeartbeat;
  try {
    hb = JSON.parse(raw) as DaemonHeartbeat;
    if (typeof hb.ts !== 'number' || !Array.isArray(hb.accounts)) throw new Error('not a heartbeat');
  } catch {
    return { running: false, stale: true, key, ageMs: null, heartbeat: null, message: `UNKNOWN — the heartbeat at ${key} is unreadable; treat the daemon as not running` };
  }
  const ageMs = Math.max(0, Date.now() - hb.ts);
  const who = `pid ${hb.pid} on ${hb.host}, started ${hb.startedAt}`;
  if (ageMs > hb.staleAfterMs) return { running: false, stale: true, key, ageMs, heartbeat: hb, message: `STALE — the last heartbeat is ${Math.round(ageMs / 1000)} s old (${who}): the daemon is stuck or gone` };
  const q = hb.queue;
  const taking = q.taking ? 'taking signals' : !q.consuming ? 'starting up (waiting for Redis / IB, reconciling)' : hb.restartWindow.inWindow ? "NOT taking signals: IB's nightly restart window" : 'NOT taking signals: IB is not ready';
  return { running: true, stale: false, key, ageMs, heartbeat: hb, message: `running (${who}; ${hb.mode}${hb.readOnly ? ', READ-ONLY' : ''}), ${taking}` };
}

async function redisFacts(config: Config, redis: Redis): Promise<Omit<StatusReport, 'connection' | 'accounts' | 'daemon'>> {
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
  const base = { source: 'cli-probe' as const, host, port, clientId: o.clientId };
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

/**
 * Declared accounts in config order, then linked-but-undeclared ones (never traded). A running daemon's view
 * wins: its effective state (and why), its linked accounts and IB account types; else the probe's.
 */
function mergeAccounts(config: Config, ts: StatusReport['tradingState'], b: BrokerFacts, hb: DaemonHeartbeat | null): StatusReport['accounts'] {
  const ids = [...config.accounts.map((a) => a.id), ...(b.linked ?? []).filter((id) => !config.accounts.some((a) => a.id === id))];
  return ids.map((id) => {
    const decl = config.accounts.find((a) => a.id === id);
    const own = ts.accounts[id];
    const d = hb?.accounts.find((a) => a.account === id);
    return {
      account: id,
      declaredType: decl?.type ?? null,
      label: decl?.label ?? null,
      linked: d ? d.linked : b.linked ? b.linked.includes(id) : null,
      brokerAccountType: d ? d.brokerAccountType : (b.summaries?.find((s) => s.account === id)?.accountType ?? null),
      tradingState: decl && own ? own : null,
      effectiveState: d ? d.effective : decl && own ? effectiveState(ts.global, own) : null,
      why: d?.why ?? null,
    };
  });
}

/** The human rendering: an overview table, then one row per account. */
export function formatStatus(r: StatusReport): string {
  const c = r.connection;
  const hb = r.daemon.running ? r.daemon.heartbeat : null;
  const ib = hb?.ib;
  const daemonIb = ib ? [['IB (daemon)', `${ib.state}${ib.state === 'CONNECTED' ? ' to' : ' —'} ${ib.host}:${ib.port} (client id ${ib.clientId})${ib.reason ? `: ${ib.reason}` : ''}${ib.code !== null ? ` [code ${ib.code}]` : ''}`]] : [];
  const probe = c ? [['broker (probe from this CLI, not the daemon)', c.connected ? `connected to ${c.host}:${c.port} (client id ${c.clientId})` : `NOT CONNECTED — ${c.error ?? 'unreachable'}`]] : [];
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
    ['daemon', r.daemon.message],
    ...daemonIb,
    ...probe,
    ...(r.leader !== undefined ? [['leader', r.leader ? `${r.leader.holder} (fencing token ${r.leader.token}, lease ${Math.ceil(r.leader.ttlMs / 1000)} s left)` : 'NONE: no daemon holds the lease']] : []),
    ...lossRows,
    ['trading state', r.tradingState.global],
    ...problems,
    [`queue ${r.queue.name}`, counts],
    ['outbox', outbox],
    ['audit', r.audit.lastSeq > 0 ? `last seq ${r.audit.lastSeq} at ${r.audit.lastTs ?? '?'}` : 'no records yet'],
  ]);
  const linked = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'NO');
  const accounts = formatTable(['account', 'declared type', 'label', 'linked', 'IB type', 'state', 'effective', 'why'],
    r.accounts.map((a) => [a.account, a.declaredType ?? 'undeclared (never traded)', a.label, linked(a.linked), a.brokerAccountType, a.tradingState, a.effectiveState, a.why ?? (hb ? '' : 'no daemon: from Redis only')]));
  return `${overview}\n\n${accounts}`;
}
