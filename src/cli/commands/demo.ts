/** `ibkr-exec demo` (CONTRACT §6): simulator + daemon in one process, example signals, tables. */
import type { Command } from 'commander';
import { runDemo, startPrivateRedis, type DemoResult } from '../../app/demo.js';
import { cliRedis, globalOptions } from '../context.js';
import { CliError, formatTable, printJson } from '../output.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the simulator and the daemon in one process, send examples/signals/*.json, print the outcomes and fills')
    .option('--dashboard', 'then keep the household running with the dashboard open (Ctrl-C stops)')
    .option('--port <n>', 'the dashboard port with --dashboard', '7700')
    .option('--broker <kind>', 'the backend the daemon talks to: "tws" or "client-portal" (a Client Portal simulator on the same household)', 'tws')
    .action(async (opts: { dashboard?: boolean; port: string; broker: string }, cmd: Command) => {
      if (opts.broker !== 'tws' && opts.broker !== 'client-portal') throw new CliError(`--broker: expected "tws" or "client-portal", received ${opts.broker}`, 2);
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port: expected a port number 0–65535, received ${opts.port}`, 2);
      let redisUrl = process.env.REDIS_URL;
      let privateRedis: Awaited<ReturnType<typeof startPrivateRedis>>;
      if (!redisUrl) {
        privateRedis = await startPrivateRedis();
        if (!privateRedis) {
          throw new CliError('the demo needs Redis: set REDIS_URL to a running server (e.g. redis://127.0.0.1:6379), or install redis-server (apt-get install redis-server) so the demo can start a private one');
        }
        redisUrl = privateRedis.url;
      }
      try {
        // a REDIS_URL nobody answers is one sentence, not a hang
        if (!privateRedis) (await cliRedis({ redis: { url: redisUrl } })).disconnect();
        const print = (result: DemoResult): void => (globalOptions(cmd).json ? printJson(result) : void process.stdout.write(render(result)));
        const keepOpen = async (result: DemoResult, url: string): Promise<void> => {
          print(result);
          process.stderr.write(`ibkr-exec demo: dashboard on ${url} (the simulator keeps trading; Ctrl-C stops)\n`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
        };
        const result = await runDemo(redisUrl, undefined, opts.dashboard ? { port, keepOpen } : undefined, opts.broker);
        if (!opts.dashboard) print(result);
      } finally {
        await privateRedis?.stop();
      }
    });
}

function render(r: DemoResult): string {
  const outcomeRows = r.rows.flatMap((row) =>
    row.outcome
      ? row.outcome.results.map((x) => [
          row.file.replace(/\.json$/, ''),
          x.account,
          x.accountType,
          x.decision,
          x.quantity,
          x.orderId ?? '',
          clip([...x.reasons.map((y) => `${y.code}: ${y.message}`), ...x.notes].join('; ')),
        ])
      : [[row.file.replace(/\.json$/, ''), '-', '-', 'INVALID_SIGNAL', 0, '', clip(row.failure ?? '')]],
  );
  const fillRows = r.fills.map((f) => [f.execId, f.account, f.symbol, f.side, f.shares, f.price, f.commission ?? '', f.orderRef]);
  return [
    'Outcomes (one row per signal and account)',
    formatTable(['signal', 'account', 'type', 'decision', 'qty', 'orderId', 'reasons / notes'], outcomeRows),
    '',
    `Fills (${r.fills.length} on the fills stream; ${r.deadLetters} invalid signal(s) on the dead-letter stream)`,
    formatTable(['execId', 'account', 'symbol', 'side', 'shares', 'price', 'commission', 'orderRef'], fillRows),
    '',
  ].join('\n');
}

const clip = (s: string, n = 110): string => (s.length > n ? s.slice(0, n - 1) + '…' : s);
