// Nothing lost: what the browser keeps is shown, a second tab does not overwrite the first's
// work, and a full storage quota says so while the project stays open and can be exported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch } from '../browser.mjs';
import { waitReady, rename, classState } from '../page.mjs';

let server, browser;
before(async () => {
  server = await serve();
  browser = await launch({ webgpu: false });
});
after(async () => {
  await browser?.close();
  server?.close();
});

async function open(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.url);
  return { page, problems };
}

test('a second tab waits for the first instead of overwriting its project, then takes it over', async () => {
  const context = await browser.newContext();
  const first = await open(context);
  await waitReady(first.page);
  await rename(first.page, 0, 'Mugs');
  await first.page.waitForFunction(() => /^Stored in this browser: [\d.]+ MB/.test(document.getElementById('storage').textContent));

  const second = await open(context);
  await second.page.waitForFunction(() => /open in another tab/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  assert.notEqual(await second.page.getAttribute('body', 'data-ready'), 'true', 'the second tab does not start on a copy');
  // The first tab keeps working and saving meanwhile.
  await rename(first.page, 1, 'Spoons');
  await first.page.evaluate(() => new Promise((done) => setTimeout(done, 1000)));
  await first.page.close();

  await waitReady(second.page);
  assert.deepEqual((await classState(second.page)).map(([name]) => name), ['Mugs', 'Spoons']);
  assert.deepEqual([...first.problems, ...second.problems], []);
  await context.close();
});

test('a full storage quota: a clear message, the project stays open and exports; saving resumes when there is room', async () => {
  const context = await browser.newContext();
  const { page, problems } = await open(context);
  await waitReady(page);
  const cdp = await context.newCDPSession(page);
  const origin = new URL(server.url).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1000 });
  await rename(page, 0, 'Bolts');
  await page.waitForFunction(() => /storage for the page is full/.test(document.getElementById('status').textContent), null, { timeout: 30_000 });
  assert.ok(await page.locator('#status.error').count(), 'shown as an error');
  assert.equal((await classState(page))[0][0], 'Bolts', 'the change is still in the open project');
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#export-project').click()]);
  const exported = await (await import('node:fs')).promises.readFile(await file.path());
  assert.ok(exported.length > 100, `the export has the project (${exported.length} bytes)`);

  await cdp.send('Storage.overrideQuotaForOrigin', { origin }); // back to the browser's own quota
  await rename(page, 1, 'Nuts');
  await page.waitForFunction(() => /^Stored in this browser/.test(document.getElementById('storage').textContent));
  await page.evaluate(() => new Promise((done) => setTimeout(done, 1000)));
  await page.reload();
  await waitReady(page);
  assert.deepEqual((await classState(page)).map(([name]) => name), ['Bolts', 'Nuts']);
  assert.deepEqual(problems, []);
  await context.close();
});
