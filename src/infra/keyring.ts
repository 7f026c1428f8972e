/**
 * The OS credential store (macOS Keychain, Windows Credential Manager, the Linux Secret Service) through
 * `@napi-rs/keyring`, as the first source of `secrets.ts`. Entries are service `ibkr-exec` (or
 * `IBKR_EXEC_KEYRING_SERVICE`), account = the secret's name (`redis-password`, `control-key`, …).
 *
 * The store is optional and must never hang or crash the caller: every call runs in a short-lived child
 * process with a hard timeout (`IBKR_EXEC_KEYRING_TIMEOUT_MS`, default 5000), so a Secret Service that
 * waits on an unlock prompt nobody will answer costs a few seconds and a debug line, not the daemon. The
 * child receives the request (and a value to store) on its standard input, never in its arguments.
 * On Linux the store is tried only when `DBUS_SESSION_BUS_ADDRESS` is set (otherwise libdbus would
 * autolaunch a bus of its own); `IBKR_EXEC_KEYRING=off` turns it off everywhere.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Env } from './secrets.js';

/** Where a debug line about the store goes (set by the daemon / CLI; silent by default). */
export interface DebugSink {
  debug(obj: object, msg?: string): void;
}

let sink: DebugSink = { debug: () => undefined };

/** Route the store's debug lines (never a value) to `logger`. */
export function setKeyringLogger(logger: DebugSink): void {
  sink = logger;
}

/** Why the store is not used, or undefined when it may be tried. */
export function keyringDisabledReason(env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  const flag = (env.IBKR_EXEC_KEYRING ?? '').trim().toLowerCase();
  if (['off', '0', 'false', 'no'].includes(flag)) return 'IBKR_EXEC_KEYRING is off';
  if (platform === 'linux' && !(env.DBUS_SESSION_BUS_ADDRESS ?? '').trim()) return 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)';
  if (modulePath() === undefined) return 'the @napi-rs/keyring module is not installed';
  return undefined;
}

/** The keyring service name entries are stored under. */
export const keyringService = (env: Env): string => (env.IBKR_EXEC_KEYRING_SERVICE ?? '').trim() || 'ibkr-exec';

let resolved: string | null | undefined;
function modulePath(): string | undefined {
  if (resolved === undefined) {
    try {
      resolved = createRequire(import.meta.url).resolve('@napi-rs/keyring');
    } catch {
      resolved = null;
    }
  }
  return resolved ?? undefined;
}

/** The request the child process handles. */
type Request =
  | { readonly op: 'list'; readonly service: string }
  | { readonly op: 'set'; readonly service: string; readonly name: string; readonly value: string }
  | { readonly op: 'delete'; readonly service: string; readonly name: string };

// Runs in the child: reads one JSON request from stdin, writes one JSON answer to stdout.
const CHILD = `
const k = require(process.argv[1]);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const out = (o) => process.stdout.write(JSON.stringify(o));
  try {
    const r = JSON.parse(input);
    if (r.op === 'list') out({ ok: true, result: k.findCredentials(r.service).map((c) => [c.account, c.password]) });
    else if (r.op === 'set') { new k.Entry(r.service, r.name).setPassword(r.value); out({ ok: true, result: true }); }
    else if (r.op === 'delete') out({ ok: true, result: new k.Entry(r.service, r.name).deletePassword() });
    else out({ ok: false, error: 'unknown op' });
  } catch (e) { out({ ok: false, error: String((e && e.message) || e) }); }
});`;

/** The store did not answer, or refused. `message` never holds a value. */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

function timeoutMs(env: Env): number {
  const n = Number(env.IBKR_EXEC_KEYRING_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : 5000;
}

function childEnv(env: Env): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.DBUS_SESSION_BUS_ADDRESS;
  for (const k of ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'HOME']) if (env[k] !== undefined) e[k] = env[k];
  return e;
}

/** One bounded call into the store. Throws KeyringError when it is unreachable, slow or refuses. */
function call<T>(env: Env, req: Request): T {
  const disabled = keyringDisabledReason(env);
  if (disabled !== undefined) throw new KeyringError(disabled);
  const ms = timeoutMs(env);
  const r = spawnSync(process.execPath, ['-e', CHILD, modulePath() as string], {
    input: JSON.stringify(req),
    env: childEnv(env),
    timeout: ms,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') throw new KeyringError(`no answer within ${ms} ms`);
  if (r.error) throw new KeyringError(`cannot be reached (${r.error.message})`);
  let answer: { ok: boolean; result?: T; error?: string };
  try {
    answer = JSON.parse(r.stdout) as typeof answer;
  } catch {
    throw new KeyringError(`its helper process failed (exit ${String(r.status ?? r.signal)})`);
  }
  if (!answer.ok) throw new KeyringError(`it refused: ${answer.error ?? 'unknown error'}`);
  return answer.result as T;
}

/** Cached contents per (service, bus): one child process per process for all reads. */
const cache = new Map<string, ReadonlyMap<string, string> | { readonly unavailable: string }>();
const cacheKey = (env: Env): string => `${keyringService(env)}\u0000${env.DBUS_SESSION_BUS_ADDRESS ?? ''}`;

/** Every entry of the service, or the reason the store is unavailable (logged at debug, once). */
function entries(env: Env): ReadonlyMap<string, string> | { readonly unavailable: string } {
  const key = cacheKey(env);
  const hit = cache.get(key);
  if (hit) return hit;
  let v: ReadonlyMap<string, string> | { readonly unavailable: string };
  try {
    v = new Map(call<[string, string][]>(env, { op: 'list', service: keyringService(env) }));
  } catch (e) {
    v = { unavailable: (e as Error).message };
    sink.debug({ service: keyringService(env), reason: v.unavailable }, 'OS credential store unavailable; secrets come from the next source');
  }
  cache.set(key, v);
  return v;
}

/** The stored value of `name`; undefined when not held there or when the store is unavailable. */
export function keyringGet(env: Env, name: string): string | undefined {
  const e = entries(env);
  return e instanceof Map ? e.get(name) : undefined;
}

/** Whether the store answers (false, with the reason logged at debug, when not). */
export function keyringAvailable(env: Env): boolean {
  return entries(env) instanceof Map;
}

/** The reason the store is unavailable, or undefined when it answers. */
export function keyringUnavailableReason(env: Env): string | undefined {
  const e = entries(env);
  return e instanceof Map ? undefined : (e as { unavailable: string }).unavailable;
}

/** The names held in the store for this service (values never leave this module's callers' hands). */
export function keyringNames(env: Env): readonly string[] {
  const e = entries(env);
  return e instanceof Map ? [...e.keys()].sort() : [];
}

/** Store `value` under `name`. Throws KeyringError when the store is unavailable or refuses. */
export function keyringSet(env: Env, name: string, value: string): void {
  call<boolean>(env, { op: 'set', service: keyringService(env), name, value });
  cache.delete(cacheKey(env));
}

/** Remove `name`; false when it was not there. Throws KeyringError when the store is unavailable. */
export function keyringDelete(env: Env, name: string): boolean {
  const r = call<boolean>(env, { op: 'delete', service: keyringService(env), name });
  cache.delete(cacheKey(env));
  return r;
}

/** Forget what was read (tests; a long-running process after `secrets set` elsewhere needs a restart). */
export function resetKeyringCache(): void {
  cache.clear();
}
