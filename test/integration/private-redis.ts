/**
 * A private `redis-server` for tests that kill or wipe Redis: loopback only, its own temp dir and free
 * port, persistence chosen by the test (`aof`: appendonly with fsync always; `none`: nothing on disk), and
 * killed with SIGKILL (no final save) then started again on the same port and dir. Optional `aclFile`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from '../../src/app/demo.js';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGKILL, wait for the exit, start again (same port, dir, settings); resolves once it answers PING */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(o: { persistence: 'aof' | 'none'; aclFile?: string }): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-test-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const persistence = o.persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--appendonly', 'no', '--save', ''];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...persistence, '--maxmemory-policy', 'noeviction', '--daemonize', 'no',
    '--logfile', join(dir, 'redis.log'), ...(o.aclFile ? ['--aclfile', o.aclFile] : [])];
  let proc: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    proc = spawn(process.env.CHAOS_REDIS_SERVER ?? 'redis-server', args, { stdio: 'ignore' });
    await waitForPing(port);
  };
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    await exited;
  };
  await launch();
  return {
    url,
    port,
    dir,
    crash: async () => {
      await kill('SIGKILL');
      await launch();
    },
    stop: async () => {
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Up = answers PING with PONG, or with NOAUTH when the default user is off (ACL); LOADING = not yet. */
async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const reply = await new Promise<string>((resolve) => {
      const sock = connect({ port, host: '127.0.0.1' });
      sock.setTimeout(1000, () => sock.destroy());
      sock.once('error', () => resolve(''));
      sock.once('close', () => resolve(''));
      sock.once('data', (d) => {
        resolve(d.toString());
        sock.destroy();
      });
      sock.write('PING\r\n');
    });
    if (/^(\+PONG|-NOAUTH)/.test(reply)) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING`);
}
