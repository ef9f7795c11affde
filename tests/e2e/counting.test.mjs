// Counting on the page end to end, on the scenes the CLI's test made from real photos
// (target/fixtures/counting: YOLO folders and the CLI's counter): a frame captured from the fake
// webcam (one scene held still) opens to be marked by clicks and by keys; uploaded frames are
// marked through the dialog; training finds the objects; the live dots land on the scene's
// objects; a 390 px phone places a point by a tap; and the CLI's project finds in the page the
// objects `glimpse predict` finds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { serve, launch, root } from '../browser.mjs';
import { waitReady, rename, trainAndWait } from '../page.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const counting = path.join(fixtures, 'counting');
let server;

before(async () => {
  assert.ok(existsSync(path.join(counting, 'counter.glimpse')), 'run the native tests first: the CLI test writes target/fixtures/counting');
  server = await serve();
});
after(() => server?.close());

const names = () => readFileSync(path.join(counting, 'train/classes.txt'), 'utf8').trim().split('\n');

/** A YOLO split's images with their points: [{image, points: [{name, x, y}]}]. */
function labelled(split) {
  const classes = names();
  return readdirSync(path.join(counting, split, 'images')).sort().map((file) => {
    const label = path.join(counting, split, 'labels', file.replace(/\.png$/, '.txt'));
    const lines = existsSync(label) ? readFileSync(label, 'utf8').trim().split('\n').filter(Boolean) : [];
    const points = lines.map((l) => { const [k, x, y] = l.split(' ').map(Number); return { name: classes[k], x, y }; });
    return { image: path.join(counting, split, 'images', file), points };
  });
}

/** The objects a dots canvas shows, from its accessible description. */
async function dots(page, selector) {
  const text = await page.getAttribute(selector, 'aria-label');
  if (text === 'No objects') return [];
  return text.split('; ').map((o) => {
    const [, name, x, y, score] = o.match(/^(.*) at (\d+) %, (\d+) %, score ([\d.]+)$/);
    return { name, x: Number(x) / 100, y: Number(y) / 100, score: Number(score) };
  });
}

