/**
 * A misspelled safety setting stops the daemon at start (exit 2) with a message naming the field and the
 * nearest known one, instead of leaving the permissive default in force. Runs `ibkr-exec daemon` as a
 * separate process from source (tsx); the config is rejected before anything connects.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_INPUT } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-typo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function daemon(config: unknown, name: string): Promise<{ code: number; stderr: string }> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'daemon', '--config', file], { env: { ...process.env, IBKR_EXEC_CONFIG: '', IB_PORT: '1', REDIS_URL: 'redis://127.0.0.1:1' }, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr });
    });
  });
}

const base = DEFAULT_CONFIG_INPUT as unknown as Record<string, Record<string, unknown>>;
const TYPOS: [string, Record<string, unknown>, string][] = [
  ['readonly', { ...base, readonly: true }, 'readonly: unknown field; did you mean readOnly?'],
  ['read_only', { ...base, read_only: true }, 'read_only: unknown field; did you mean readOnly?'],
  ['maxOrderQty', { ...base, limits: { ...base.limits, maxOrderQty: 5 } }, 'limits.maxOrderQty: unknown field; did you mean limits.maxOrderQuantity?'],
  ['prohibitedSymbol', { ...base, ira: { ...base.ira, prohibitedSymbol: ['ET'] } }, 'ira.prohibitedSymbol: unknown field; did you mean ira.prohibitedSymbols?'],
];

describe('ibkr-exec daemon with a typo in a safety section', () => {
  it.each(TYPOS)('%s: exit 2 naming the field and the nearest known one', async (name, config, message) => {
    const r = await daemon(config, name);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
