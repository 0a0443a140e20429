// tests/telemetry/prometheus_test.mjs — a real Prometheus (Debian's package) scrapes the example service.
//
//   node prometheus_test.mjs --example <telemetry_example> --workdir <dir>
//
// 1. starts the example on a free loopback port;
// 2. `promtool check metrics` on its /metrics (format and lint) must pass;
// 3. starts prometheus on another free loopback port with a temporary data directory and a minimal config that
//    scrapes the example every 500 ms, and polls its query API (bounded) until the series
//    steady_channel_sent_total{channel="numbers"} is above zero, and the latency histogram is queryable.
// Exit 77 (skipped) when prometheus or promtool is missing (scripts/setup installs the Debian package).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { arg, check, failAfter, failed, killAll, passed, requireArgs, requireFile, start, until } from './common.mjs';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';

const example = arg('--example');
const work = path.resolve(arg('--workdir') || 'telemetry-prometheus');
requireArgs('node prometheus_test.mjs --example <telemetry_example> --workdir <dir>', example);
for (const tool of [PROMETHEUS, PROMTOOL]) requireFile(tool, "scripts/setup installs Debian's prometheus");

const deadline = failAfter(100_000);

// A port that was free a moment ago (the system picks; a race with another process is possible but harmless:
// prometheus would fail to start and the test would say so).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, args, input) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code, out }));
    p.stdin.end(input);
  });
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const children = [];
let status = 0;
try {
  // 1. the example
  const ex = start(example, ['--telemetry-port', '0', '--frame-ms', '100'], [/^telemetry: (http:\/\/\S+)/]);
  children.push(ex.child);
  const url = (await ex.found[0])[1];
  console.log('example at ' + url);
  const target = new URL(url).host;

  // 2. promtool on /metrics, once the numbers move
  const metrics = await until(20_000, async () => {
    const text = await (await fetch(url + '/metrics')).text();
    return /steady_channel_sent_total\{channel="numbers"[^}]*\} [1-9]/.test(text) ? text : undefined;
  });
  check(metrics, '/metrics counts messages on channel "numbers"');
  const lint = await run(PROMTOOL, ['check', 'metrics'], metrics);
  if (lint.code !== 0) console.log(lint.out);
  check(lint.code === 0, 'promtool check metrics passes' + (lint.out.trim() ? ' (' + lint.out.trim() + ')' : ''));

  // 3. prometheus scraping it
  const promPort = await freePort();
  const config = path.join(work, 'prometheus.yml');
  writeFileSync(config, [
    'global:',
    '  scrape_interval: 500ms',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: steady',
    '    scrape_interval: 500ms',
    '    scrape_timeout: 400ms',
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n'));
  const prom = spawn(PROMETHEUS, [
    '--config.file=' + config,
    '--storage.tsdb.path=' + path.join(work, 'data'),
    '--web.listen-address=127.0.0.1:' + promPort,
    '--log.level=warn',
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(prom);
  const api = `http://127.0.0.1:${promPort}/api/v1/query?query=`;
  const query = async (q) => {
    const r = await (await fetch(api + encodeURIComponent(q))).json();
    return r.status === 'success' ? r.data.result : [];
  };
  const sent = await until(60_000, async () => {
    const res = await query('steady_channel_sent_total{channel="numbers"}');
    return res.length && Number(res[0].value[1]) > 0 ? res : undefined;
  });
  check(sent, 'prometheus has steady_channel_sent_total{channel="numbers"} > 0: ' +
    (sent ? JSON.stringify(sent[0].metric) + ' = ' + sent[0].value[1] : 'never seen'));
  const up = await query('up{job="steady"}');
  check(up.length === 1 && up[0].value[1] === '1', 'the scrape target is up');
  const p50 = await until(20_000, async () => {
    const res = await query('histogram_quantile(0.5, rate(steady_channel_latency_seconds_bucket{channel="slow"}[5s]))');
    return res.length && Number(res[0].value[1]) > 0 ? res : undefined;
  });
  check(p50, 'the latency histogram answers histogram_quantile: p50 of "slow" = ' +
    (p50 ? (Number(p50[0].value[1]) * 1e3).toFixed(3) + ' ms' : 'none'));
  status = passed();
} catch (e) {
  status = failed(e);
} finally {
  killAll(children);
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null
    ? new Promise((r) => c.once('exit', r)) : null)));
  rmSync(path.join(work, 'data'), { recursive: true, force: true });
  clearTimeout(deadline);
}
process.exit(status);
