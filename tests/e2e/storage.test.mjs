// Nothing lost: what the browser keeps is shown, a second tab does not overwrite the first's
// work, a full storage quota says so while the project stays open and can be exported, and
// examples are stored one by one (a save does not grow with the project).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serve, launch, root } from '../browser.mjs';
import { waitReady, rename, classState, card, recordSaves, storedKeys, writeStored } from '../page.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');

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

test('examples are stored one by one: a save writes only the new one; an earlier version\'s whole-file save opens and is stored anew; a damaged record is set aside', async () => {
  const context = await browser.newContext();
  await context.addInitScript(recordSaves);
  const { page, problems } = await open(context);
  await waitReady(page);
  const cats = readdirSync(path.join(fixtures, 'views/train/cat')).slice(0, 3).map((f) => path.join(fixtures, 'views/train/cat', f));
  await card(page, 0).locator('.upload').setInputFiles(cats);
  await page.waitForFunction(() => document.querySelector('.class-card .count').textContent === '3 examples', null, { timeout: 60_000 });
  await page.waitForFunction(() => window.saves.at(-1)?.examples === 3, null, { timeout: 10_000 });
  const keys = await storedKeys(page);
  assert.deepEqual(keys.filter((k) => k.startsWith('["example"')).length, 3, JSON.stringify(keys));
  assert.ok(keys.includes('"skeleton"') && !keys.includes('"project"'), JSON.stringify(keys));
  // One more example: its save writes that one record and the skeleton.
  const seen = await page.evaluate(() => window.saves.length);
  await card(page, 1).locator('.upload').setInputFiles(cats.slice(0, 1));
  await page.waitForFunction((s) => window.saves.length > s && window.saves.at(-1).examples === 4, seen, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.saves.at(-1).written), 1, 'only the new example is written');
  await page.waitForTimeout(1000);

  // A project an earlier version saved as one file (format 4, under the old key) opens, and is
  // stored the new way.
  const legacy = readFileSync(path.join(root, 'tests/fixtures/format-4.glimpse')).toString('base64');
  await writeStored(page, [['skeleton', null], [['example', 'all'], null], ['project', legacy]]);
  await page.reload();
  await waitReady(page);
  assert.deepEqual((await classState(page)).map(([name]) => name), ['cat', 'cup']);
  assert.equal(await page.getAttribute('body', 'data-head'), 'current');
  const migrated = await storedKeys(page);
  assert.ok(migrated.includes('"skeleton"') && !migrated.includes('"project"'), JSON.stringify(migrated));
  const examples = migrated.filter((k) => k.startsWith('["example"'));
  assert.equal(examples.length, (await classState(page)).reduce((n, [, c]) => n + Number(c.split(' ')[0]), 0));

  // A damaged record: the page says so, keeps the stored data aside and starts a new project.
  await writeStored(page, [[JSON.parse(examples[0]), Buffer.from('damaged').toString('base64')]]);
  await page.reload();
  await waitReady(page);
  assert.match(await page.textContent('#status'), /^The project saved in this browser could not be opened \(.*an example's record.*\); it was set aside and a new project started\.$/);
  assert.deepEqual((await classState(page)).map(([name]) => name), ['Class 1', 'Class 2']);
  const aside = await storedKeys(page);
  assert.ok(aside.includes('"unreadable-skeleton"') && aside.includes('"unreadable-records"'), JSON.stringify(aside));
  assert.deepEqual(problems, []);
  await context.close();
});
