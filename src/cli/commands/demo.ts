/** `ibkr-exec demo` (CONTRACT §6): simulator + daemon in one process, example signals, tables. */
import type { Command } from 'commander';
import { runDemo, startPrivateRedis, type DemoResult } from '../../app/demo.js';
import { cliRedis, globalOptions } from '../context.js';
import { CliError, formatTable, printJson } from '../output.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the simulator and the daemon in one process, send examples/signals/*.json, print the outcomes and fills')
    .action(async (_opts: unknown, cmd: Command) => {
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
        const result = await runDemo(redisUrl);
        if (globalOptions(cmd).json) printJson(result);
        else process.stdout.write(render(result));
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
