// Browser test of the inferd console (scripts/test-ui.sh starts the
// server): Debian's chromium driven by playwright-core, axe-core on each
// page, screenshots in $ARTIFACTS. With --bench it measures how long the
// overview takes to render instead.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const base = process.env.INFERD_URL;
const artifacts = process.env.ARTIFACTS || '.cache/artifacts/ui';
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
fs.mkdirSync(artifacts, { recursive: true });

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

async function api(method, p, body) {
  const resp = await fetch(base + p, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  return { status: resp.status, data: await resp.json().catch(() => null) };
}

// traffic sends n requests to path, 8 at a time (bounded).
async function traffic(p, n, rows = 1) {
  const data = new Array(rows * 64).fill(0);
  const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 1, 8, 8], data }] };
  let next = 0;
  const worker = async () => { while (next++ < n) await api('POST', p, body); };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function axe(page, name) {
  await page.evaluate(axeSource); // evaluate is not subject to the page's CSP
  const res = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of res.violations) console.log(`     axe ${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length})`);
  check(bad.length === 0, `${name}: no serious or critical axe violations (${res.violations.length} minor)`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
}

async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

async function overviewPage(page) {
  await page.goto(base + '/ui/');
  await page.waitForSelector('#models tbody tr');
  const names = await page.$$eval('#models tbody th a', (as) => as.map((a) => a.textContent));
  check(names.includes('digits') && names.includes('digits-ensemble'), 'overview lists the models and pipelines: ' + names.join(', '));
  await page.waitForFunction(() => /Live/.test(document.getElementById('live').textContent));
  const top = await page.$eval('#models tbody tr:first-child path.spark', (p) => Math.min(...p.getAttribute('d').split(/[ML]/).filter(Boolean).map((xy) => Number(xy.split(',')[1]))));
  check(top < 18, 'the digits requests sparkline has data (highest point at y=' + top + ')');
  await shot(page, 'overview');
  await axe(page, 'overview');
}

async function keyboard(page) {
  await page.goto(base + '/ui/');
  await page.waitForSelector('#models tbody tr');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.className === 'skip'), 'the first Tab reaches the skip link');
  let reached = false;
  for (let i = 0; i < 15 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.getAttribute('href') === '#/models/digits');
  }
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(reached && outline !== 'none', 'Tab reaches the digits link, with a visible focus outline (' + outline + ')');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#history');
  check(page.url().endsWith('#/models/digits'), 'Enter on the link opens the model page');
}

async function modelPage(page) {
  await page.goto(base + '/ui/#/models/digits');
  await page.waitForSelector('#history');
  const d = await page.$eval('path.series-p99', (p) => p.getAttribute('d'));
  check(d && d.split('L').length > 300, 'the latency chart has an hour of points');
  const peak = await page.$eval('figure svg', (s) => s.getAttribute('aria-label'));
  check(!/peak 0\.0\b/.test(peak), 'the throughput chart has data: ' + peak);
  check((await page.$$('figure rect')).length > 0, 'the batch-size and queue-time histograms have bars');
  await shot(page, 'model');
  await axe(page, 'model');

  // Cancel first (Escape), then confirm: only the confirmed move happens.
  await page.fill('#label-name', 'production');
  await page.selectOption('#label-version', '2');
  await page.click('#label-form button[type=submit]');
  await page.waitForSelector('dialog[open]');
  await shot(page, 'confirm');
  await page.keyboard.press('Escape');
  check((await api('GET', '/ui/api/models/digits')).data.labels.production === 1, 'Escape cancels: production stays on version 1');
  await page.click('#label-form button[type=submit]');
  await page.waitForSelector('dialog[open]');
  await page.click('dialog button[value=ok]');
  await page.waitForFunction(() => /Done/.test(document.getElementById('message').textContent));
  check((await api('GET', '/ui/api/models/digits')).data.labels.production === 2, 'the confirmed move put production on version 2 (checked through the API)');
  check((await api('GET', '/models/digits')).status === 200, 'the model answers its status after the move');
}

