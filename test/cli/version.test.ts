/** `ibkr-exec --version` prints the package's version and exits 0 (deployments report what runs). */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('ibkr-exec --version', () => {
  it('prints the version from package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { timeout: 60_000 }, (err, stdout) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
