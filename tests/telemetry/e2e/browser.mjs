// tests/telemetry/e2e/browser.mjs — Debian's chromium through playwright-core (installed here by scripts/setup with
// npm ci, so it is imported from this folder), for the browser tests; and what both check first on a live page.
import { check, requireFile, SKIP } from '../common.mjs';

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

// Opens the UI at `url` in the context's page and waits (bounded) until it is live and has drawn its first node;
// checks that the title says Live. `pageErrors` collects the page's script errors from then on.
export async function openLive(context, url) {
  const page = context.pages()[0] || await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(url + '/', { waitUntil: 'load' });
  await page.waitForFunction(() => window.steadyUI && window.steadyUI.state().seq > 0 &&
    document.querySelector('#graph svg g.node[data-actor]'), null, { timeout: 20_000 });
  check((await page.title()).includes('Live'), 'the title says Live: ' + await page.title());
  return { page, pageErrors };
}

// Checks that the page draws one SVG node per actor of its structure; returns the structure and the nodes' ids.
export async function checkOneNodePerActor(page) {
  const st = await page.evaluate(() => window.steadyUI.structure());
  const nodes = await page.$$eval('#graph svg g.node[data-actor]', (gs) => gs.map((g) => Number(g.dataset.actor)));
  check(nodes.length === st.actors.length && new Set(nodes).size === st.actors.length,
    `one SVG node per actor (${nodes.length} nodes, ${st.actors.length} actors)`);
  return { st, nodes };
}
