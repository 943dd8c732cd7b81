// The inferd console: a page with no dependencies. It reads /ui/api/,
// keeps itself live with the server-sent events of /ui/api/events, and
// acts through the management API (the same routes as the CLI).
import { sparkline, lineChart, barChart, pipelineGraph } from './charts.js';

const main = document.getElementById('main');
const live = document.getElementById('live');
let token = sessionStorage.getItem('inferd-token') || '';
let overview = null; // the last overview event
let current = null; // {kind, name} of the page shown

// h builds an element: h('a', {href: '#'}, 'text', child...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function headers(extra) {
  const hd = Object.assign({}, extra);
  if (token) hd.Authorization = 'Bearer ' + token;
  return hd;
}

async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const resp = await fetch(path, init);
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { error: text }; }
  if (!resp.ok) throw new Error((data && data.error) || resp.status + ' ' + resp.statusText);
  return data;
}

// Formatting.
const ms = (s) => (s > 0 ? (s * 1000 < 10 ? (s * 1000).toFixed(2) : (s * 1000).toFixed(1)) + ' ms' : '–');
const pct = (x) => (x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1) + '%';
const rate = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(2)) + '/s';

function stateBadges(versions) {
  return versions.map((v) => h('span', { class: 'state ' + v.state, title: v.error || null }, 'v' + v.number + ' ' + v.state));
}

function labelText(labels) {
  const ks = Object.keys(labels || {}).sort();
  return ks.length ? ks.map((k) => k + '→v' + labels[k]).join(', ') : '–';
}

function trafficText(t) {
  const ks = Object.keys(t || {});
  return ks.length ? ks.map((k) => 'v' + k + ' ' + t[k] + '%').join(', ') : 'default version';
}

function shadowText(s) {
  if (!s) return '–';
  const n = s.agree + s.disagree;
  return 'v' + s.version + ': ' + (n ? pct(s.agree / n) + ' agree of ' + n : 'no comparisons yet') + (s.other ? ', ' + s.other + ' not compared' : '');
}

// totals sums the last five minutes of a model's versions.
function totals(m) {
  let rps = 0, errs = 0, p50 = 0, p99 = 0;
  const n = 30;
  const spark = { rps: new Array(n).fill(0), p99: new Array(n).fill(0) };
  for (const v of m.versions) {
    rps += v.rps; errs += v.rps * v.error_rate;
    p50 = Math.max(p50, v.p50); p99 = Math.max(p99, v.p99);
    if (v.spark) v.spark.rps.forEach((x, i) => { spark.rps[i] += x; spark.p99[i] = Math.max(spark.p99[i], v.spark.p99[i]); });
  }
  return { rps, errorRate: rps ? errs / rps : 0, p50, p99, spark };
}

function renderOverview() {
  const rows = overview.models.map((m) => {
    const t = totals(m);
    const href = (m.pipeline ? '#/pipelines/' : '#/models/') + encodeURIComponent(m.name);
    const errors = m.versions.filter((v) => v.error).map((v) => h('div', { class: 'err' }, 'v' + v.number + ': ' + v.error));
    if (m.config_error) errors.unshift(h('div', { class: 'err' }, 'config: ' + m.config_error));
    return h('tr', {},
      h('th', { scope: 'row' }, h('a', { href }, m.name)),
      h('td', {}, m.pipeline ? 'pipeline' : 'model', m.unloaded ? ' (unloaded)' : ''),
      h('td', {}, stateBadges(m.versions), errors),
      h('td', {}, labelText(m.labels)),
      h('td', {}, trafficText(m.traffic)),
      h('td', {}, shadowText(m.shadow)),
      h('td', { class: 'num' }, rate(t.rps), ' ', sparkline(t.spark.rps, 'requests per second, last 5 minutes, ' + m.name)),
      h('td', { class: 'num' }, pct(t.errorRate)),
      h('td', { class: 'num' }, ms(t.p50)),
      h('td', { class: 'num' }, ms(t.p99), ' ', sparkline(t.spark.p99, 'p99 latency, last 5 minutes, ' + m.name)));
  });
  const table = h('table', { id: 'models' },
    h('caption', {}, overview.models.length + ' models and pipelines; rates and latencies over the last 5 minutes'),
    h('thead', {}, h('tr', {}, ['Name', 'Kind', 'Versions', 'Labels', 'Traffic', 'Shadow', 'Requests', 'Errors', 'p50', 'p99'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows));
  main.replaceChildren(h('h1', {}, 'Overview'), table);
}

// confirm asks in the dialog; resolves true on Confirm.
function confirmAction(text) {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  dlg.returnValue = '';
  dlg.showModal();
  return new Promise((resolve) => dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true }));
}

