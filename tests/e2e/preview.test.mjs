// The page in a real browser: it loads the wasm core in a worker, reports its backend, and
// names a real photo dropped on it — without a request to any other origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { serve, launch, root } from '../browser.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const artifacts = path.join(root, 'tests/artifacts');
let server, browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await serve();
  browser = await launch();
});
after(async () => { await browser?.close(); server?.close(); });

// Resolves once the worker reports ready; fails at once with the page's message if it reports an error.
async function waitReady(page) {
  await page.waitForFunction(() => {
    const status = document.getElementById('status');
    return status.textContent === 'Ready.' || status.classList.contains('error');
  }, null, { timeout: 120_000 });
  assert.equal(await page.textContent('#status'), 'Ready.');
}

async function openPage(context) {
  const page = await context.newPage();
  const problems = [], foreign = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  context.on('request', (r) => { if (!r.url().startsWith(server.url)) foreign.push(r.url()); });
  await page.goto(server.url);
  return { page, problems, foreign };
}

test('the page names a photo of a cat, on this machine only', async () => {
  const context = await browser.newContext();
  const { page, problems, foreign } = await openPage(context);
  await waitReady(page);
  assert.match(await page.textContent('#backend'), /^Running on (WebGPU|the CPU)/);
  await page.setInputFiles('#file', path.join(fixtures, 'chelsea.png'));
  await page.waitForSelector('#top5 li', { timeout: 60_000 });
  const labels = await page.$$eval('#top5 li', (items) => items.map((i) => i.textContent));
  assert.equal(labels.length, 5);
  assert.match(labels[0], /cat/i, `top-1 was ${labels[0]}`);
  await page.screenshot({ path: path.join(artifacts, 'preview.png'), fullPage: true });
  assert.deepEqual(foreign, [], 'requests left the origin');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a file that is not an image gets a clear message', async () => {
  const context = await browser.newContext();
  const { page } = await openPage(context);
  await waitReady(page);
  await page.setInputFiles('#file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await page.waitForFunction(() => document.getElementById('status').classList.contains('error'));
  assert.match(await page.textContent('#status'), /notes\.png is not an image/);
  await context.close();
});

test('without WebGPU the page falls back to the CPU and says so', async () => {
  const noGpu = await launch({ webgpu: false });
  try {
    const context = await noGpu.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await waitReady(page);
    assert.equal(await page.textContent('#backend'), 'Running on the CPU (this browser offers no WebGPU adapter).');
    await page.setInputFiles('#file', path.join(fixtures, 'coffee.png'));
    await page.waitForSelector('#top5 li', { timeout: 60_000 });
    assert.match(await page.textContent('#top5 li'), /espresso/);
  } finally {
    await noGpu.close();
  }
});
