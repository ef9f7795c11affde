// Driving the page from Playwright: shared by the end-to-end tests and the page benchmark.
import assert from 'node:assert/strict';

export async function waitReady(page) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.getElementById('status').classList.contains('error'), null, { timeout: 180_000 });
  assert.equal(await page.getAttribute('body', 'data-ready'), 'true', await page.textContent('#status'));
}

export const card = (page, n) => page.locator('.class-card').nth(n);
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