async function pipelinePage(page) {
  await page.goto(base + '/ui/#/pipelines/digits-ensemble');
  await page.waitForSelector('svg[aria-label^="Pipeline graph"]');
  check((await page.$$('svg g.node')).length === 8, 'the graph has 1 input, 5 steps and 2 outputs');
  const runs = await page.$$eval('table.steps tbody tr td:nth-child(2)', (tds) => tds.map((t) => Number(t.textContent)));
  check(runs.length === 5 && runs.every((r) => r > 0), 'every step has runs: ' + runs.join(', '));
  await shot(page, 'pipeline');
  await axe(page, 'pipeline');
}

async function liveUpdate(page) {
  await page.goto(base + '/ui/');
  await page.waitForFunction(() => /updated/.test(document.getElementById('live').textContent));
  const before = await page.$eval('#live', (e) => e.textContent);
  await page.waitForFunction((b) => document.getElementById('live').textContent !== b, before, { timeout: 15000 });
  check(true, 'the overview updated itself without a reload');
}

async function bench(page) {
  const times = [];
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelectorAll('#models tbody tr').length >= 50) { window.__rendered = performance.now(); obs.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  for (let i = 0; i < 7; i++) {
    await page.goto(base + '/ui/?run=' + i);
    await page.waitForFunction(() => window.__rendered !== undefined);
    times.push(await page.evaluate(() => window.__rendered));
  }
  const versions = await page.$$eval('#models .state', (s) => s.length);
  times.sort((a, b) => a - b);
  console.log(`overview render (navigation start to 50 rows), ${versions} versions: median ${times[3].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[6].toFixed(0)} ms`);
  await shot(page, 'overview-50-models');
}

// hold keeps the overview and a model page open (live) for seconds, for
// scripts/bench-console.sh.
async function hold(browser, seconds) {
  const ctx = await browser.newContext();
  for (const hash of ['', '#/models/digits']) {
    const page = await ctx.newPage();
    await page.goto(base + '/ui/' + hash);
  }
  console.log('console open');
  await new Promise((r) => {
    setTimeout(r, seconds * 1000);
    process.once('SIGTERM', r); // the caller is done: close the browser and exit
  });
}

// report checks an evaluation report (inferd eval --report FILE.html, issue
// 15) in the same browser: every SVG plot has a size, the confusion
// matrix's diagonal is shaded, the per-class bars are drawn, axe passes.
async function report(page, file) {
  await page.goto('file://' + path.resolve(file));
  const sizes = await page.$$eval('svg', (ss) => ss.map((s) => s.getBoundingClientRect()).map((r) => r.width * r.height));
  check(sizes.length >= 3 && sizes.every((a) => a > 0), `the report's ${sizes.length} SVG plots have a size`);
  const cells = await page.$$eval('rect.cell', (rs) => rs.filter((r) => getComputedStyle(r).fill === 'rgb(0, 76, 255)').length);
  check(cells >= 5, `the confusion matrix has ${cells} fully shaded cells (on its diagonal)`);
  const bars = await page.$$eval('rect', (rs) => rs.filter((r) => ['rgb(255, 127, 14)', 'rgb(44, 160, 44)'].includes(getComputedStyle(r).fill) && r.getBoundingClientRect().height > 0).length);
  check(bars >= 10, `the per-class bars are drawn (${bars})`);
  await shot(page, 'evaluation-report');
  await axe(page, 'evaluation report');
}

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => check(false, 'page error: ' + e.message));
  if (process.argv.includes('--report')) {
    await report(page, process.argv[process.argv.indexOf('--report') + 1]);
  } else if (process.argv.includes('--hold')) {
    await hold(browser, Number(process.argv[process.argv.indexOf('--hold') + 1]));
  } else if (process.argv.includes('--bench')) {
    await bench(page);
  } else {
    await traffic('/v2/models/digits/versions/2/infer', 300, 2);
    await traffic('/v2/models/digits-ensemble/infer', 30);
    await overviewPage(page);
    await keyboard(page);
    await modelPage(page);
    await pipelinePage(page);
    await liveUpdate(page);
  }
} finally {
  await browser.close();
}
console.log(failures ? `${failures} checks failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
