// Opens GraphiQL at the server given as argv[2] in headless Chromium, with
// every request to anything but 127.0.0.1 refused, runs a query from its
// editor and prints, as one JSON line, what the page showed and tried.
import { chromium } from 'playwright-core';

const server = process.argv[2];
const query = process.argv[3];
const outside = [];
const failures = [];
const browser = await chromium.launch({
  executablePath: process.env.PRASME_CHROMIUM || '/usr/bin/chromium',
  // No name resolves, so nothing outside this machine can load even past the route below.
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()}`));
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  const introspected = page.waitForResponse(
    async (r) => r.url().endsWith('/graphql') && (r.request().postData() || '').includes('__schema'),
    { timeout: 60000 },
  );
  await page.goto(`${server}/`);
  const schema = await (await introspected).json();
  const editor = '.graphiql-query-editor .CodeMirror';
  await page.waitForSelector(editor, { timeout: 60000 });
  await page.evaluate(
    ([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text),
    [editor, query],
  );
  await page.click('.graphiql-execute-button');
  const response = '.graphiql-response .CodeMirror';
  await page.waitForFunction(
    (selector) => (document.querySelector(selector)?.CodeMirror.getValue() || '').includes('"data"'),
    response,
    { timeout: 60000 },
  );
  const shown = await page.evaluate((selector) => document.querySelector(selector).CodeMirror.getValue(), response);
  console.log(JSON.stringify({
    schemaTypes: schema?.data?.__schema?.types?.length ?? 0,
    schemaErrors: schema?.errors ?? null,
    shown: JSON.parse(shown),
    outside,
    failures,
  }));
} finally {
  await browser.close();
}
