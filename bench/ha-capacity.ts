/**
 * Capacity measurement for docs/scaling.md: Redis commands and TWS messages per signal, measured on a
 * private redis-server (so nothing else counts) with the real daemon, BullMQ and the simulator.
 *
 *   node --import tsx bench/ha-capacity.ts [signals=200] [accounts=1|3] [ha=0|1]
 *
 * Prints the idle Redis rate (background polling: trading state, BullMQ, heartbeat, reconciliation), then
 * per signal: Redis calls (INFO commandstats, idle share removed), the top commands, TWS messages.
 */
import { startStack } from '../src/app/stack.js';
import { createRedis } from '../src/infra/redis.js';
import { startRedisProcess } from '../test/chaos/redis-process.js';
import { sig } from '../test/integration/pipeline-helpers.js';

const [signals = 200, accounts = 1, ha = 0] = process.argv.slice(2).map(Number);

async function commandStats(redis: ReturnType<typeof createRedis>): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}
const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const diff = (a: Map<string, number>, b: Map<string, number>): Map<string, number> => new Map([...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)]));

async function main(): Promise<void> {
  const redisProc = await startRedisProcess();
  const stack = await startStack({ redisUrl: redisProc.url, config: { ha: { enabled: ha === 1 }, limits: { maxOrderQuantity: 1_000_000 } } });
  const redis = createRedis(redisProc.url);
  const ids = ['DU1000001', 'DU1000002', 'DU1000003'].slice(0, accounts);

  const idleMs = 5_000;
  const i0 = await commandStats(redis);
  await new Promise((r) => setTimeout(r, idleMs));
  const idle = diff(i0, await commandStats(redis));
  const idlePerMs = total(idle) / idleMs;

  const m0 = stack.sim.engine.stats.snapshot().totalMessages;
  const s0 = await commandStats(redis);
  const t0 = Date.now();
  const jobs = [];
  for (let n = 0; n < signals; n++) jobs.push(await stack.send(sig(`cap-${n}`, { accounts: ids, size: { quantity: 1 } })));
  await Promise.all(jobs.map((j) => stack.outcome(j, 120_000)));
  const ms = Date.now() - t0;
  const burst = diff(s0, await commandStats(redis));
  const messages = stack.sim.engine.stats.snapshot().totalMessages - m0;
  const perSignal = (total(burst) - idlePerMs * ms) / signals;
  const top = [...burst].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${(v / signals).toFixed(1)}`).join(', ');
  console.log(JSON.stringify({ signals, accounts, ha: ha === 1, idleRedisCallsPerSecond: +(idlePerMs * 1000).toFixed(1), redisCallsPerSignal: +perSignal.toFixed(1), topPerSignal: top, twsMessagesPerSignal: +(messages / signals).toFixed(2), signalsPerSecond: +((signals * 1000) / ms).toFixed(1), maxTwsMessagesPerSecond: stack.sim.engine.stats.snapshot().maxMessagesPerSecond }));
  redis.disconnect();
  await stack.stop();
  await redisProc.stop();
}

void main().then(() => process.exit(0), (e: unknown) => (console.error(e), process.exit(1)));
