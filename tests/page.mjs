// Driving the page from Playwright: shared by the end-to-end tests and the page benchmark.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function waitReady(page) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.getElementById('status').classList.contains('error'), null, { timeout: 180_000 });
  assert.equal(await page.getAttribute('body', 'data-ready'), 'true', await page.textContent('#status'));
}

export const card = (page, n) => page.locator('.class-card').nth(n);

/** Clicks one of a class card's rarer actions (`.group`, `.clear`, `.delete`), from its More menu. */
export async function cardAction(page, n, action) {
  await card(page, n).locator('.more summary').click();
  await card(page, n).locator(action).click();
}
export const count = async (page, n) => Number((await card(page, n).locator('.count').textContent()).split(' ')[0]);
export const classState = (page) => page.$$eval('.class-card', (cards) => cards.map((c) => [c.querySelector('.class-name').value, c.querySelector('.count').textContent]));

export async function rename(page, n, name) {
  const input = card(page, n).locator('.class-name');
  await input.fill(name);
  await input.press('Enter');
  await page.waitForFunction(([i, v]) => document.querySelectorAll('.class-card')[i].getAttribute('aria-label')?.startsWith(`Class ${v},`), [n, name]);
}

/** 'cat' or 'cup' from the video's side band, as the page's <video> shows it now. */
export const onScreen = (page) => page.evaluate(() => {
  const video = document.getElementById('video');
  const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const { data } = context.getImageData(2, 0, 16, video.videoHeight);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += data[i + 1];
  const mean = sum / (data.length / 4);
  return mean > 180 ? 'cat' : mean < 60 ? 'cup' : 'between';
});

/** Waits until `object` has just come on screen (so that several seconds of it follow). */
export async function waitForStart(page, object) {
  let previous = await onScreen(page);
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    const now = await onScreen(page);
    if (now === object && previous !== object) return;
    previous = now;
    await page.waitForTimeout(50);
  }
  throw new Error(`${object} never came on screen`);
}

/** Holds the class's capture button for `ms`, then waits until every queued capture landed. */
export async function holdCapture(page, n, ms) {
  const before = await count(page, n);
  const button = card(page, n).locator('.capture');
  await button.hover();
  await page.mouse.down();
  await page.waitForTimeout(ms);
  await page.mouse.up();
  await page.waitForFunction(([i, b]) => {
    const c = document.querySelectorAll('.class-card')[i];
    return Number(c.querySelector('.count').textContent.split(' ')[0]) > b && !c.querySelector('.capture.recording');
  }, [n, before]);
  await page.waitForTimeout(1500); // the last frames of the burst are still being extracted
  return (await count(page, n)) - before;
}


/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules
 * plus axe's best practices), as readable lines; `state` names the page's state in them. axe is
 * evaluated through the DevTools protocol, which the page's CSP (no foreign scripts) lets through.
 */
export async function accessibilityProblems(page, state) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(axePath, 'utf8'));
  const { violations } = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${state}: ${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}
const axePath = fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url));

/** Whether each selector's element lies inside the viewport, without scrolling the page. */
export const onOneScreen = (page, selectors) => page.evaluate((list) => list.map((s) => {
  const r = document.querySelector(s).getBoundingClientRect();
  return [s, r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth];
}).filter(([, inside]) => !inside).map(([s]) => s), selectors);

/** For `context.addInitScript`: the worker's 'saved' events (what each save wrote) in `window.saves`. */
export function recordSaves() {
  const Native = window.Worker;
  window.saves = [];
  window.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', ({ data }) => { if (data?.type === 'saved') window.saves.push(data); });
    }
  };
}

/** The keys of the page's IndexedDB store (idb-keyval's database), as JSON. */
export const storedKeys = (page) => page.evaluate(() => new Promise((done, fail) => {
  const open = indexedDB.open('keyval-store');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const keys = open.result.transaction('keyval').objectStore('keyval').getAllKeys();
    keys.onsuccess = () => { open.result.close(); done(keys.result.map((k) => JSON.stringify(k)).sort()); };
    keys.onerror = () => fail(keys.error);
  };
}));

/** Writes `entries` ([key, base64 bytes | null to delete]) into that store in one transaction. */
export const writeStored = (page, entries) => page.evaluate((list) => new Promise((done, fail) => {
  const open = indexedDB.open('keyval-store');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction('keyval', 'readwrite');
    const store = tx.objectStore('keyval');
    for (const [key, base64] of list) {
      const k = Array.isArray(key) && key[1] === 'all' ? IDBKeyRange.bound([key[0]], [key[0], []]) : key;
      if (base64 === null) store.delete(k);
      else store.put(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)), k);
    }
    tx.oncomplete = () => { open.result.close(); done(); };
    tx.onerror = () => fail(tx.error);
  };
}), entries);

/**
 * JS memory from the page (measureUserAgentSpecificMemory; the page is cross-origin isolated),
 * and the wasm heap (linear memory, which only grows, so a leak shows) from inside the worker:
 * importing the core's module there again yields the instance the worker runs.
 */
export async function memory(page) {
  const { bytes } = await page.evaluate(() => performance.measureUserAgentSpecificMemory());
  const wasmBytes = await page.workers()[0].evaluate(async () => {
    const core = await import(new URL('./pkg/glimpse.js', self.location).href);
    return (await core.default()).memory.buffer.byteLength;
  });
  return { bytes, wasmBytes };
}

/** Clicks Train and waits until it ends; returns the status line ("Trained …" or the error). */
export async function trainAndWait(page, timeout = 300_000) {
  await page.locator('#train').click();
  await page.waitForFunction(() => /^Trained|error/.test(document.getElementById('train-status').textContent) || document.getElementById('train-status').classList.contains('error'), null, { timeout });
  return page.textContent('#train-status');
}

/** Names the two classes cat and cup and captures a burst of each while it is on screen. */
export async function captureCatAndCup(page, holdMs) {
  await rename(page, 0, 'cat');
  await rename(page, 1, 'cup');
  await waitForStart(page, 'cat');
  await holdCapture(page, 0, holdMs);
  await waitForStart(page, 'cup');
  await holdCapture(page, 1, holdMs);
}