// act confirms, calls the management API and reports in #message.
async function act(text, method, path, body) {
  if (!(await confirmAction(text))) return;
  const msg = document.getElementById('message');
  try {
    await api(method, path, body);
    msg.className = 'message';
    msg.textContent = 'Done: ' + text;
    await refresh();
  } catch (e) {
    msg.className = 'message bad';
    msg.textContent = 'Refused: ' + e.message;
  }
  msg.focus();
}

function actionForms(p) {
  const name = encodeURIComponent(p.name);
  const versions = p.versions.map((v) => v.number);
  const opts = (sel) => versions.map((n) => h('option', { value: n, selected: n === sel }, 'v' + n));
  const labels = Object.keys(p.labels).sort();
  const labelForm = h('form', { class: 'action', id: 'label-form', 'aria-labelledby': 'label-h' },
    h('label', {}, 'Label', h('input', { id: 'label-name', list: 'label-list', required: true, value: labels[0] || 'production' })),
    h('datalist', { id: 'label-list' }, labels.map((l) => h('option', { value: l }))),
    h('label', {}, 'Version', h('select', { id: 'label-version' }, opts(versions[versions.length - 1]))),
    h('button', { type: 'submit' }, 'Move label'));
  labelForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const l = document.getElementById('label-name').value.trim();
    const v = Number(document.getElementById('label-version').value);
    act('Move label "' + l + '" of ' + p.name + ' to version ' + v + '?', 'PUT', '/models/' + name + '/labels/' + encodeURIComponent(l), { version: v });
  });
  const splitForm = h('form', { class: 'action', id: 'split-form', 'aria-labelledby': 'split-h' },
    versions.map((n) => h('label', {}, 'v' + n + ' %', h('input', { type: 'number', min: 0, max: 100, name: String(n), value: p.traffic[n] ?? '' }))),
    h('button', { type: 'submit' }, 'Set split'),
    h('button', { type: 'button', onclick: () => act('Send all of ' + p.name + "'s traffic to its default version?", 'DELETE', '/models/' + name + '/traffic') }, 'Clear split'));
  splitForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const split = {};
    for (const inp of splitForm.querySelectorAll('input')) if (inp.value !== '' && Number(inp.value) > 0) split[inp.name] = Number(inp.value);
    act('Split ' + p.name + "'s traffic " + trafficText(split) + '?', 'PUT', '/models/' + name + '/traffic', split);
  });
  const loadForm = h('div', { class: 'action' },
    h('button', { type: 'button', onclick: () => act('Load ' + p.name + ' from the repository?', 'POST', '/v2/repository/models/' + name + '/load', {}) }, 'Load'),
    h('button', { type: 'button', class: 'danger', onclick: () => act('Unload every version of ' + p.name + '?', 'POST', '/v2/repository/models/' + name + '/unload', {}) }, 'Unload'),
    h('span', { class: 'muted' }, 'Load and unload need the server in explicit model control (--model-control explicit).'));
  return [h('h2', { id: 'label-h' }, 'Move a label'), labelForm, h('h2', { id: 'split-h' }, 'Traffic split'), splitForm,
    h('h2', {}, 'Load or unload'), loadForm];
}

