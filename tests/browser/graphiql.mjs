// Opens GraphiQL at the server given as argv[2] in headless Chromium, with
// every request to anything but 127.0.0.1 refused, pastes the token argv[6]
// into its Headers, runs the query argv[3] from its editor, then the
// subscription argv[4] (over graphql-ws), posts the mutation body argv[5]
// while it is open, and prints, as one JSON line, what the page showed and
// tried.
import { chromium } from 'playwright-core';

const server = process.argv[2];
const query = process.argv[3];
const subscription = process.argv[4];
const mutation = process.argv[5];
const token = process.argv[6];
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
  // The schema loads without a token (development mode); then the token
  // goes in as a user pastes it, into the Headers tab.
  const schema = await (await introspected).json();
  await page.click('button:has-text("Headers")');
  const headersEditor = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
  await page.waitForSelector(headersEditor, { timeout: 60000 });
  await page.evaluate(
    ([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text),
    [headersEditor, JSON.stringify({ Authorization: `Bearer ${token}` })],
  );
  const editor = '.graphiql-query-editor .CodeMirror';
  await page.waitForSelector(editor, { timeout: 60000 });
  await page.evaluate(
    ([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text),
    [editor, query],
  );
  await page.waitForTimeout(1000);
  await page.click('.graphiql-execute-button');
  const response = '.graphiql-response .CodeMirror';
  await page.waitForFunction(
    (selector) => (document.querySelector(selector)?.CodeMirror.getValue() || '').includes('"data"'),
    response,
    { timeout: 60000 },
  );
  const read = () => page.evaluate((selector) => document.querySelector(selector).CodeMirror.getValue(), response);
  const shown = JSON.parse(await read());

  // The subscription: GraphiQL opens a graphql-ws socket and shows each event.
  const frames = [];
  const subscribed = new Promise((resolve) => {
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        frames.push(String(f.payload).slice(0, 80));
        if (String(f.payload).includes('"subscribe"')) resolve(true);
      }),
    );
  });
  await page.evaluate(
    ([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text),
    [editor, subscription],
  );
  // GraphiQL parses the editor's text after a pause; before that it would
  // send the subscription as the query it parsed last, over HTTP.
  await page.waitForTimeout(1000);
  await page.click('.graphiql-execute-button');
  const sent = await Promise.race([subscribed, page.waitForTimeout(10000).then(() => false)]);
  if (!sent) {
    throw new Error(`GraphiQL sent no subscription over graphql-ws; frames ${JSON.stringify(frames)}, response ${await read()}`);
  }
  // The server may register the subscription a moment after the frame is
  // sent; a mutation committed before that is not announced to it, so post
  // again until an event shows (each post allocates once more).
  let posted = 0;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    posted = await page.evaluate(async ([body, token]) => {
      const r = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      return r.status;
    }, [mutation, token]);
    const shownEvent = await page
      .waitForFunction(
        (selector) => (document.querySelector(selector)?.CodeMirror.getValue() || '').includes('"position"'),
        response,
        { timeout: 1000 },
      )
      .then(() => true, () => false);
    if (shownEvent) break;
  }
  const pushed = JSON.parse(await read());
  console.log(JSON.stringify({
    schemaTypes: schema?.data?.__schema?.types?.length ?? 0,
    schemaErrors: schema?.errors ?? null,
    shown,
    posted,
    pushed,
    outside,
    failures,
  }));
} finally {
  await browser.close();
}
