// Opens the KPI dashboard at the server argv[2] in headless Chromium, with
// every request to anything but 127.0.0.1 refused, pastes the token argv[3]
// into it, waits for the series argv[5] and for the live socket, then posts
// the mutation body argv[4] (with the token argv[6]) from outside the page
// until the series' number moves, and downloads the CSV export from the
// page's link. Prints, as one JSON line, what the page showed and asked for.
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';

const server = process.argv[2];
const token = process.argv[3];
const mutation = JSON.parse(process.argv[4]);
const series = process.argv[5];
const writer = process.argv[6];
const outside = [];
const failures = [];
const requests = [];
const received = [];
let navigations = 0;
const browser = await chromium.launch({
  executablePath: process.env.PRASME_CHROMIUM || '/usr/bin/chromium',
  // No name resolves, so nothing outside this machine can load even past the route below.
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
try {
  const page = await browser.newPage({ acceptDownloads: true });
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') failures.push(`console: ${m.text()}`); });
  page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() || '' }));
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
  page.on('websocket', (ws) => {
    requests.push({ method: 'WS', url: ws.url(), body: '' });
    ws.on('framereceived', (f) => received.push(String(f.payload)));
  });
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  await page.goto(`${server}/dashboard`);
  await page.fill('#token', token);
  await page.click('#connect');
  const row = `[data-series="${series}"]`;
  await page.waitForSelector(row, { timeout: 60000 });
  await page.waitForSelector('#live[data-live="true"]', { timeout: 60000 });
  const indicators = await page.locator('[data-indicator]').count();
  const notComputable = await page.locator('.indicator.not-computable').count();
  const before = Number(await page.getAttribute(row, 'data-count'));
  const pointsBefore = Number(await page.getAttribute(`${row} svg`, 'data-points'));
  await page.evaluate(() => { window.__prasmeSamePage = true; });
  const planReadsBefore = requests.filter((r) => r.body.includes('plan(')).length;

  // The server registers the subscription a moment after the page sends it;
  // an event committed before that is not announced, so post again (one
  // more course each time) until the number moves.
  let posted = 0;
  let moved = false;
  for (let attempt = 0; attempt < 20 && !moved; attempt += 1) {
    mutation.variables.i.description.title = `${mutation.variables.i.description.title.split(' #')[0]} #${attempt}`;
    const r = await fetch(`${server}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${writer}` },
      body: JSON.stringify(mutation),
    });
    const body = await r.json();
    if (r.status !== 200 || body.errors || body.data.catalogueCourse.userErrors.length) {
      throw new Error(`the mutation failed: ${r.status} ${JSON.stringify(body)}`);
    }
    posted += 1;
    moved = await page
      .waitForFunction(
        ([selector, was]) => Number(document.querySelector(selector)?.getAttribute('data-count')) > was,
        [row, before],
        { timeout: 1500 },
      )
      .then(() => true, () => false);
  }
  const after = Number(await page.getAttribute(row, 'data-count'));
  const pointsAfter = Number(await page.getAttribute(`${row} svg`, 'data-points'));
  const samePage = await page.evaluate(() => window.__prasmeSamePage === true);
  const planReadsAfter = requests.filter((r) => r.body.includes('plan(')).length;
  const pushed = received.filter((p) => p.includes('"kpiUpdated"') && p.includes(`"${series.split('/')[0]}"`));

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30000 }),
    page.click('[data-export="kpis"]'),
  ]);
  const csv = await readFile(await download.path(), 'utf8');

  console.log(JSON.stringify({
    indicators,
    notComputable,
    before,
    after,
    pointsBefore,
    pointsAfter,
    posted,
    samePage,
    navigations,
    planReadsBefore,
    planReadsAfter,
    pushed: pushed.length,
    csvName: download.suggestedFilename(),
    csvHeader: csv.split('\r\n')[0],
    csvRows: csv.split('\r\n').filter((l) => l.length).length,
    origins: [...new Set(requests.map((r) => new URL(r.url).origin.replace(/^ws/, 'http')))],
    outside,
    failures,
  }));
} finally {
  await browser.close();
}