function historyTable(p) {
  return h('table', { id: 'history' }, h('caption', {}, 'Versions'),
    h('thead', {}, h('tr', {}, ['Version', 'State', 'Engine', 'Loaded', 'Load time', 'SHA-256', 'Requests (1 h)', 'Errors', 'p50', 'p99'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, p.history.map((v) => h('tr', {},
      h('th', { scope: 'row' }, 'v' + v.number),
      h('td', {}, h('span', { class: 'state ' + v.state }, v.state), v.error ? h('div', { class: 'err' }, v.error) : null),
      h('td', {}, v.engine || '–'),
      h('td', {}, v.loaded_at ? new Date(v.loaded_at).toLocaleString() : '–'),
      h('td', { class: 'num' }, v.load_seconds ? v.load_seconds.toFixed(2) + ' s' : '–'),
      h('td', {}, h('code', {}, (v.sha256 || '').slice(0, 12) || '–')),
      h('td', { class: 'num' }, v.hour.requests),
      h('td', { class: 'num' }, v.hour.errors),
      h('td', { class: 'num' }, ms(v.hour.p50)),
      h('td', { class: 'num' }, ms(v.hour.p99))))));
}

function versionCharts(v) {
  if (!v.hour.requests && !v.hour.shadow_agree && !v.hour.shadow_disagree) return null;
  const t = v.series.map((pt) => pt.t);
  const bars = (counts, fmt) => counts.map((c, i) => ({ label: c.le ? '≤' + fmt(c.le) : '>' + fmt(counts[i - 1].le), count: c.count })).filter((b, i, all) => b.count || all.slice(i).some((x) => x.count));
  return h('section', { 'aria-label': 'Version ' + v.number + ' charts' },
    h('h3', {}, 'Version ' + v.number + ', last hour'),
    h('div', { class: 'charts' },
      lineChart('Requests per second', t, [{ name: 'req/s', values: v.series.map((pt) => pt.requests / 10), cls: 'p50' }], (x) => x.toFixed(1)),
      lineChart('Latency', t, [{ name: 'p50', values: v.series.map((pt) => pt.p50 * 1000), cls: 'p50' }, { name: 'p99', values: v.series.map((pt) => pt.p99 * 1000), cls: 'p99' }], (x) => x.toFixed(1) + ' ms'),
      barChart('Batch sizes (rows per engine call)', bars(v.hour.batch_sizes, (x) => String(x))),
      barChart('Queue time', bars(v.hour.queue_seconds, (x) => ms(x)))));
}

function accuracyTable(p) {
  if (!p.accuracy) return h('p', { class: 'muted' }, 'Live accuracy needs payload capture (--data-dir or --capture-store) and feedback.');
  const rows = [];
  for (const [ver, wins] of Object.entries(p.accuracy)) for (const [w, s] of Object.entries(wins)) rows.push(h('tr', {}, h('th', { scope: 'row' }, 'v' + ver), h('td', {}, w.replace('_', ' ')), h('td', { class: 'num' }, pct(s.accuracy)), h('td', { class: 'num' }, s.labelled)));
  if (!rows.length) return h('p', { class: 'muted' }, 'No feedback yet.');
  return h('table', { id: 'accuracy' }, h('caption', {}, 'Live accuracy from feedback'),
    h('thead', {}, h('tr', {}, ['Version', 'Window', 'Accuracy', 'Labelled'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows));
}

function driftTables(p) {
  const out = [];
  for (const v of p.history) {
    if (!v.drift) continue;
    const sides = Object.fromEntries((v.drift_sides || []).map((s) => [s.feature, s]));
    const num = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
    out.push(h('table', { class: 'drift' },
      h('caption', {}, 'Version ' + v.number + ': last window of ' + v.drift.rows + ' requests, score ' + num(v.drift.score) + ' (threshold ' + num(v.drift.threshold) + ')' + (v.drift.detected ? ': DRIFT DETECTED' : '')),
      h('thead', {}, h('tr', {}, ['Feature', 'Test', 'Score', 'p-value', 'Drifted', 'Reference mean ± sd', 'Current mean ± sd'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, v.drift.features.map((f) => {
        const s = sides[f.feature];
        return h('tr', {}, h('th', { scope: 'row' }, f.feature), h('td', {}, f.test), h('td', { class: 'num' }, num(f.score)),
          h('td', { class: 'num' }, num(f.p_value)), h('td', {}, f.drifted ? 'yes' : 'no'),
          h('td', { class: 'num' }, s ? num(s.reference_mean) + ' ± ' + num(s.reference_std) : '–'),
          h('td', { class: 'num' }, s ? num(s.mean) + ' ± ' + num(s.std) : '–'));
      }))));
  }
  return out.length ? out : [h('p', { class: 'muted' }, 'No drift window yet (needs payload capture and a profile.json made by inferd monitor profile).')];
}

function evaluationSection(p) {
  const e = p.evaluation;
  const out = [];
  if (e) {
    out.push(h('table', { id: 'evaluation' }, h('caption', {}, 'Latest evaluation: ' + e.label + ' ' + (e.from ? 'v' + e.from + ' → ' : '') + 'v' + e.to + ' on ' + e.dataset + ', ' + (e.promoted ? 'promoted' : 'refused') + ' ' + new Date(e.time).toLocaleString()),
      h('thead', {}, h('tr', {}, ['Metric', 'Candidate', 'Baseline'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, Object.keys(e.metrics).sort().map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, e.metrics[k].toFixed(4)), h('td', { class: 'num' }, e.baseline_metrics && k in e.baseline_metrics ? e.baseline_metrics[k].toFixed(4) : '–'))))));
    if (e.reason) out.push(h('p', {}, e.reason));
  } else out.push(h('p', { class: 'muted' }, 'No evaluation recorded (inferd promote writes one).'));
  if (p.promotions_error) out.push(h('p', { class: 'err' }, p.promotions_error));
  if (p.promotions.length) {
    out.push(h('table', { id: 'promotions' }, h('caption', {}, 'Promotion record'),
      h('thead', {}, h('tr', {}, ['Time', 'Actor', 'Label', 'From', 'To', 'Result', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, p.promotions.slice().reverse().map((r) => h('tr', {}, h('td', {}, new Date(r.time).toLocaleString()), h('td', {}, r.actor), h('td', {}, r.label), h('td', {}, r.from ? 'v' + r.from : '–'), h('td', {}, 'v' + r.to), h('td', {}, r.promoted ? 'promoted' : 'refused'), h('td', {}, r.reason || ''))))));
  }
  return out;
}

function renderModel(p, fresh) {
  const liveParts = [
    h('p', {}, 'Labels: ', labelText(p.labels), '. Traffic: ', trafficText(p.traffic), '. Shadow: ', shadowText(p.shadow), '.'),
    historyTable(p),
    h('h2', {}, 'Latency and throughput'),
    p.history.map(versionCharts).filter(Boolean).length ? p.history.map(versionCharts) : h('p', { class: 'muted' }, 'No requests in the last hour.'),
    h('h2', {}, 'Live accuracy'), accuracyTable(p),
    h('h2', {}, 'Drift'), driftTables(p),
    h('h2', {}, 'Evaluation and promotions'), evaluationSection(p)];
  if (fresh || !document.getElementById('model-live')) {
    main.replaceChildren(h('h1', {}, 'Model ', p.name), h('div', { id: 'model-live' }, liveParts),
      h('div', { id: 'message', tabindex: '-1', role: 'status' }), ...actionForms(p));
  } else document.getElementById('model-live').replaceChildren(...liveParts.flat(Infinity).filter(Boolean));
}

function renderPipeline(p) {
  const parts = [h('h1', {}, 'Pipeline ', p.name)];
  for (const v of p.versions) {
    parts.push(h('h2', {}, 'Version ' + v.number + ' ', h('span', { class: 'state ' + v.state }, v.state)));
    if (v.error) parts.push(h('p', { class: 'err' }, v.error));
    if (!v.graph) continue;
    // The graph may be wider than the page: its scrolling box takes focus so
    // that a keyboard can scroll it.
    parts.push(h('div', { class: 'graph', tabindex: '0', role: 'region', 'aria-label': 'Graph of version ' + v.number },
      pipelineGraph(v.graph, v.steps, ms)));
    parts.push(h('table', { class: 'steps' }, h('caption', {}, 'Steps over the last hour'),
      h('thead', {}, h('tr', {}, ['Step', 'Runs', 'Model or operation', 'Errors', 'p50', 'p99'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, v.graph.steps.map((s) => {
        const st = v.steps[s.name] || {};
        return h('tr', {}, h('th', { scope: 'row' }, s.name), h('td', { class: 'num' }, st.requests || 0),
          h('td', {}, s.model ? h('a', { href: '#/models/' + encodeURIComponent(s.model) }, s.model + (s.version ? ' @ ' + s.version : '')) : s.op),
          h('td', { class: 'num' }, st.errors || 0), h('td', { class: 'num' }, ms(st.p50)), h('td', { class: 'num' }, ms(st.p99)));
      }))));
  }
  main.replaceChildren(...parts);
}

// refresh fetches what the page shows; fresh re-creates the forms too.
async function refresh(fresh) {
  const page = current;
  try {
    if (page.kind === 'overview') {
      if (!overview || fresh) overview = await api('GET', '/ui/api/overview');
      renderOverview();
    } else if (page.kind === 'model') {
      const p = await api('GET', '/ui/api/models/' + encodeURIComponent(page.name));
      if (page === current) renderModel(p, fresh);
    } else {
      const p = await api('GET', '/ui/api/pipelines/' + encodeURIComponent(page.name));
      if (page === current) renderPipeline(p);
    }
  } catch (e) {
    if (page === current) main.replaceChildren(h('h1', {}, 'Cannot load this page'), h('p', { class: 'err' }, e.message));
  }
}

function route(initial) {
  const m = location.hash.match(/^#\/(models|pipelines)\/(.+)$/);
  current = m ? { kind: m[1] === 'models' ? 'model' : 'pipeline', name: decodeURIComponent(m[2]) } : { kind: 'overview' };
  document.title = (current.name ? current.name + ' – ' : '') + 'inferd console';
  // A new page takes the focus (screen readers announce it); the first
  // load leaves it at the start, so that Tab reaches the skip link.
  refresh(true).then(() => { if (initial !== true) main.focus({ preventScroll: true }); });
}

// events reads the server-sent events with fetch (EventSource cannot send
// the Authorization header), reconnecting after a drop.
async function events() {
  for (;;) {
    try {
      const resp = await fetch('/ui/api/events', { headers: headers({ Accept: 'text/event-stream' }) });
      if (!resp.ok) throw new Error((await resp.json().catch(() => ({}))).error || resp.statusText);
      live.textContent = 'Live';
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          onEvent(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
      live.textContent = 'Reconnecting…';
    } catch (e) {
      live.textContent = 'Not live: ' + e.message;
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
}

let pending = false;
function onEvent(block) {
  const lines = block.split('\n');
  const ev = (lines.find((l) => l.startsWith('event: ')) || '').slice(7);
  const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
  if (ev !== 'overview' || !data) return;
  overview = JSON.parse(data);
  live.textContent = 'Live, updated ' + new Date(overview.time * 1000).toLocaleTimeString();
  if (current.kind === 'overview') renderOverview();
  else if (!pending && !document.getElementById('confirm').open) {
    pending = true;
    refresh(false).finally(() => { pending = false; });
  }
}

document.getElementById('token').value = token;
document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = document.getElementById('token').value.trim();
  sessionStorage.setItem('inferd-token', token);
  route();
});
window.addEventListener('hashchange', route);
route(true);
events();
