/**
 * The kill switch (CONTRACT §1, §6): `ibkr-exec halt [--account ID] [--cancel]`,
 * `ibkr-exec reduce-only [--account ID]`, `ibkr-exec resume [--account ID]`.
 *
 * Each command sets `<prefix>:trading-state` (global) or `<prefix>:trading-state:<account>` through
 * `TradingStateStore` (atomic SET … GET, so the previous value is exact), appends an audit record
 * `trading-state` `{scope, previous, current, by: "cli"}` and prints one line saying what changed
 * (`--json`: one object). The running daemon reads the state before every order, so the switch takes
 * effect for the next order without talking to the daemon.
 *
 * Every value is signed with the control key (trading-state.ts) and so is every control command; the key
 * comes from the secrets (`IBKR_EXEC_CONTROL_KEY_FILE`, else the state directory; `ibkr-exec init`).
 *
 * After a loss of Redis state the daemon halts globally with reason `redis state lost`; `resume` (global)
 * then shows that reason and what the daemon rebuilt from the broker, clears the loss record, and refuses
 * (exit 1) while the rebuild has not finished, unless `--force`.
 *
 * `halt --cancel` also XADDs a signed `{action: "cancel", account?}` to `<prefix>:control`: IB lets only the client
 * id that placed an order cancel it, so the running daemon's ControlListener does the cancelling (all
 * accounts: its working orders plus a global cancel; one account: that account's working orders).
 * Pitfalls: the daemon reads the control stream from the moment it starts, so a cancel request sent while
 * no daemon runs is not acted on later — the command says so; and `--account` must name a declared account
 * (a typo must not "succeed" while the real account keeps trading), else exit 2.
 */
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import type { TradingState } from '../../domain/types.js';
import { AuditLog } from '../../infra/audit.js';
import { TradingStateStore } from '../../infra/trading-state.js';
import type { Redis } from 'ioredis';
import { signControl } from '../../infra/signing.js';
import type { StateLossRecord } from '../../infra/state-dir.js';
import { cliConfig, cliKeys, cliRedis, cliSecrets, cliStateDir, globalOptions } from '../context.js';
import { CliError, printJson } from '../output.js';

/** Injectable parts (tests pass the config of an in-process stack and capture the output). */
export interface KillSwitchDeps {
  /** the validated config for a command (default: --config / IBKR_EXEC_CONFIG via `cliConfig`) */
  readonly loadConfig?: (cmd: Command) => Config;
  /** where the human line goes (default process.stdout); JSON always goes to stdout via printJson unless given */
  readonly out?: (text: string) => void;
}

/** What one invocation changed (the `--json` output). */
export interface TradingStateChangeReport {
  /** "global" or the account id */
  readonly scope: string;
  readonly previous: TradingState;
  readonly current: TradingState;
  readonly changed: boolean;
  /** audit seq of the `trading-state` record */
  readonly auditSeq: number;
  /** halt --cancel: the control stream entry id of the cancel request */
  readonly cancelRequestId?: string;
  /** what the change does not do: the global state still overrides the account's; a read-only config sends no cancel */
  readonly note?: string;
  /** global resume after a loss of Redis state: the loss and what was rebuilt */
  readonly stateLoss?: StateLossRecord;
}

interface SwitchOpts {
  account?: string;
  cancel?: boolean;
  reason?: string;
  force?: boolean;
  /** who asked, for the audit record (default "cli"; the MCP server passes "mcp") */
  by?: string;
}

/** Registers `halt`, `reduce-only` and `resume`. */
export function registerKillSwitchCommands(program: Command, deps: KillSwitchDeps = {}): void {
  const load = deps.loadConfig ?? cliConfig;
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const action = (current: TradingState) => async (o: SwitchOpts, cmd: Command) => {
    const config = load(cmd);
    const report = await setTradingState(config, current, o);
    if (globalOptions(cmd).json) {
      if (deps.out) out(JSON.stringify(report, null, 2) + '\n');
      else printJson(report);
    } else out(describeChange(report) + '\n');
  };

  program
    .command('halt')
    .description('kill switch: no new orders (globally, or for one account)')
    .option('--account <id>', 'halt only this declared account')
    .option('--cancel', "also ask the running daemon to cancel its working orders (of this account, or all)")
    .option('--reason <text>', 'why (stored in the signed value and the audit trail)')
    .action(action('HALTED'));
  program
    .command('reduce-only')
    .description('kill switch: only orders that reduce a position (globally, or for one account)')
    .option('--account <id>', 'only this declared account')
    .option('--reason <text>', 'why (stored in the signed value and the audit trail)')
    .action(action('REDUCE_ONLY'));
  program
    .command('resume')
    .description('kill switch off: trade normally again (globally, or for one account); after a loss of Redis state it shows what was rebuilt')
    .option('--account <id>', 'only this declared account')
    .option('--reason <text>', 'why (stored in the signed value and the audit trail)')
    .option('--force', 'resume after a loss of Redis state even though the daemon has not finished rebuilding from the broker')
    .action(action('ACTIVE'));
}

/**
 * Sets the trading state, audits the change and (halt --cancel) sends the cancel request. Exported for
 * callers other than commander. Throws CliError (exit 2) for an undeclared account, (exit 1) when Redis
 * is unreachable.
 */
