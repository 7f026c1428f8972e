/**
 * Starts `child.ts` as a separate Node process with an IPC channel and talks to it with
 * request/response messages. Works from the build (`dist/bench/child.js`) and from the sources under
 * tsx or vitest (`src/bench/child.ts`, loaded with `--import tsx`).
 *
 * Pitfall: `fork` inherits the parent's execArgv (vitest's, say) unless told otherwise; we always pass
 * our own. `cpuProfDir` adds `--cpu-prof` so the child writes a .cpuprofile when it exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMarks, ChildMessage, StartCommand, UsageSample } from './protocol.js';

/** A running benchmark child; every call is one IPC request/response (60 s timeout). */
export interface BenchChild {
  readonly pid: number;
  usage(): Promise<UsageSample>;
  collect(): Promise<{ marks: ChildMarks; usage: UsageSample }>;
  /** stops the daemon or worker cleanly and waits for the process to exit */
  stop(): Promise<UsageSample | undefined>;
}

function entry(): { file: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { file: fileURLToPath(new URL('./child.ts', here)), execArgv: ['--import', 'tsx'] };
  return { file: fileURLToPath(new URL('./child.js', here)), execArgv: [] };
}

/** Forks the child, sends `start`, and resolves once it is ready (rejects on its error or exit). */
export async function spawnBenchChild(start: StartCommand, opts: { cpuProfDir?: string; timeoutMs?: number } = {}): Promise<BenchChild> {
  const { file, execArgv } = entry();
  const prof = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const child: ChildProcess = fork(file, [], { execArgv: [...execArgv, ...prof], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));

  const request = <T extends ChildMessage['type']>(msg: object, want: T, timeoutMs = opts.timeoutMs ?? 60_000): Promise<Extract<ChildMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`benchmark child: no "${want}" within ${timeoutMs} ms`)), timeoutMs);
      const onMsg = (m: ChildMessage): void => {
        if (m.type === want) done(undefined, m as Extract<ChildMessage, { type: T }>);
        else if (m.type === 'error') done(new Error(`benchmark child failed: ${m.message}`));
      };
      const onExit = (): void => done(new Error(`benchmark child exited before "${want}"`));
      function done(err?: Error, value?: Extract<ChildMessage, { type: T }>): void {
        clearTimeout(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value!);
      }
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send(msg);
    });

  try {
    await request(start, 'ready');
  } catch (e) {
    child.kill();
    throw e;
  }
  return {
    pid: child.pid ?? 0,
    usage: async () => (await request({ cmd: 'usage' }, 'usage')).usage,
    collect: async () => {
      const m = await request({ cmd: 'collect' }, 'collected');
      return { marks: m.marks, usage: m.usage };
    },
    stop: async () => {
      if (exited) return undefined;
      let last: UsageSample | undefined;
      try {
        last = (await request({ cmd: 'stop' }, 'stopped', 30_000)).usage;
      } catch {
        child.kill();
      }
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5_000).unref())]);
      if (!exited) child.kill('SIGKILL');
      return last;
    },
  };
}
