// tests/telemetry/e2e/hub_test.mjs — the hub's UI in a real browser (Debian chromium, driven by playwright-core).
//
//   node hub_test.mjs --sender <hub_sender> --receiver <hub_receiver> --hub <steady-hub> --out <dir>
//
// Starts hub_receiver (a ZeroMQ ingress bound to a free loopback port), hub_sender (the egress connected to it),
// each serving telemetry on a free port, and steady-hub polling both; once the hub's snapshot shows the link, loads
// the hub's page headless and checks what a person would see:
//   1. one SVG node per actor, from both processes, each process in a cluster titled with its name;
//   2. the cross-process edge, drawn dashed from the egress to the ingress, labelled with the endpoint, shows a rate;
//   3. clicking the egress shows its bridge labels in the side panel;
//   4. a screenshot goes to <dir>/hub_ui.png;
//   5. once the receiver is killed its cluster says "down", and the sender's figures keep coming.
// Every wait polls an observable condition with a deadline. Exit 77 (skipped) when chromium or playwright-core is
// missing (scripts/setup installs both), unless STEADY_REQUIRE_TOOLS=1.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { arg, check, failAfter, failed, killAll, passed, requireArgs, start, until } from '../common.mjs';
import { checkOneNodePerActor, launch, loadChromium, openLive } from './browser.mjs';

const senderExe = arg('--sender');
const receiverExe = arg('--receiver');
const hubExe = arg('--hub');
const out = path.resolve(arg('--out') || 'telemetry-e2e');
requireArgs('node hub_test.mjs --sender <hub_sender> --receiver <hub_receiver> --hub <steady-hub> --out <dir>',
  senderExe, receiverExe, hubExe);
const chromium = await loadChromium();

const crossChannels = (s) => s.structure.channels.filter((c) => c.cross_process);

const deadline = failAfter(150_000);

mkdirSync(out, { recursive: true });
const profile = mkdtempSync(path.join(tmpdir(), 'steady-hub-e2e-'));
const children = [];
let context;
let status = 0;
try {
  const receiver = start(receiverExe, [], [/^bound (\S+) (\S+)/, /^telemetry: (http:\/\/\S+)/]);
  children.push(receiver.child);
  const [bound, receiverTel] = await Promise.all(receiver.found);
  const sender = start(senderExe, [bound[1], bound[2]], [/^telemetry: (http:\/\/\S+)/]);
  children.push(sender.child);
  const [senderTel] = await Promise.all(sender.found);
  const hub = start(hubExe, ['--peer', senderTel[1], '--peer', receiverTel[1], '--port', '0', '--frame', '200ms'],
    [/^steady-hub: (http:\/\/\S+)/]);
  children.push(hub.child);
  const url = (await Promise.all(hub.found))[0][1];
  console.log(`sender ${senderTel[1]}, receiver ${receiverTel[1]}, hub ${url}`);

  // The link is made (both up, the ingress knows the egress's stream) before the page loads: its layout is final.
  const snap = await until(30_000, async () => {
    const s = await (await fetch(url + '/snapshot.json')).json();
    return s.frame && s.frame.processes.every((p) => p.up) && crossChannels(s).length === 1 ? s : null;
  });
  check(snap && crossChannels(snap).length === 1, 'the hub reports both processes up and one bridged link');

  context = await launch(chromium, profile, { viewport: { width: 1400, height: 700 } });
  const { page, pageErrors } = await openLive(context, url);

  // 1. every actor of both processes, clustered by process
  const { st, nodes } = await checkOneNodePerActor(page);
  for (const [i, p] of st.processes.entries()) {
    const mine = st.actors.filter((a) => a.process === i);
    check(mine.length >= 2 && mine.every((a) => nodes.includes(a.id) && a.name.startsWith(p.title + '/')),
      `process ${p.title}: ${mine.length} nodes (${mine.map((a) => a.name).join(', ')})`);
    const cluster = await page.$$eval(`#graph svg #p${i} text`, (ts) => ts.map((t) => t.textContent));
    check(cluster[0] === p.title, `process ${p.title} is drawn as a cluster titled with its name`);
  }
  const texts = await page.$$eval('#graph svg g.node text', (ts) => ts.map((t) => t.textContent));
  check(texts.includes('hub_sender/uplink') && texts.includes('hub_receiver/downlink'),
    'the egress and the ingress are shown by name');

  // 2. the cross-process edge
  const cross = st.channels.find((c) => c.cross_process);
  const edge = st.edges[cross.edge];
  const from = st.actors[edge.from], to = st.actors[edge.to];
  check(from.name === 'hub_sender/uplink' && to.name === 'hub_receiver/downlink' && from.process !== to.process,
    `the cross edge goes from ${from.name} to ${to.name}`);
  const edgeTexts = await page.$$eval(`#graph svg #e${edge.id} text`, (ts) => ts.map((t) => t.textContent));
  check(edgeTexts[0] === bound[1], `the cross edge is labelled with the endpoint ${edgeTexts[0]}`);
  const dashed = await page.$eval(`#graph svg #e${edge.id} path`, (p) => p.getAttribute('stroke-dasharray'));
  check(!!dashed, 'the cross edge is drawn dashed');
  await page.waitForFunction((e) => {
    const t = document.querySelectorAll(`#e${e} text`)[1];
    return t && /^[0-9.]+[kM]?\/s/.test(t.textContent) && !t.textContent.startsWith('0/s');
  }, edge.id, { timeout: 20_000 });
  const rateText = await page.$eval(`#e${edge.id} text:nth-of-type(2)`, (t) => t.textContent);
  check(true, 'the cross edge shows a rate: ' + rateText);

  // 3. the egress's labels in its panel
  await page.click(`#a${from.id}`);
  await page.waitForFunction(() => !document.querySelector('#panel').hidden &&
    document.querySelector('#p-body').textContent.includes('bridge_endpoint='), null, { timeout: 10_000 });
  const panel = await page.$eval('#p-body', (b) => b.textContent);
  check(panel.includes('bridge_role=egress') && panel.includes('bridge_endpoint=' + bound[1]),
    'clicking the egress shows its bridge labels');

  // 4. the picture
  await page.screenshot({ path: path.join(out, 'hub_ui.png') });
  console.log('screenshot: ' + path.join(out, 'hub_ui.png'));

  // 5. the receiver dies: its cluster says down; the sender's figures keep coming
  const receiverIndex = st.processes.findIndex((p) => p.title === 'hub_receiver');
  receiver.child.kill('SIGKILL');
  await page.waitForFunction((i) => {
    const t = document.querySelectorAll(`#p${i} text`)[1];
    return t && t.textContent.includes('down:');
  }, receiverIndex, { timeout: 20_000 });
  const downText = await page.$$eval(`#p${receiverIndex} text`, (ts) => ts[1].textContent);
  check(true, 'the dead process is shown down: ' + downText);
  const seq0 = await page.evaluate(() => window.steadyUI.state().seq);
  await page.waitForFunction((s0) => window.steadyUI.state().seq >= s0 + 3, seq0, { timeout: 20_000 });
  check((await page.title()).includes('Live'), 'the hub page stays live: ' + await page.title());
  await page.screenshot({ path: path.join(out, 'hub_ui_down.png') });
  check(pageErrors.length === 0, 'no script errors in the page' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
  status = passed();
} catch (e) {
  status = failed(e);
} finally {
  killAll(children);
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(deadline);
}
process.exit(status);
