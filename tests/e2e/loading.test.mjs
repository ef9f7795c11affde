// Loading the page as a visitor does: compressed files, the model kept for the next visit, and
// dist/ (scripts/dist.sh) on a plain static server that sends no special header.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { serve, launch, root } from '../browser.mjs';
import { waitReady } from '../page.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const closing = [];
after(() => closing.forEach((close) => close()));

/** A new context and page that record every response (url, status, content-encoding) and error. */
async function openRecorded(browser) {
  const context = await browser.newContext();
  const responses = [];
  context.on('response', (r) => responses.push({ url: r.url(), status: r.status(), encoding: r.headers()['content-encoding'] ?? null }));
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  return { context, responses, page, problems };
}

const weightsRequests = (responses) => responses.filter((r) => r.url.includes('efficientnet-lite0.bpk')).length;

async function classifiesTheCat(page) {
  await page.setInputFiles('#classify-file', path.join(fixtures, 'chelsea.png'));
  await page.waitForFunction(() => document.querySelectorAll('#seen li').length === 3, null, { timeout: 60_000 });
  assert.match(await page.textContent('#seen li'), /cat/i);
}

test('the page arrives compressed, and a reload reads the model from Cache Storage instead of downloading it again', async () => {
  const server = await serve();
  closing.push(server.close);
  const browser = await launch({ webgpu: false });
  try {
    const { context, responses, page, problems } = await openRecorded(browser);
    const started = Date.now();
    await page.goto(server.url);
    await waitReady(page);
    const coldMs = Date.now() - started;
    const wasms = responses.filter((r) => r.url.endsWith('glimpse_bg.wasm'));
    assert.deepEqual(wasms.map((r) => new URL(r.url).pathname), ['/www/pkg-threads/glimpse_bg.wasm'], 'only the threaded CPU build is fetched');
    const [wasm] = wasms;
    assert.ok(['br', 'gzip'].includes(wasm.encoding), `the wasm came with content-encoding ${wasm.encoding}`);
    assert.equal(weightsRequests(responses), 1, 'the weights are downloaded once');
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'serve.py isolates the page');
    // The policy covers the worker too (sent as a header, not only as the page's <meta>): a
    // request to another origin from it is refused by the browser, not merely unanswered.
    const blocked = await page.workers()[0].evaluate(async () => {
      let violated = false;
      self.addEventListener('securitypolicyviolation', () => { violated = true; });
      await fetch('http://127.0.0.2:9/').catch(() => {});
      await import('http://127.0.0.2:9/x.js').catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      return violated;
    });
    assert.equal(blocked, true, 'the worker is under the Content-Security-Policy');

    const reloadStarted = Date.now();
    await page.reload();
    await waitReady(page);
    const warmMs = Date.now() - reloadStarted;
    assert.equal(weightsRequests(responses), 1, 'the reload took the weights from Cache Storage');
    await classifiesTheCat(page);
    assert.deepEqual(problems, []);
    console.log(`load to ready (CPU, this machine): empty cache ${coldMs} ms, reload ${warmMs} ms (wasm as ${wasm.encoding})`);

    // A copy that no longer loads is dropped and downloaded again.
    await page.evaluate(async () => {
      const cache = await caches.open('glimpse-weights');
      const [key] = await cache.keys();
      await cache.put(key, new Response(new Uint8Array(1000)));
    });
    await page.reload();
    await waitReady(page);
    assert.equal(weightsRequests(responses), 2, 'a damaged copy is downloaded again');
    await context.close();
  } finally {
    await browser.close();
  }
});

/** dist/ served by Python's plain http.server, which sends no special header. */
async function plainServer() {
  assert.ok(existsSync(path.join(root, 'dist/index.html')), 'dist/ is missing: run scripts/dist.sh first');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', path.join(root, 'dist')], { stdio: ['ignore', 'pipe', 'pipe'] });
  closing.push(() => server.kill());
  await once(server.stdout, 'data');
  return `http://127.0.0.1:${port}/`;
}

test('dist/ runs from a plain static server: isolated by its service worker, the model loads and classifies on threads', async () => {
  const url = await plainServer();
  const browser = await launch({ webgpu: false });
  try {
    const { context, responses, page, problems } = await openRecorded(browser);
    await page.goto(url);
    // The first visit reloads once, under the service worker that adds the two headers.
    await page.waitForFunction(() => self.crossOriginIsolated, null, { timeout: 60_000 });
    await waitReady(page);
    assert.match(await page.textContent('#backend'), /^Running on the CPU, \d+ threads /);
    await classifiesTheCat(page);
    const failed = responses.filter((r) => r.status >= 400).map((r) => `${r.status} ${r.url}`);
    assert.deepEqual(failed, [], 'every file the page asks for is in dist/');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await browser.close();
  }
});

test('a page that cannot be isolated (no headers, no service worker) runs the single-threaded build', async () => {
  const url = await plainServer();
  const browser = await launch({ webgpu: false });
  try {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const responses = [];
    context.on('response', (r) => responses.push({ url: r.url(), status: r.status() }));
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url);
    await waitReady(page);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
    assert.equal(await page.textContent('#backend'), 'Running on the CPU (this browser offers no WebGPU adapter).');
    const wasms = responses.filter((r) => r.url.endsWith('glimpse_bg.wasm')).map((r) => new URL(r.url).pathname);
    assert.deepEqual(wasms, ['/www/pkg/glimpse_bg.wasm']);
    await classifiesTheCat(page);
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await browser.close();
  }
});