export async function setTradingState(config: Config, current: TradingState, o: SwitchOpts = {}): Promise<TradingStateChangeReport> {
  const account = o.account?.trim();
  if (account !== undefined && !config.accounts.some((a) => a.id === account)) {
    const declared = config.accounts.map((a) => a.id).join(', ');
    throw new CliError(`--account: ${account || '(empty)'} is not declared in the config (declared: ${declared})`, 2);
  }
  const redis = await cliRedis(config);
  try {
    const secrets = cliSecrets(config);
    const keys = cliKeys(config);
    const store = new TradingStateStore(redis, keys, secrets.controlKey);
    const stateLoss = account === undefined && current === 'ACTIVE' ? await pendingLoss(redis, config, o.force === true) : undefined;
    const meta = { by: 'cli', ...(o.reason ? { reason: o.reason } : {}) };
    const previous = account === undefined ? await store.setGlobal(current, meta) : await store.setAccount(account, current, meta);
    const scope = account ?? 'global';
    let cancelRequestId: string | undefined;
    if (o.cancel && current === 'HALTED') {
      const fields = { action: 'cancel', ...(account !== undefined ? { account } : {}), ...(o.reason ? { reason: o.reason } : {}) };
      cancelRequestId = (await redis.xadd(keys.control, '*', ...signControl(secrets.controlKey, keys.control, fields, Date.now()))) ?? undefined;
    }
    const audit = new AuditLog(redis, keys.audit, secrets.auditKey);
    const { seq } = await audit.append({
      type: 'trading-state',
      ...(account !== undefined ? { account } : {}),
      data: { scope, previous, current, by: o.by ?? 'cli', ...(o.reason ? { reason: o.reason } : {}), ...(cancelRequestId !== undefined ? { cancelRequested: true } : {}), ...(stateLoss ? { stateLoss } : {}) },
    });
    if (stateLoss) await clearLoss(redis, config, stateLoss);
    const note = await noteFor(store, config, current, account, cancelRequestId !== undefined);
    return { scope, previous, current, changed: previous !== current, auditSeq: seq, ...(cancelRequestId !== undefined ? { cancelRequestId } : {}), ...(note ? { note } : {}), ...(stateLoss ? { stateLoss } : {}) };
  } finally {
    redis.disconnect();
  }
}

/** The unresolved loss of Redis state a global resume is about to end (Redis first, else the state directory). */
async function pendingLoss(redis: Redis, config: Config, force: boolean): Promise<StateLossRecord | undefined> {
  const raw = await redis.get(cliKeys(config).stateLoss);
  let loss: StateLossRecord | undefined;
  try {
    loss = raw !== null ? (JSON.parse(raw) as StateLossRecord) : cliStateDir(config).readLoss();
  } catch {
    loss = undefined;
  }
  if (loss === undefined || loss.resumedAt !== undefined) return undefined;
  if (loss.rebuilt === undefined && !force) {
    throw new CliError(`Redis lost its state (detected ${loss.detectedAt}: ${loss.why}) and the daemon has not finished rebuilding the outbox from the broker yet; wait for it (ibkr-exec status), or resume with --force`);
  }
  return loss;
}

async function clearLoss(redis: Redis, config: Config, loss: StateLossRecord): Promise<void> {
  await redis.del(cliKeys(config).stateLoss);
  const dir = cliStateDir(config);
  try {
    if (dir.readLoss()?.epoch === loss.epoch) dir.writeLoss({ ...loss, resumedAt: new Date().toISOString() });
  } catch {
    // the state directory lives with the daemon; a CLI elsewhere only clears the Redis record
  }
}

/** What the change does not do, if anything: a stricter global state, a read-only daemon that will not cancel. */
async function noteFor(store: TradingStateStore, config: Config, current: TradingState, account: string | undefined, cancel: boolean): Promise<string | undefined> {
  const notes: string[] = [];
  if (account !== undefined) {
    const eff = await store.effective(account);
    if (eff.effective !== current) notes.push(`the global state is ${eff.global}, so ${account} is effectively ${eff.effective}`);
  }
  if (cancel && config.readOnly) notes.push('the config is read-only: the daemon sends no cancel to the broker');
  return notes.length > 0 ? notes.join('; ') : undefined;
}

/** The one line a human reads. */
export function describeChange(r: TradingStateChangeReport): string {
  const where = r.scope === 'global' ? 'trading state (global)' : `trading state of ${r.scope}`;
  const what = r.changed ? `${where}: ${r.previous} → ${r.current}` : `${where}: already ${r.current} (unchanged)`;
  const cancel = r.cancelRequestId
    ? `; asked the running daemon to cancel its working orders${r.scope === 'global' ? ' (all accounts)' : ` of ${r.scope}`} — if no daemon is running, nothing cancels them`
    : '';
  return `${lossLines(r.stateLoss)}${what}${cancel} (audit seq ${r.auditSeq})${r.note ? `; note: ${r.note}` : ''}`;
}

/** What a resume after a loss of Redis state prints before the change itself. */
function lossLines(l: StateLossRecord | undefined): string {
  if (l === undefined) return '';
  const head = l.lostAuditHead ? `audit head seq ${l.lostAuditHead.seq} lost` : 'no anchored audit head';
  const rebuilt = l.rebuilt
    ? `rebuilt from the broker at ${l.rebuilt.at}: ${l.rebuilt.orders} order(s) re-adopted${l.rebuilt.orderRefs.length ? ` (${l.rebuilt.orderRefs.join(', ')})` : ''}, ${l.rebuilt.executions} execution(s) seen, order-id high-water mark ${l.rebuilt.orderIdHighWater}`
    : 'NOT rebuilt from the broker (--force)';
  return `trading was halted: ${l.reason} (detected ${l.detectedAt}, ${l.when}: ${l.why}; ${head})\n${rebuilt}\n`;
}
