// SVG charts for the console, drawn by hand (no chart library): each is
// role="img" with a label that says what it shows.
const NS = 'http://www.w3.org/2000/svg';
const COLORS = { p50: '#0b5cad', p99: '#a4161a', bar: '#0b5cad', line: '#c8ccd0', node: '#f3f5f7', edge: '#4a4a4a' };

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function svg(w, h, label, ...children) {
  return s('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': label }, s('title', {}, label), ...children);
}

function path(values, w, h, max, pad = 1) {
  const n = values.length;
  return values.map((v, i) => `${i ? 'L' : 'M'}${(pad + (i * (w - 2 * pad)) / Math.max(n - 1, 1)).toFixed(1)},${(h - pad - ((h - 2 * pad) * v) / (max || 1)).toFixed(1)}`).join('');
}

// sparkline is a small line of values (oldest first).
export function sparkline(values, label) {
  const w = 80, h = 20, max = Math.max(...values, 0);
  return svg(w, h, label + (max ? '' : ' (none)'), s('path', { d: path(values, w, h, max), fill: 'none', stroke: COLORS.p50, 'stroke-width': 1.5, class: 'spark' }));
}

// lineChart draws series [{name, values, cls}] over times t (Unix s).
export function lineChart(title, t, series, fmt) {
  const w = 420, h = 160, left = 56, bottom = 20, top = 8;
  const max = Math.max(0, ...series.flatMap((x) => x.values));
  const pw = w - left - 8, ph = h - bottom - top;
  const g = s('g', { transform: `translate(${left},${top})` });
  g.append(s('line', { x1: 0, y1: ph, x2: pw, y2: ph, stroke: COLORS.line }), s('line', { x1: 0, y1: 0, x2: 0, y2: ph, stroke: COLORS.line }));
  g.append(s('text', { x: -4, y: 4, 'text-anchor': 'end' }, fmt(max)), s('text', { x: -4, y: ph, 'text-anchor': 'end' }, fmt(0)));
  const time = (u) => new Date(u * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (t.length) g.append(s('text', { x: 0, y: ph + 14 }, time(t[0])), s('text', { x: pw, y: ph + 14, 'text-anchor': 'end' }, time(t[t.length - 1])));
  for (const x of series) g.append(s('path', { d: path(x.values, pw, ph, max, 0), fill: 'none', stroke: COLORS[x.cls], 'stroke-width': 1.5, class: 'series-' + x.name }));
  const last = series.map((x) => x.name + ' peak ' + fmt(Math.max(0, ...x.values))).join(', ');
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap, svg(w, h, title + ' over the last hour: ' + last, g));
  if (series.length > 1) {
    const p = document.createElement('div');
    p.className = 'legend';
    for (const x of series) {
      const sw = document.createElement('span');
      sw.className = 'sw-' + x.cls;
      sw.textContent = '■ ';
      p.append(sw, x.name + '  ');
    }
    fig.append(p);
  }
  return fig;
}

// barChart draws bars [{label, count}].
export function barChart(title, bars) {
  const w = 420, h = 160, left = 40, bottom = 34, top = 8;
  const max = Math.max(1, ...bars.map((b) => b.count));
  const pw = w - left - 8, ph = h - bottom - top, bw = pw / Math.max(bars.length, 1);
  const g = s('g', { transform: `translate(${left},${top})` });
  g.append(s('line', { x1: 0, y1: ph, x2: pw, y2: ph, stroke: COLORS.line }));
  g.append(s('text', { x: -4, y: 8, 'text-anchor': 'end' }, String(max)));
  bars.forEach((b, i) => {
    const bh = (ph * b.count) / max;
    g.append(s('rect', { x: i * bw + 1, y: ph - bh, width: Math.max(bw - 2, 1), height: bh, fill: COLORS.bar }, s('title', {}, b.label + ': ' + b.count)));
    if (i % Math.ceil(bars.length / 7) === 0) g.append(s('text', { x: i * bw + bw / 2, y: ph + 12, 'text-anchor': 'middle' }, b.label));
  });
  const fig = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  const summary = bars.filter((b) => b.count).map((b) => b.label + ': ' + b.count).join(', ') || 'none';
  fig.append(cap, svg(w, h, title + ' over the last hour: ' + summary, g));
  return fig;
}

// pipelineGraph lays the steps out in columns by depth (the inputs first,
// the outputs last) and draws the edges between them.
export function pipelineGraph(graph, stats, fmt) {
  const depth = {};
  for (const st of graph.steps) depth[st.name] = 1 + Math.max(0, ...st.inputs.map((e) => (e.from_step ? depth[e.from_step] : 0)));
  const cols = [[...graph.inputs.map((n) => ({ id: 'in:' + n, title: n, sub: 'input' }))]];
  for (const st of graph.steps) {
    const d = depth[st.name];
    (cols[d] = cols[d] || []).push({ id: st.name, title: st.name, sub: st.model ? st.model + (st.version ? ' @ ' + st.version : '') : st.op, step: st });
  }
  const outCol = cols.length;
  cols[outCol] = graph.outputs.map((o) => ({ id: 'out:' + o.name, title: o.name, sub: 'output', out: o }));
  const nw = 200, nh = 58, gx = 44, gy = 18;
  const pos = {};
  cols.forEach((col, c) => (col || []).forEach((n, r) => { pos[n.id] = { x: 10 + c * (nw + gx), y: 10 + r * (nh + gy), n }; }));
  const w = 20 + cols.length * (nw + gx) - gx, h = 20 + Math.max(...cols.map((c) => (c || []).length)) * (nh + gy) - gy;
  const edges = [];
  const edge = (from, to) => {
    const a = pos[from], b = pos[to];
    if (a && b) edges.push(s('path', { d: `M${a.x + nw},${a.y + nh / 2} C${a.x + nw + gx / 2},${a.y + nh / 2} ${b.x - gx / 2},${b.y + nh / 2} ${b.x},${b.y + nh / 2}`, fill: 'none', stroke: COLORS.edge, 'marker-end': 'url(#arrow)' }));
  };
  const seen = new Set();
  for (const st of graph.steps) for (const e of st.inputs) {
    const from = e.from_step || 'in:' + e.from_tensor;
    if (!seen.has(from + '>' + st.name)) { seen.add(from + '>' + st.name); edge(from, st.name); }
  }
  for (const o of graph.outputs) edge(o.from_step || 'in:' + o.from_tensor, 'out:' + o.name);
  const nodes = Object.values(pos).map(({ x, y, n }) => {
    const st = n.step ? stats[n.step.name] || {} : null;
    const line = st ? `${st.requests || 0} runs, ${st.errors || 0} errors, p50 ${fmt(st.p50)}` : '';
    return s('g', { class: 'node' },
      s('rect', { x, y, width: nw, height: nh, rx: 4, fill: COLORS.node, stroke: st && st.errors ? COLORS.p99 : COLORS.edge }),
      s('text', { x: x + 8, y: y + 16, 'font-weight': 600 }, n.title),
      s('text', { x: x + 8, y: y + 31 }, n.sub || ''),
      s('text', { x: x + 8, y: y + 46 }, line));
  });
  const defs = s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: COLORS.edge })));
  return svg(w, h, `Pipeline graph: ${graph.inputs.length} inputs, ${graph.steps.length} steps (${graph.steps.map((x) => x.name).join(', ')}), ${graph.outputs.length} outputs`, defs, edges, nodes);
}
