// steady_state telemetry UI — plain JavaScript, no dependencies, served from the library itself.
//
// The graph is laid out once by Graphviz on the server (layout.svg: labels hold placeholder figures of the widest
// size) and never again for the same structure: every frame only rewrites label texts, colours and edge widths in
// place, so nothing moves. Frames arrive as Server-Sent Events (events); the page keeps the window's history of
// every figure for the sparklines. When the stream breaks (the process is gone) the page keeps the last frame and
// says "Snapshot at <time>". Frames can be recorded to a file (JSON lines: a header, then one frame per line, the
// same format as Options::record_path) and replayed here later, offline.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);

  const EDGE = { none: '#9e9e9e', yellow: '#d4a800', orange: '#ff7f00', red: '#d40000' };
  const NODE = {
    none: ['#333333', '#ffffff'], yellow: ['#d4a800', '#fff6cc'],
    orange: ['#ff7f00', '#ffe3c7'], red: ['#d40000', '#ffd6d6'],
  };

  const S = {
    structure: null, options: null, layoutSvg: '',
    svg: null, nodes: [], edges: [], procs: [],
    mode: 'connecting', paused: false, last: null,
    hist: null, windowFrames: 100,
    selected: null,
    recording: null, replay: null,
    es: null, base: null, view: null,
    rendered: [],  // what each frame rendered (seq and label texts), for tests
  };

  // ---------------------------------------------------------------- formatting (as exposition.cpp)

  function fixed(x, d) { return Number(x).toFixed(d); }
  function rate(v) {
    if (!(v > 0)) return '0/s';
    if (v < 10) return fixed(v, 1) + '/s';
    if (v < 1e3) return fixed(v, 0) + '/s';
    if (v < 1e4) return fixed(v / 1e3, 2) + 'k/s';
    if (v < 1e6) return fixed(v / 1e3, 1) + 'k/s';
    if (v < 1e7) return fixed(v / 1e6, 2) + 'M/s';
    if (v < 1e9) return fixed(v / 1e6, 1) + 'M/s';
    return fixed(v / 1e9, 2) + 'G/s';
  }
  function ms(v) {
    if (v === null || v === undefined || v < 0) return '–';
    const ns = v * 1e6;
    if (ns < 1e3) return fixed(ns, 0) + 'ns';
    if (ns < 1e6) return fixed(ns / 1e3, 1) + 'µs';
    if (ns < 1e9) return fixed(ns / 1e6, 2) + 'ms';
    return fixed(ns / 1e9, 2) + 's';
  }
  function num(v) {
    if (v >= 1e9) return fixed(v / 1e9, 2) + 'G';
    if (v >= 1e6) return fixed(v / 1e6, 2) + 'M';
    if (v >= 1e4) return fixed(v / 1e3, 1) + 'k';
    return String(Math.round(v));
  }
  function bytes(v) {
    if (v >= 1 << 30) return fixed(v / (1 << 30), 1) + ' GiB';
    if (v >= 1 << 20) return fixed(v / (1 << 20), 1) + ' MiB';
    if (v >= 1 << 10) return fixed(v / (1 << 10), 1) + ' KiB';
    return v + ' B';
  }
  function clock(unixMs) { return new Date(unixMs).toLocaleTimeString([], { hour12: false }); }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  }
  function actorLine4(a) {
    let s = '';
    if (a.restarts > 0) s = 'restarts: ' + a.restarts;
    if (a.stalled) s += s ? ' · stalled' : 'stalled';
    if (!s && a.status) s = a.status.length > 28 ? a.status.slice(0, 27) + '…' : a.status;
    return s;
  }
  function edgeWidth(r) { return Math.min(9, Math.max(1, 1 + 1.2 * Math.log10(1 + r))); }
  function processLine(info, p) {  // as exposition.cpp's process_line
    if (p.up) return info.url + ' · up';
    return info.url + ' · down: ' + (p.error.length > 60 ? p.error.slice(0, 59) + '…' : p.error);
  }
  function labelText(labels) { return Object.entries(labels || {}).map(([k, v]) => k + '=' + v).join(', '); }

  // ---------------------------------------------------------------- the picture

  function setup(structure, options, svgText) {
    S.structure = structure;
    S.options = options;
    S.layoutSvg = svgText;
    S.windowFrames = Math.max(2, Math.round(options.window_ms / options.frame_ms));
    S.hist = newHistory();
    S.last = null;
    $('title').textContent = structure.title;
    const box = $('graph');
    box.innerHTML = svgText || '<p class="hint">no layout: see the server log</p>';
    const svg = box.querySelector('svg');
    S.svg = svg;
    S.nodes = [];
    S.edges = [];
    S.procs = [];
    if (!svg) return;
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    svg.querySelectorAll('title').forEach((t) => t.remove());  // our own tooltip instead of the browser's
    const vb = svg.viewBox.baseVal;
    S.base = { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
    S.view = { ...S.base };
    for (const a of structure.actors) {
      const g = svg.getElementById ? svg.getElementById('a' + a.id) : svg.querySelector('#a' + a.id);
      if (!g) continue;
      g.dataset.actor = a.id;
      S.nodes[a.id] = { g, texts: [...g.querySelectorAll('text')], shape: g.querySelector('path, polygon, ellipse') };
      g.addEventListener('mousemove', (ev) => showTip(ev, () => actorTip(a.id)));
      g.addEventListener('mouseleave', hideTip);
      g.addEventListener('click', (ev) => { ev.stopPropagation(); select({ kind: 'actor', id: a.id }); });
    }
    for (const e of structure.edges) {
      const g = svg.getElementById ? svg.getElementById('e' + e.id) : svg.querySelector('#e' + e.id);
      if (!g) continue;
      g.dataset.edge = e.id;
      g.dataset.channels = e.channels.join(',');
      S.edges[e.id] = {
        g, texts: [...g.querySelectorAll('text')],
        paths: [...g.querySelectorAll('path')], heads: [...g.querySelectorAll('polygon')],
      };
      g.addEventListener('mousemove', (ev) => showTip(ev, () => edgeTip(e.id)));
      g.addEventListener('mouseleave', hideTip);
      g.addEventListener('click', (ev) => { ev.stopPropagation(); select({ kind: 'edge', id: e.id }); });
    }
    (structure.processes || []).forEach((p, i) => {  // a hub: one cluster per process, its 2nd line says up/down
      const g = svg.getElementById ? svg.getElementById('p' + i) : svg.querySelector('#p' + i);
      if (g) S.procs[i] = { g, texts: [...g.querySelectorAll('text')], shape: g.querySelector('path, polygon') };
    });
    applyView();
  }

  function setText(el, s) {
    if (el && el.textContent !== s) el.textContent = s;
  }

  function render(f) {
    const st = S.structure;
    if (!st || !S.svg) return;
    for (const a of st.actors) {
      const n = S.nodes[a.id];
      const x = f.actors[a.id];
      if (!n || !x) continue;
      setText(n.texts[1], 'mCPU ' + fixed(x.mcpu, 0) + ' · load ' + fixed(x.load_pct, 0) + '%');
      setText(n.texts[2], 'busy ' + fixed(x.busy_pct, 0) + '% · ' + rate(x.passes_per_s));
      setText(n.texts[3], actorLine4(x));
      const [stroke, fill] = NODE[x.alert] || NODE.none;
      if (n.shape) {
        n.shape.setAttribute('stroke', stroke);
        n.shape.setAttribute('fill', fill);
      }
    }
    for (const e of st.edges) {
      const d = S.edges[e.id];
      const x = f.edges[e.id];
      if (!d || !x) continue;
      setText(d.texts[1], rate(x.rate) + ' · fill ' + fixed(x.fill_pct, 0) + '%');
      setText(d.texts[2], x.latency_p50_ms === null ? '' : 'p50 ' + ms(x.latency_p50_ms) + ' · p99 ' + ms(x.latency_p99_ms));
      const c = EDGE[x.alert] || EDGE.none;
      const w = fixed(edgeWidth(x.rate), 2);
      for (const p of d.paths) { p.setAttribute('stroke', c); p.setAttribute('stroke-width', w); }
      for (const h of d.heads) { h.setAttribute('stroke', c); h.setAttribute('fill', c); }
    }
    (f.processes || []).forEach((p, i) => {
      const d = S.procs[i];
      const info = st.processes && st.processes[i];
      if (!d || !info) return;
      setText(d.texts[1], processLine(info, p));
      const c = p.up ? '#5b7fa6' : '#d40000';
      if (d.shape) d.shape.setAttribute('stroke', c);
      for (const t of d.texts) t.setAttribute('fill', p.up ? '#2f4f6f' : '#d40000');
    });
    const texts = [];  // what a person sees: every label, colour and width
    for (const n of S.nodes) {
      if (n) texts.push(n.texts.map((t) => t.textContent).join('|') + '|' + (n.shape ? n.shape.getAttribute('stroke') : ''));
    }
    for (const d of S.edges) {
      if (!d) continue;
      const p = d.paths[0];
      texts.push(d.texts.map((t) => t.textContent).join('|') + '|' + (p ? p.getAttribute('stroke') + '|' + p.getAttribute('stroke-width') : ''));
    }
    S.rendered.push({ seq: f.seq, mode: S.mode, digest: texts.join('\n') });
    if (S.rendered.length > 2000) S.rendered.splice(0, 1000);
    $('clock').textContent = clock(f.unix_ms);
    $('status').textContent = 'frame #' + f.seq + ' · every ' + S.options.frame_ms + ' ms · window ' +
      (S.options.window_ms / 1000) + ' s · ' + st.actors.length + ' actors · ' + st.channels.length +
      ' channels · graph ' + f.state.replace('_', ' ') + ' · uptime ' + fixed(f.uptime_s, 1) + ' s' +
      (f.processes ? ' · ' + f.processes.length + ' processes, ' + f.processes.filter((p) => !p.up).length + ' down' : '');
    refreshPanel();
  }

  // ---------------------------------------------------------------- frames and history

  function newHistory() {
    const st = S.structure;
    return {
      t: [],
      actors: st.actors.map(() => ({ busy_pct: [], mcpu: [], load_pct: [], passes_per_s: [] })),
      channels: st.channels.map(() => ({ rate: [], fill_pct: [], latency_p50_ms: [] })),
    };
  }

  function push(arr, v) {
    arr.push(v);
    if (arr.length > S.windowFrames) arr.splice(0, arr.length - S.windowFrames);
  }

  function remember(f) {
    const h = S.hist;
    push(h.t, f.unix_ms);
    f.actors.forEach((a, i) => {
      const s = h.actors[i];
      if (!s) return;
      push(s.busy_pct, a.busy_pct); push(s.mcpu, a.mcpu); push(s.load_pct, a.load_pct); push(s.passes_per_s, a.passes_per_s);
    });
    f.channels.forEach((c, i) => {
      const s = h.channels[i];
      if (!s) return;
      const lw = c.window && c.window.latency_ms;
      push(s.rate, c.rate); push(s.fill_pct, c.fill_pct);
      push(s.latency_p50_ms, lw && lw.p50 !== undefined ? lw.p50 : null);
    });
  }

  function seedHistory(h) {
    if (!h || !h.unix_ms) return;
    const take = (arr) => arr.slice(-S.windowFrames);
    S.hist.t = take(h.unix_ms);
    h.actors.forEach((a, i) => { if (S.hist.actors[i]) for (const k of Object.keys(a)) S.hist.actors[i][k] = take(a[k]); });
    h.channels.forEach((c, i) => { if (S.hist.channels[i]) for (const k of Object.keys(c)) S.hist.channels[i][k] = take(c[k]); });
    S.seededUpTo = h.seq;
  }

  function onFrame(f, raw) {
    if (f.hash && S.structure && f.hash !== S.structure.hash) { location.reload(); return; }  // a hub's graph changed
    if (S.last && f.seq < S.last.seq) {  // the service restarted (same graph): its frames count from 1 again
      S.hist = newHistory();
      S.seededUpTo = 0;
    }
    if (S.seededUpTo && f.seq <= S.seededUpTo) {  // already in the history: only show it
      S.last = f;
      if (!S.paused) render(f);
      return;
    }
    if (S.recording && S.mode !== 'replay') {
      S.recording.frames.push(raw || JSON.stringify(f));
      $('record').textContent = '■ Stop & save (' + S.recording.frames.length + ')';
    }
    remember(f);
    S.last = f;
    if (S.mode !== 'replay') setMode(f.final ? 'stopped' : 'live');
    if (!S.paused) render(f);
  }

  // ---------------------------------------------------------------- modes

  function setMode(mode) {
    S.mode = mode;
    const badge = $('mode');
    const title = S.structure ? S.structure.title : 'steady_state';
    const at = S.last ? clock(S.last.unix_ms) : '';
    let text = mode;
    if (mode === 'live') text = 'Live';
    else if (mode === 'stopped') text = 'Live · graph stopped, final frame at ' + at;
    else if (mode === 'snapshot') text = 'Snapshot at ' + at;
    else if (mode === 'replay') text = 'Replay';
    else if (mode === 'connecting') text = 'connecting…';
    badge.textContent = text + (S.paused && mode !== 'snapshot' ? ' (paused)' : '');
    badge.className = 'badge ' + mode;
    document.title = title + ' · ' + text;
  }

  function connect() {
    if (S.es) S.es.close();
    const es = new EventSource('events');
    S.es = es;
    es.addEventListener('frame', (ev) => {
      if (S.mode === 'replay') return;
      onFrame(JSON.parse(ev.data), ev.data);
    });
    es.onopen = async () => {
      if (S.mode === 'replay') return;
      try {  // back after the process restarted: a different graph needs a new layout
        const st = await (await fetch('structure.json', { cache: 'no-store' })).json();
        if (S.structure && st.hash !== S.structure.hash) { location.reload(); return; }
      } catch (e) { /* the next error event says what happened */ }
      if (S.mode !== 'replay') setMode(S.last && S.last.final ? 'stopped' : 'live');
    };
    es.onerror = () => {
      if (S.mode === 'replay') return;
      if (es.readyState !== EventSource.OPEN) setMode('snapshot');  // it retries on its own
    };
  }

  async function boot() {
    wireControls();
    try {
      const snap = await (await fetch('snapshot.json', { cache: 'no-store' })).json();
      const svgRes = await fetch('layout.svg', { cache: 'no-store' });
      setup(snap.structure, snap.options, svgRes.ok ? await svgRes.text() : '');
      try { seedHistory(await (await fetch('history.json', { cache: 'no-store' })).json()); } catch (e) { /* none yet */ }
      if (snap.frame) { S.last = snap.frame; render(snap.frame); }
      setMode(snap.frame && snap.frame.final ? 'stopped' : 'live');
      connect();
    } catch (e) {
      $('graph').innerHTML = '<p class="hint">cannot reach the telemetry server: ' + esc(e.message) +
        '<br>Open a recording to replay it.</p>';
      setMode('snapshot');
    }
  }

  // ---------------------------------------------------------------- hover and details

  function figs(rows) {
    return '<table class="figs">' + rows.map(([k, v]) => '<tr><td>' + esc(k) + '</td><td>' + v + '</td></tr>').join('') + '</table>';
  }
  function win(w, f) {
    if (!w) return '–';
    const fm = f || ((x) => fixed(x, 1));
    const ps = Object.keys(w).filter((k) => /^p[0-9.]+$/.test(k)).map((k) => k + ' ' + fm(w[k])).join(' ');
    return 'avg ' + fm(w.avg) + ' · min ' + fm(w.min) + ' · max ' + fm(w.max) + (w.sd !== undefined ? ' · sd ' + fm(w.sd) : '') + ' · ' + ps;
  }
  function latWin(w) { return w ? win(w, ms) + ' (' + w.n + ' samples)' : '–'; }

  function actorRows(id) {
    const a = S.structure.actors[id];
    const x = S.last && S.last.actors[id];
    const rows = [['placement', esc(a.troupe ? 'troupe ' + a.troupe : 'solo') + (a.core >= 0 ? ' · core ' + a.core : '')]];
    const proc = a.process !== undefined && S.structure.processes && S.structure.processes[a.process];
    if (proc) rows.push(['process', esc(proc.title + ' · ' + proc.url)]);
    const labels = labelText((x && x.labels) || a.labels);
    if (labels) rows.push(['labels', esc(labels)]);
    if (!x) return rows;
    rows.push(['thread', esc(x.thread)], ['state', esc(x.state)],
      ['alert', '<span class="alert-' + x.alert + '">' + x.alert + '</span>'],
      ['busy', fixed(x.busy_pct, 1) + '%'], ['mCPU', fixed(x.mcpu, 0) + ' (1024 = one core)'],
      ['load', fixed(x.load_pct, 1) + '%'], ['passes', rate(x.passes_per_s) + ' · ' + num(x.passes) + ' total'],
      ['restarts', String(x.restarts)], ['stalled', x.stalled ? 'yes' : 'no']);
    if (x.status) rows.push(['status', esc(x.status)]);
    const w = x.window || {};
    rows.push(['busy % (window)', win(w.busy_pct)], ['mCPU (window)', win(w.mcpu, (v) => fixed(v, 0))],
      ['load % (window)', win(w.load_pct)], ['passes/s (window)', win(w.passes_per_s, (v) => rate(v))]);
    return rows;
  }

  function channelRows(cid) {
    const c = S.structure.channels[cid];
    const x = S.last && S.last.channels[cid];
    const who = (i) => (i >= 0 ? S.structure.actors[i].name : '–');
    const rows = [['from → to', esc(who(c.from) + ' → ' + who(c.to))], ['type', esc(c.type)],
      ['capacity', num(c.capacity) + ' · ' + bytes(c.memory_bytes)]];
    const labels = labelText(c.labels);
    if (labels) rows.push(['labels', esc(labels)]);
    if (!x) return rows;
    rows.push(['alert', '<span class="alert-' + x.alert + '">' + x.alert + '</span>'],
      ['rate', rate(x.rate)], ['in flight', num(x.in_flight) + ' · ' + fixed(x.fill_pct, 1) + '%'],
      ['sent / taken', num(x.sent) + ' / ' + num(x.taken)], ['closed', x.closed ? 'yes' : 'no'],
      ['latency (frame)', x.latency_ms ? latWin(x.latency_ms) : c.latency_sampled ? 'no samples' : 'not sampled'],
      ['latency (window)', latWin(x.window && x.window.latency_ms)],
      ['fill % (window)', win(x.window && x.window.fill_pct)],
      ['rate (window)', win(x.window && x.window.rate, (v) => rate(v))]);
    return rows;
  }

  function actorTip(id) {
    return S.structure.actors[id].name + '\n' + actorRows(id).map(([k, v]) => k + ': ' + strip(v)).join('\n');
  }
  function edgeTip(id) {
    const e = S.structure.edges[id];
    return e.channels.map((cid) => S.structure.channels[cid].name + '\n' +
      channelRows(cid).map(([k, v]) => '  ' + k + ': ' + strip(v)).join('\n')).join('\n');
  }
  function strip(html) { const d = document.createElement('div'); d.innerHTML = html; return d.textContent; }

  function showTip(ev, text) {
    const tip = $('tip');
    tip.textContent = text();
    tip.hidden = false;
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = Math.max(4, x) + 'px';
    tip.style.top = Math.max(4, y) + 'px';
  }
  function hideTip() { $('tip').hidden = true; }

  function select(sel) {
    for (const el of S.svg.querySelectorAll('g.selected')) el.classList.remove('selected');
    S.selected = sel;
    if (!sel) { $('panel').hidden = true; return; }
    const g = sel.kind === 'actor' ? S.nodes[sel.id] && S.nodes[sel.id].g : S.edges[sel.id] && S.edges[sel.id].g;
    if (g) g.classList.add('selected');
    $('panel').hidden = false;
    refreshPanel();
  }

  function sparkline(label, values, fmt) {
    const vals = values.map((v) => (v === null || v === undefined ? null : Number(v)));
    const seen = vals.filter((v) => v !== null);
    const W = 300, H = 40;
    const lo = Math.min(0, ...seen), hi = Math.max(...seen, lo + 1e-9);
    const n = vals.length;
    const pts = [];
    vals.forEach((v, i) => {
      if (v === null) return;
      const x = n <= 1 ? W : (i / (n - 1)) * W;
      const y = H - 2 - ((v - lo) / (hi - lo)) * (H - 4);
      pts.push(fixed(x, 1) + ',' + fixed(y, 1));
    });
    const cur = seen.length ? fmt(seen[seen.length - 1]) : '–';
    const area = pts.length > 1 ? '<polygon points="' + pts[0].split(',')[0] + ',' + H + ' ' + pts.join(' ') + ' ' +
      pts[pts.length - 1].split(',')[0] + ',' + H + '"/>' : '';
    return '<div class="spark-box"><div class="spark-head"><span>' + esc(label) + '</span><b>' + esc(cur) + '</b></div>' +
      '<svg class="spark" viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none">' + area +
      '<polyline points="' + pts.join(' ') + '"/></svg>' +
      '<div class="spark-range">' + (seen.length ? 'min ' + esc(fmt(Math.min(...seen))) + ' · max ' +
      esc(fmt(Math.max(...seen))) + ' · ' + seen.length + ' frames' : 'no data yet') + '</div></div>';
  }

  function refreshPanel() {
    const sel = S.selected;
    if (!sel || !S.structure) return;
    const h = S.hist;
    let title, body, sparks = '';
    if (sel.kind === 'actor') {
      const a = S.structure.actors[sel.id];
      title = a.name;
      body = figs(actorRows(sel.id));
      const s = h.actors[sel.id];
      sparks = sparkline('busy %', s.busy_pct, (v) => fixed(v, 1) + '%') +
        sparkline('mCPU', s.mcpu, (v) => fixed(v, 0)) +
        sparkline('load %', s.load_pct, (v) => fixed(v, 1) + '%') +
        sparkline('passes/s', s.passes_per_s, rate);
    } else {
      const e = S.structure.edges[sel.id];
      title = e.label;
      body = e.channels.map((cid) => (e.channels.length > 1 ? '<h3>' + esc(S.structure.channels[cid].name) + '</h3>' : '') +
        figs(channelRows(cid))).join('');
      const lanes = e.channels.map((cid) => h.channels[cid]);
      const sum = (k) => lanes[0][k].map((_, i) => lanes.reduce((acc, l) => acc + (l[k][i] || 0), 0));
      const maxOf = (k) => lanes[0][k].map((_, i) => {
        const vs = lanes.map((l) => l[k][i]).filter((v) => v !== null && v !== undefined);
        return vs.length ? Math.max(...vs) : null;
      });
      const lanesNote = lanes.length > 1 ? ' (' + lanes.length + ' lanes)' : '';
      sparks = sparkline('rate' + lanesNote, sum('rate'), rate) +
        sparkline('fill %' + (lanes.length > 1 ? ' (fullest lane)' : ''), maxOf('fill_pct'), (v) => fixed(v, 1) + '%') +
        sparkline('latency p50 (window)', maxOf('latency_p50_ms'), ms);
    }
    setText($('p-title'), title);
    $('p-body').innerHTML = body;
    $('sparks').innerHTML = sparks;
  }

  // ---------------------------------------------------------------- zoom and pan

  function applyView() {
    if (!S.svg || !S.view) return;
    const v = S.view;
    S.svg.setAttribute('viewBox', [v.x, v.y, v.w, v.h].map((n) => fixed(n, 2)).join(' '));
  }
  function zoom(factor, cx, cy) {
    if (!S.view) return;
    const v = S.view;
    const px = cx === undefined ? v.x + v.w / 2 : cx;
    const py = cy === undefined ? v.y + v.h / 2 : cy;
    const w = Math.min(Math.max(v.w * factor, S.base.w / 20), S.base.w * 20);
    const k = w / v.w;
    S.view = { x: px - (px - v.x) * k, y: py - (py - v.y) * k, w, h: v.h * k };
    applyView();
  }
  function svgPoint(ev) {
    const r = S.svg.getBoundingClientRect();
    const v = S.view;
    const s = Math.max(v.w / r.width, v.h / r.height);  // "meet": the larger scale wins
    const ox = (r.width - v.w / s) / 2, oy = (r.height - v.h / s) / 2;
    return { x: v.x + (ev.clientX - r.left - ox) * s, y: v.y + (ev.clientY - r.top - oy) * s, s };
  }

  function wireZoomPan() {
    const box = $('graph');
    box.addEventListener('wheel', (ev) => {
      if (!S.svg) return;
      ev.preventDefault();
      const p = svgPoint(ev);
      zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
    }, { passive: false });
    let drag = null;
    box.addEventListener('mousedown', (ev) => {
      if (!S.svg || ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, view: { ...S.view }, s: svgPoint(ev).s, moved: false };
      box.classList.add('dragging');
    });
    window.addEventListener('mousemove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      S.view = { ...drag.view, x: drag.view.x - dx * drag.s, y: drag.view.y - dy * drag.s };
      applyView();
    });
    window.addEventListener('mouseup', () => { drag = null; box.classList.remove('dragging'); });
    box.addEventListener('click', () => { if (!drag) select(null); });
  }

  // ---------------------------------------------------------------- downloads, recording, replay

  function download(name, text, type) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function stamp() { return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19); }
  function fileBase() { return (S.structure ? S.structure.title : 'steady').replace(/[^A-Za-z0-9_-]+/g, '_'); }

  // DOT of what the page shows: for when the process is gone (live, the server's /graph.dot is used).
  function localDot() {
    const st = S.structure;
    const q = (s) => '"' + String(s).replace(/["\\]/g, '\\$&') + '"';
    const lines = ['digraph steady {', '  graph [rankdir=LR, label=' + q(st.title) + '];', '  node [shape=box, style=rounded];'];
    for (const a of st.actors) {
      const n = S.nodes[a.id];
      lines.push('  a' + a.id + ' [label=' + q(n ? n.texts.map((t) => t.textContent).join('\n') : a.name).replace(/\n/g, '\\n') + '];');
    }
    for (const e of st.edges) {
      const d = S.edges[e.id];
      const label = d ? d.texts.map((t) => t.textContent).join('\n') : e.label;
      lines.push('  a' + e.from + ' -> a' + e.to + ' [label=' + q(label).replace(/\n/g, '\\n') + '];');
    }
    lines.push('}');
    return lines.join('\n') + '\n';
  }

  function recordingHeader() {
    return JSON.stringify({ kind: 'steady-telemetry-recording', version: 1, structure: S.structure,
      options: S.options, layout_svg: S.layoutSvg });
  }

  function toggleRecording() {
    const btn = $('record');
    if (!S.recording) {
      if (S.mode === 'replay' || !S.structure) return;
      S.recording = { header: recordingHeader(), frames: [] };
      btn.classList.add('on');
      btn.textContent = '■ Stop & save (0)';
      return;
    }
    const r = S.recording;
    S.recording = null;
    btn.classList.remove('on');
    btn.innerHTML = '&#9679; Record';
    download(fileBase() + '-' + stamp() + '.jsonl', r.header + '\n' + r.frames.join('\n') + '\n', 'application/x-ndjson');
  }

  function openRecording(text, name) {
    const lines = text.split('\n').filter((l) => l.trim());
    const header = JSON.parse(lines[0]);
    if (header.kind !== 'steady-telemetry-recording') throw new Error('not a steady_state telemetry recording');
    const frames = lines.slice(1).map((l) => JSON.parse(l));
    if (S.es) { S.es.close(); S.es = null; }
    if (S.recording) toggleRecording();
    S.seededUpTo = 0;
    setup(header.structure, header.options, header.layout_svg);
    S.replay = { frames, idx: -1, timer: null, name };
    S.mode = 'replay';
    $('replay').hidden = false;
    $('rp-pos').max = String(Math.max(0, frames.length - 1));
    setMode('replay');
    replayTo(0);
  }

  function replayTo(idx) {
    const r = S.replay;
    if (!r || !r.frames.length) return;
    idx = Math.max(0, Math.min(idx, r.frames.length - 1));
    if (idx !== r.idx + 1) {  // a jump: rebuild the window's history from the frames before it
      S.hist = newHistory();
      for (let i = Math.max(0, idx - S.windowFrames + 1); i < idx; i++) remember(r.frames[i]);
    }
    r.idx = idx;
    const f = r.frames[idx];
    remember(f);
    S.last = f;
    render(f);
    $('rp-pos').value = String(idx);
    $('rp-info').textContent = (r.name ? r.name + ' · ' : '') + 'frame ' + (idx + 1) + '/' + r.frames.length +
      ' · #' + f.seq + ' · ' + clock(f.unix_ms);
    const title = S.structure.title;
    document.title = title + ' · Replay · frame ' + (idx + 1) + '/' + r.frames.length;
  }
  function replayStep() {
    const r = S.replay;
    if (!r) return false;
    if (r.idx + 1 >= r.frames.length) { stopPlaying(); return false; }
    replayTo(r.idx + 1);
    return true;
  }
  function stopPlaying() {
    const r = S.replay;
    if (r && r.timer) { clearInterval(r.timer); r.timer = null; }
    $('rp-play').textContent = 'Play';
  }
  function togglePlay() {
    const r = S.replay;
    if (!r) return;
    if (r.timer) { stopPlaying(); return; }
    if (r.idx + 1 >= r.frames.length) r.idx = -1;
    r.timer = setInterval(replayStep, S.options.frame_ms);
    $('rp-play').textContent = 'Pause';
  }

  function wireControls() {
    $('pause').addEventListener('click', () => {
      S.paused = !S.paused;
      $('pause').textContent = S.paused ? 'Resume' : 'Pause';
      $('pause').classList.toggle('on', S.paused);
      if (!S.paused && S.last) render(S.last);
      setMode(S.mode);
    });
    $('fit').addEventListener('click', () => { if (S.base) { S.view = { ...S.base }; applyView(); } });
    $('zoom-in').addEventListener('click', () => zoom(1 / 1.25));
    $('zoom-out').addEventListener('click', () => zoom(1.25));
    $('dl-dot').addEventListener('click', async () => {
      let text = null;
      if (S.mode === 'live' || S.mode === 'stopped') {
        try { const r = await fetch('graph.dot', { cache: 'no-store' }); if (r.ok) text = await r.text(); } catch (e) { /* gone */ }
      }
      download(fileBase() + '.dot', text || localDot(), 'text/vnd.graphviz');
    });
    $('dl-svg').addEventListener('click', () => {
      if (!S.svg) return;
      const copy = S.svg.cloneNode(true);
      copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
      copy.setAttribute('viewBox', [S.base.x, S.base.y, S.base.w, S.base.h].join(' '));
      copy.setAttribute('width', S.base.w);
      copy.setAttribute('height', S.base.h);
      download(fileBase() + '.svg', new XMLSerializer().serializeToString(copy), 'image/svg+xml');
    });
    $('record').addEventListener('click', toggleRecording);
    $('open').addEventListener('change', async (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (!file) return;
      try { openRecording(await file.text(), file.name); } catch (e) { alert('Cannot replay ' + file.name + ': ' + e.message); }
      ev.target.value = '';
    });
    $('rp-play').addEventListener('click', togglePlay);
    $('rp-step').addEventListener('click', () => { stopPlaying(); replayStep(); });
    $('rp-pos').addEventListener('input', (ev) => { stopPlaying(); replayTo(Number(ev.target.value)); });
    $('rp-live').addEventListener('click', () => location.reload());
    $('p-close').addEventListener('click', () => select(null));
    document.addEventListener('keydown', (ev) => {
      if (ev.target.tagName === 'INPUT') return;
      if (ev.key === 'f') $('fit').click();
      else if (ev.key === ' ') { ev.preventDefault(); S.replay ? togglePlay() : $('pause').click(); }
      else if (ev.key === 'Escape') select(null);
    });
    wireZoomPan();
  }

  // For people poking at the page from the console, and for the browser test.
  window.steadyUI = {
    state: () => ({ mode: S.mode, seq: S.last ? S.last.seq : 0, paused: S.paused, title: document.title,
      replay: S.replay ? { idx: S.replay.idx, frames: S.replay.frames.length } : null,
      recording: S.recording ? S.recording.frames.length : null }),
    rendered: () => S.rendered,
    positions: () => S.nodes.map((n) => {
      const b = (n.shape || n.g).getBBox();
      return [b.x, b.y, b.width, b.height].map((v) => Math.round(v * 100) / 100);
    }),
    replayStep,
    replayTo,
    structure: () => S.structure,
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
