/**
 * Real Chromium for the dashboard tests: Debian's `chromium` package (`.ci/run` installs it), driven by
 * playwright-core (which downloads nothing). `CHROMIUM_PATH` overrides the path. When no browser is
 * installed the suites skip and say why.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** where the suites write their screenshots */
export const OUTPUT = join(process.cwd(), 'test-output', 'dashboard');

if (!HAVE_CHROMIUM) {
  process.stderr.write(`dashboard browser tests SKIPPED: no Chromium at ${CHROMIUM} — install it with "apt-get install -y chromium" (.ci/run does) or set CHROMIUM_PATH\n`);
}

/** Headless Chromium with the flags a root, offline machine needs (no sandbox, no background networking). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}
