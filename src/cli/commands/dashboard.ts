/**
 * `ibkr-exec dashboard` (CONTRACT §6, §9): prints the URL of the running daemon's dashboard
 * (`http.host:http.port` of the config; a wildcard bind is reached on 127.0.0.1), checks that it answers
 * (`/healthz`), and opens it in a browser where the machine has one (`--no-open` to skip). Exit 1 when no
 * daemon answers there, with the command that starts one.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { cliConfig, globalOptions } from '../context.js';
import { CliError, printJson } from '../output.js';

/** The URL a person opens for the config's listener. */
export function dashboardUrl(config: Pick<Config, 'http'>): string {
  const h = config.http.host;
  const host = h === '0.0.0.0' || h === '::' || h === '[::]' ? '127.0.0.1' : h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
  return `http://${host}:${config.http.port}/`;
}

/** Asks the platform's opener to show the URL; false when there is none (no display, no opener). */
function openInBrowser(url: string): boolean {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description("print (and open where possible) the running daemon's dashboard URL")
    .option('--no-open', 'only print the URL')
    .action(async (o: { open: boolean }, cmd: Command) => {
      const config = cliConfig(cmd);
      const url = dashboardUrl(config);
      const up = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
      const opened = up && o.open ? openInBrowser(url) : false;
      if (globalOptions(cmd).json) printJson({ url, up, opened });
      else process.stdout.write(`${url}\n`);
      if (!up) throw new CliError(`no daemon answers at ${url} — start it with "ibkr-exec daemon" (same --config), then open ${url}`);
    });
}