/** Each true point has a dot of its class within `radius`, and there are no more dots. */
function matches(found, truth, radius = 0.1) {
  const left = [...found];
  for (const p of truth) {
    const i = left.findIndex((o) => o.name === p.name && Math.hypot(o.x - p.x, o.y - p.y) <= radius);
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return left.length === 0;
}

/** Marks `points` on the frame open in the dialog, a click each. */
async function mark(page, points) {
  const box = await page.locator('#label-canvas').boundingBox();
  // The frame is shown mirrored where the camera's preview is.
  const mirrored = await page.evaluate(() => document.getElementById('label-canvas').classList.contains('mirrored'));
  for (const p of points) {
    await page.selectOption('#label-class', { label: p.name });
    const before = await page.textContent('#label-count');
    await page.mouse.click(box.x + (mirrored ? 1 - p.x : p.x) * box.width, box.y + p.y * box.height);
    await page.waitForFunction((b) => document.getElementById('label-count').textContent !== b, before);
  }
}

const marked = (points) => {
  const counts = names().map((n) => [n, points.filter((p) => p.name === n).length]).filter(([, k]) => k > 0);
  return counts.length ? counts.map(([n, k]) => `${k} ${n}`).join(', ') : 'No objects marked: this frame teaches what is background.';
};

test('counting: mark captured and uploaded frames, train, live dots on the objects; a phone taps a point; the CLI\'s counter finds the same', async () => {
  const still = labelled('test').find((s) => s.points.length >= 2);
  const webcam = path.join(counting, 'still.y4m');
  const made = spawnSync(path.join(root, '.venv/bin/python'), [path.join(root, 'tests/e2e/make_webcam.py'), '--still', still.image, webcam]);
  assert.equal(made.status, 0, String(made.stderr));
  const browser = await launch({ webcam });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(server.url);
    await waitReady(page);
    await page.waitForFunction(() => document.getElementById('video').videoWidth > 0, null, { timeout: 30_000 });
    await page.selectOption('#mode', 'count');
    await page.waitForFunction(() => document.body.dataset.mode === 'count' && !document.getElementById('count-hint').hidden);
    const [first, second] = names();
    await rename(page, 0, first);
    await rename(page, 1, second);

    // A single capture opens the frame to be marked: clicks place points, arrows and Enter place
    // one more, Delete removes the nearest.
    await page.locator('.class-card').nth(0).locator('.capture').click();
    await page.waitForSelector('#label-dialog[open]');
    assert.equal(await page.textContent('#label-position'), 'Frame 1 of 1');
    await mark(page, still.points);
    assert.equal(await page.textContent('#label-count'), marked(still.points));
    await page.focus('#label-canvas');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => document.getElementById('label-count').textContent !== n, marked(still.points));
    await page.keyboard.press('Delete');
    await page.waitForFunction((n) => document.getElementById('label-count').textContent === n, marked(still.points));
    assert.ok(await page.evaluate(() => document.getElementById('label-canvas').classList.contains('mirrored')), 'mirrored as the preview is');
    await page.click('#label-close');
    // The thumbnail says how many objects its frame has marked, and reopens it.
    await page.waitForFunction((n) => document.querySelector('.class-card .thumb .badge')?.textContent === String(n), still.points.length);

    // Uploaded frames, marked one after the other from the newest back.
    const train = labelled('train');
    await page.locator('.class-card').nth(0).locator('.upload').setInputFiles(train.map((s) => s.image));
    await page.waitForFunction((n) => document.querySelector('.class-card .count').textContent === `${n} examples`, train.length + 1, { timeout: 120_000 });
    await page.locator('.class-card').nth(0).locator('.thumb').first().click();
    await page.waitForSelector('#label-dialog[open]');
    for (let i = train.length - 1; i >= 0; i--) {
      assert.equal(await page.textContent('#label-position'), `Frame ${i + 2} of ${train.length + 1}`);
      await mark(page, train[i].points);
      assert.equal(await page.textContent('#label-count'), marked(train[i].points));
      const position = await page.textContent('#label-position');
      await page.click('#label-prev');
      await page.waitForFunction((p) => document.getElementById('label-position').textContent !== p, position);
    }
    await page.click('#label-close');

    const status = await trainAndWait(page);
    assert.match(status, /finds the objects with an F1 of (0\.9\d|1\.00)/, status);
    // Live: a dot on each object of the scene the camera holds, the counts where the bars are.
    await page.waitForFunction(() => document.getElementById('objects').dataset.objects != null && !document.getElementById('objects').hidden, null, { timeout: 60_000 });
    const live = await dots(page, '#objects');
    assert.ok(matches(live, still.points), `live dots ${JSON.stringify(live)} against ${JSON.stringify(still.points)}`);
    assert.equal(await page.getAttribute('#live-state', 'data-count'), String(still.points.length));
    const bars = await page.$$eval('#bars li', (items) => items.map((i) => [i.querySelector('.bar-label').textContent, i.querySelector('.bar-value').textContent]));
    assert.deepEqual(bars, names().map((n) => [n, String(still.points.filter((p) => p.name === n).length)]));
    assert.ok(await page.locator('#adapt-start').isHidden(), 'adapting is for classifiers');
    assert.equal(await page.locator('.class-card .sense:visible').count(), 0, 'a counter learns classes from marks, not names');
    await page.screenshot({ path: path.join(root, 'tests/artifacts/counting-live.png') });

    // The CLI's counter, imported: a file's objects as `glimpse predict` finds them.
    await page.locator('#import').setInputFiles(path.join(counting, 'counter.glimpse'));
    await page.waitForFunction(() => /^Opened counter\.glimpse/.test(document.getElementById('project-status').textContent));
    const scene = labelled('test').filter((s) => s.points.length >= 2)[1];
    await page.locator('#classify-file').setInputFiles(scene.image);
    await page.waitForFunction(() => !document.getElementById('file-objects').hidden);
    const inPage = await dots(page, '#file-objects');
    const cli = spawnSync(path.join(root, 'target/release/glimpse'), ['predict', '--json', path.join(counting, 'counter.glimpse'), scene.image]);
    assert.equal(cli.status, 0, String(cli.stderr));
    const byCli = JSON.parse(String(cli.stdout)).objects;
    assert.equal(inPage.length, byCli.length, `${JSON.stringify(inPage)} against ${JSON.stringify(byCli)}`);
    for (const [a, b] of inPage.map((o, i) => [o, byCli[i]])) {
      assert.equal(a.name, b.class);
      // The page rounds positions to a percent and scores to two places.
      assert.ok(Math.abs(a.x - b.x) <= 0.006 && Math.abs(a.y - b.y) <= 0.006 && Math.abs(a.score - b.score) <= 0.006, `${JSON.stringify(a)} against ${JSON.stringify(b)}`);
    }
    assert.deepEqual(problems, []);
    await context.close();

    // A 390 px phone: the dialog fits, and a tap places a point.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const small = await phone.newPage();
    await small.goto(server.url);
    await waitReady(small);
    await small.waitForFunction(() => document.getElementById('video').videoWidth > 0, null, { timeout: 30_000 });
    await small.selectOption('#mode', 'count');
    await small.waitForFunction(() => document.body.dataset.mode === 'count');
    await small.locator('.class-card').nth(0).locator('.capture').tap();
    await small.waitForSelector('#label-dialog[open]');
    const box = await small.locator('#label-canvas').boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the frame fits the phone: ${JSON.stringify(box)}`);
    await small.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    await small.waitForFunction(() => /^1 /.test(document.getElementById('label-count').textContent));
    await small.screenshot({ path: path.join(root, 'tests/artifacts/counting-phone.png') });
    await phone.close();
  } finally {
    await browser.close();
  }
});
