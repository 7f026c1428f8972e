/**
 * The ports the MCP tools work over, and the per-session state. The tools never see a transport, a
 * socket or the SDK: `runtime.ts` builds an `McpContext` from the config (a query session of its own on
 * TWS, the daemon's Redis state, the daemon's queue), tests build one over the simulator.
 */
import type { StateDir } from '../infra/state-dir.js';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { Decimal, Outcome } from '../domain/types.js';
import type { BrokerPort } from '../execution/broker-port.js';
import type { Infra } from '../infra/index.js';
import type { PreviewStore } from './preview-store.js';

/** What the tools read from the broker: a query session with a client id of its own, never the daemon's. */
export interface McpBroker
  extends Pick<
    BrokerPort,
    'managedAccounts' | 'accountSummaries' | 'positions' | 'contractDetails' | 'quote' | 'historicalBars' | 'shortableShares' | 'whatIf' | 'openOrders' | 'executions'
    | 'optionChain' | 'optionChainParams'
  > {
  /** borrow fee in percent per year from IB's FEE_RATE data; undefined when IB sends none */
  borrowFee?(instrument: Parameters<BrokerPort['quote']>[0]): Promise<Decimal | undefined>;
  /** the session is up now */
  connected(): boolean;
  /** the negotiated TWS API server version, when known */
  serverVersion(): number | undefined;
  /** the client id of this query session */
  readonly clientId: number;
  /** waits (bounded) until the session is usable; rejects with a sentence saying why not */
  ready(timeoutMs: number): Promise<void>;
}

/** The daemon's queue, as the tools use it: one job per confirmed preview. */
export interface EnqueuePort {
  /** adds the job unless one with this id exists; resolves `false` when it already existed */
  add(jobId: string, payload: Readonly<Record<string, unknown>>): Promise<boolean>;
  /** the job's return value, or undefined when it has not finished within `timeoutMs`; rejects when it failed */
  outcome(jobId: string, timeoutMs: number): Promise<Outcome | undefined>;
  /** BullMQ state of a job ("waiting", "active", "completed", …), undefined when unknown */
  jobState(jobId: string): Promise<string | undefined>;
  /** workers consuming the queue now (the daemon), or undefined when that cannot be told */
  workers(): Promise<number | undefined>;
}

/** Everything a tool handler may use. */
export interface McpContext {
  readonly config: Config;
  /** config `readOnly`, or live mode without IBKR_EXEC_LIVE_ACCOUNTS: no what-if, no writes */
  readonly readOnly: boolean;
  /** IBKR_EXEC_LIVE_ACCOUNTS, parsed */
  readonly liveAccounts: readonly string[];
  readonly clock: Clock;
  readonly broker: McpBroker;
  /** the daemon's Redis state (same prefix): trading state, outbox, streams, audit */
  readonly infra: Omit<Infra, 'close'>;
  /** the deployment's keys: control commands are signed with `controlKey`, the audit chain keyed with `auditKey` */
  readonly secrets: { readonly controlKey: Buffer; readonly auditKey: Buffer };
  /** the daemon's state directory (the anchored audit head), when this host has it */
  readonly stateDir?: StateDir;
  readonly queue: EnqueuePort;
  readonly previews: PreviewStore;
  /** Redis answers a PING now */
  redisConnected(): Promise<boolean>;
  /** how long place_order waits for the pipeline's outcome before answering "pending" (default 30 s) */
  readonly outcomeWaitMs: number;
  /** how long a read waits for the broker session (default 5 s) */
  readonly brokerWaitMs: number;
}

/** Who is on the other end, for the audit trail. */
export interface McpClientInfo {
  readonly name: string;
  readonly version: string;
}

/** The user's answer to a confirmation request. */
export type ConfirmAnswer = 'accept' | 'decline' | 'cancel' | 'unsupported';

/** State of one MCP session (one client connection). */
export interface McpSession {
  /** the account `switch_account` chose; only this session's default, never the daemon's */
  defaultAccount?: string;
  /** the client's name and version from its initialize request */
  client(): McpClientInfo;
  /** asks the user to confirm (MCP elicitation) when the client supports it; else 'unsupported' */
  confirm(message: string): Promise<ConfirmAnswer>;
}
