/**
 * Parent side of `daemon-child.ts`: forks the daemon as a child process, waits until it consumes
 * signals, SIGKILLs it at any moment and starts it again. A start that dies before it is ready (e.g. Redis
 * was restarting at that instant) is retried, a bounded number of times. Child output is appended to a
 * log file so a failing run can be investigated.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DaemonChildSettings } from './daemon-child.js';

const CHILD = fileURLToPath(new URL('./daemon-child.ts', import.meta.url));

/** A restartable daemon child process (see the module comment). */
export interface DaemonProcess {
  /** SIGKILLs the running child (no drain, no cleanup: a crash) */
  kill(): Promise<void>;
  /** starts a child and resolves once it consumes signals (retries a failed start) */
  start(): Promise<void>;
  /** SIGTERM (graceful drain), bounded, then SIGKILL */
  stop(): Promise<void>;
  /** how many children were started so far */
  readonly starts: number;
  readonly running: boolean;
}

/** Creates the handle; nothing runs until `start()`. */
export function daemonProcess(settings: DaemonChildSettings, logFile: string): DaemonProcess {
  let child: ChildProcess | undefined;
  let starts = 0;

  const exitOf = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

  const startOnce = (): Promise<boolean> => {
    const fd = openSync(logFile, 'a');
    const c = fork(CHILD, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, CHAOS_DAEMON: JSON.stringify(settings) },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
    closeSync(fd);
    child = c;
    starts += 1;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        c.kill('SIGKILL');
        resolve(false);
      }, 60_000);
      c.on('message', (m: { ready?: boolean }) => {
        if (m.ready) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      c.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  };

  const kill = async (): Promise<void> => {
    const c = child;
    if (!c) return;
    c.kill('SIGKILL');
    await exitOf(c);
    child = undefined;
  };

  return {
    kill,
    start: async () => {
      for (let attempt = 1; attempt <= 5; attempt++) {
        if (await startOnce()) return;
        await kill();
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`the daemon child did not become ready in 5 attempts; see ${logFile}`);
    },
    stop: async () => {
      const c = child;
      if (!c) return;
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
      await exitOf(c);
      clearTimeout(t);
      child = undefined;
    },
    get starts() {
      return starts;
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
  };
}
