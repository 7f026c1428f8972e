/**
 * The state directory (config `stateDir`, CONTRACT §2): what must outlive Redis, on the daemon's own disk.
 *
 *   <stateDir>/keys/{control,audit}.key            the HMAC keys (see secrets.ts; 0600)
 *   <stateDir>/redis/<prefix>/epoch.json           the identity of the Redis state this daemon last saw
 *   <stateDir>/redis/<prefix>/audit-head.json      the last anchored audit head (seq, hash) with its epoch
 *   <stateDir>/redis/<prefix>/trading-state.json   the signed trading-state values as last set
 *   <stateDir>/redis/<prefix>/state-loss.json      the last detected loss of Redis state, and its rebuild
 *
 * One directory may serve several deployments (one per Redis key prefix). Directories are 0700, files
 * 0600; every write goes to a temporary file first and is renamed over the old one, so a crash leaves
 * the old or the new content, never half a file. A file that exists but cannot be parsed throws
 * `StateDirError` (fail closed: the daemon does not guess).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env } from './secrets.js';

/** `$XDG_STATE_HOME/ibkr-exec`, else `~/.local/state/ibkr-exec`. */
export function defaultStateDir(env: Env): string {
  const xdg = env.XDG_STATE_HOME?.trim();
  if (xdg) return join(xdg, 'ibkr-exec');
  return join(env.HOME?.trim() || homedir(), '.local', 'state', 'ibkr-exec');
}

/** A state file exists but is unreadable or malformed. */
export class StateDirError extends Error {
  override readonly name = 'StateDirError';
}

/** `epoch.json`: which Redis state this deployment knows. */
export interface EpochFile {
  readonly epoch: string;
  readonly since: string;
  /** earlier epochs, newest last (each one a detected loss) */
  readonly lost?: readonly string[];
}

/** `audit-head.json`: the anchored audit head. */
export interface AnchorFile {
  readonly epoch: string;
  readonly seq: number;
  readonly hash: string;
  readonly ts: string;
}

/** `trading-state.json`: Redis key → the signed value last seen there. */
export interface TradingStateMirror {
  readonly values: Readonly<Record<string, string>>;
}

/** `state-loss.json` (and `<prefix>:state-loss` in Redis): one detected loss. */
export interface StateLossRecord {
  readonly reason: 'redis state lost';
  readonly detectedAt: string;
  /** what showed the loss ("epoch missing", "audit head behind the anchor", …) */
  readonly why: string;
  readonly when: string;
  readonly lostEpoch: string;
  readonly epoch: string;
  readonly lostAuditHead: { readonly seq: number; readonly hash: string } | null;
  /** filled in once the outbox was rebuilt from the broker */
  readonly rebuilt?: {
    readonly at: string;
    readonly orders: number;
    readonly orderRefs: readonly string[];
    readonly executions: number;
    readonly orderIdHighWater: number;
  };
  /** set by `ibkr-exec resume` */
  readonly resumedAt?: string;
}

/** The state directory of one deployment (one Redis key prefix). */
export class StateDir {
  /** `<root>/redis/<prefix>` */
  readonly dir: string;

  constructor(
    readonly root: string,
    prefix: string,
  ) {
    this.dir = join(root, 'redis', prefix.replace(/[^A-Za-z0-9_.{}-]/g, '_'));
  }

  /** Creates the directories (0700) when missing; returns true when the root had to be created. */
  ensure(): boolean {
    const created = !existsSync(this.root);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (created) chmodSync(this.root, 0o700);
    return created;
  }

  readEpoch(): EpochFile | undefined {
    return this.read<EpochFile>('epoch.json', (v) => typeof v.epoch === 'string');
  }
  writeEpoch(e: EpochFile): void {
    this.write('epoch.json', e);
  }

  readAnchor(): AnchorFile | undefined {
    return this.read<AnchorFile>('audit-head.json', (v) => typeof v.seq === 'number' && typeof v.hash === 'string' && typeof v.epoch === 'string');
  }
  writeAnchor(a: AnchorFile): void {
    this.write('audit-head.json', a);
  }

  readMirror(): TradingStateMirror {
    return this.read<TradingStateMirror>('trading-state.json', (v) => typeof v.values === 'object' && v.values !== null) ?? { values: {} };
  }
  writeMirror(m: TradingStateMirror): void {
    this.write('trading-state.json', m);
  }

  readLoss(): StateLossRecord | undefined {
    return this.read<StateLossRecord>('state-loss.json', (v) => v.reason === 'redis state lost');
  }
  writeLoss(l: StateLossRecord): void {
    this.write('state-loss.json', l);
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  private read<T>(name: string, valid: (v: Record<string, unknown>) => boolean): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.path(name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateDirError(`cannot read ${this.path(name)} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new StateDirError(`${this.path(name)} is not valid JSON; restore it from a backup or remove it after checking the state by hand`);
    }
    if (v === null || typeof v !== 'object' || !valid(v as Record<string, unknown>)) throw new StateDirError(`${this.path(name)} does not hold what it should`);
    return v as T;
  }

  private write(name: string, value: unknown): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path(name)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path(name));
  }
}
