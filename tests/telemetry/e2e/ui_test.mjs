// tests/telemetry/e2e/ui_test.mjs — the telemetry UI in a real browser (Debian chromium, driven by playwright-core).
//
//   node ui_test.mjs --example <telemetry_example> --out <dir>
//
// Starts the example service on a free loopback port, loads its UI headless and checks what a person would see:
//   1. the SVG has one node per actor and one edge per channel (a bundle's lanes together on one edge);
//   2. after several frames a busy edge shows a non-zero rate, and no node has moved;
//   3. clicking an actor opens its sparklines;
//   4. a recording made in the page (Record … Stop & save) downloads as a file;
//   5. a screenshot goes to <dir>/telemetry_ui.png;
//   6. once the process is killed the title says "Snapshot";
//   7. replaying the recorded file in the page shows the same frames (same labels, colours, widths).
// Every wait polls an observable condition with a deadline. Exit 77 (skipped) when chromium or playwright-core is
// missing (scripts/setup installs both).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { arg, check, failAfter, failed, passed, requireArgs, start } from '../common.mjs';
import { checkOneNodePerActor, launch, loadChromium, openLive } from './browser.mjs';

const example = arg('--example');
const out = path.resolve(arg('--out') || 'telemetry-e2e');
requireArgs('node ui_test.mjs --example <telemetry_example> --out <dir>', example);
const chromium = await loadChromium();

// The example prints "telemetry: <url>" once it serves.
function startExample() {
  const { child, found } = start(example, ['--telemetry-port', '0', '--frame-ms', '100'], [/^telemetry: (http:\/\/\S+)/]);
  return { child, url: found[0].then((m) => m[1]) };
}

const deadline = failAfter(150_000);

mkdirSync(out, { recursive: true });
const profile = mkdtempSync(path.join(tmpdir(), 'steady-e2e-'));
const { child, url: urlPromise } = startExample();
let context;
let status = 0;
try {
  const url = await urlPromise;
  console.log('example at ' + url);
  context = await launch(chromium, profile, { acceptDownloads: true });
  const { page, pageErrors } = await openLive(context, url);

  // 1. one node per actor, one edge per channel
  const { st } = await checkOneNodePerActor(page);
  const edges = await page.$$eval('#graph svg g.edge[data-edge]', (gs) => gs.map((g) => g.dataset.channels.split(',').map(Number)));
  const drawn = edges.flat();
  check(drawn.length === st.channels.length && new Set(drawn).size === st.channels.length,
    `every channel drawn by exactly one edge (${edges.length} edges for ${st.channels.length} channels)`);
  check(edges.some((chs) => chs.length === 2), 'the bundle "pairs" is one edge with 2 lanes');
  const bundleLabel = await page.$$eval('#graph svg g.edge[data-edge] text', (ts) => ts.map((t) => t.textContent));
  check(bundleLabel.includes('pairs ×2'), 'the bundle edge is labelled with its lane count');

  // 2. a busy edge shows a rate after several frames; nothing moved
  const before = await page.evaluate(() => window.steadyUI.positions());
  const seq0 = await page.evaluate(() => window.steadyUI.state().seq);
  const numbers = st.channels.find((c) => c.name === 'numbers').edge;
  // The text the wait saw, not a second read: a later frame may show a window in which nothing moved (a slow
  // sanitizer build), which says nothing about whether rates are drawn.
  const rateHandle = await page.waitForFunction(([s0, e]) => {
    const t = document.querySelectorAll(`#e${e} text`)[1];
    return window.steadyUI.state().seq >= s0 + 5 && t && !t.textContent.startsWith('0/s') && t.textContent;
  }, [seq0, numbers], { timeout: 20_000 });
  const rateText = await rateHandle.jsonValue();
  check(/^[0-9.]+k?\/s/.test(rateText) && !rateText.startsWith('0/s'), 'the busy edge "numbers" shows a rate: ' + rateText);
  const after = await page.evaluate(() => window.steadyUI.positions());
  check(JSON.stringify(before) === JSON.stringify(after), 'node positions unchanged after several frames');

  // 3. click an actor: sparklines
  const source = st.actors.find((a) => a.name === 'source').id;
  await page.click(`#a${source}`);
  await page.waitForFunction(() => {
    const lines = document.querySelectorAll('#panel:not([hidden]) #sparks svg.spark polyline');
    return lines.length >= 4 && lines[0].getAttribute('points').trim().split(' ').length >= 3;
  }, null, { timeout: 10_000 });
  check(await page.$eval('#p-title', (h) => h.textContent) === 'source', 'clicking an actor shows its sparklines');

  // 4. record some frames in the page and save them
  await page.click('#record');
  await page.waitForFunction(() => window.steadyUI.state().recording >= 8, null, { timeout: 20_000 });
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click('#record')]);
  const recording = path.join(out, 'recording.jsonl');
  await download.saveAs(recording);
  const lines = readFileSync(recording, 'utf8').trim().split('\n');
  const header = JSON.parse(lines[0]);
  const recorded = lines.slice(1).map((l) => JSON.parse(l));
  check(header.kind === 'steady-telemetry-recording' && recorded.length >= 8,
    `the recording downloads (${recorded.length} frames)`);
  check(recorded.every((f, i) => i === 0 || f.seq === recorded[i - 1].seq + 1), 'recorded frames are consecutive');
  const live = await page.evaluate(() => window.steadyUI.rendered().filter((r) => r.mode !== 'replay'));

  // 5. the picture
  await page.screenshot({ path: path.join(out, 'telemetry_ui.png') });
  console.log('screenshot: ' + path.join(out, 'telemetry_ui.png'));

  // 6. the process goes away: the page keeps the last frame and says Snapshot
  child.kill('SIGKILL');
  await page.waitForFunction(() => document.title.includes('Snapshot'), null, { timeout: 15_000 });
  check(true, 'after the process is killed the title says: ' + await page.title());

  // 7. replay the recording in the same page
  await page.setInputFiles('#open', recording);
  await page.waitForFunction(() => window.steadyUI.state().mode === 'replay', null, { timeout: 10_000 });
  const replayed = await page.evaluate(() => {
    while (window.steadyUI.replayStep()) { /* every frame, in order */ }
    return window.steadyUI.rendered().filter((r) => r.mode === 'replay');
  });
  check(replayed.length === recorded.length, `replay rendered every recorded frame (${replayed.length})`);
  let same = 0;
  for (const r of replayed) {
    const l = live.find((x) => x.seq === r.seq);
    if (!l) throw new Error(`FAILED: frame #${r.seq} was recorded but never rendered live`);
    if (l.digest !== r.digest) throw new Error(`FAILED: frame #${r.seq} differs in replay:\nlive:\n${l.digest}\nreplay:\n${r.digest}`);
    same++;
  }
  check(same === recorded.length, 'replay shows the same frames as live (labels, colours, widths)');
  check((await page.title()).includes('Replay'), 'the title says Replay: ' + await page.title());
  await page.screenshot({ path: path.join(out, 'telemetry_replay.png') });
  check(pageErrors.length === 0, 'no script errors in the page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  status = passed();
} catch (e) {
  status = failed(e);
} finally {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(deadline);
}
process.exit(status);
