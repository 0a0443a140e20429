// tests/telemetry/e2e/browser.mjs — Debian's chromium through playwright-core (installed here by scripts/setup with
// npm ci, so it is imported from this folder), for the browser tests.
import { requireFile, SKIP } from '../common.mjs';

export const CHROMIUM = '/usr/bin/chromium';

// playwright-core's chromium, or skip the test (SKIP) when the browser or the package is missing.
export async function loadChromium() {
  requireFile(CHROMIUM, "scripts/setup installs Debian's chromium");
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    console.log('SKIP: playwright-core is not installed in tests/telemetry/e2e (run scripts/setup)');
    process.exit(SKIP);
  }
}

// A headless browser with its own profile folder; `options` add to (or override) the defaults.
export function launch(chromium, profile, options = {}) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 820 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
    ...options,
  });
}
