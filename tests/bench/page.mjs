// `node tests/bench/page.mjs`: the page with the fake webcam (target/fixtures/webcam.y4m), in one
// headless Chromium session. Trains cat vs cup from the video, then measures the live path
// (grab → worker → prediction → bars): frames per second and ms per frame, with the core's own
// ms per frame as the reference; page load to first live prediction (after a reload that
// restores the trained project); memory after FRAMES live frames against after 100; and the
// live path of a counter beside the classifier's.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { serve, launch, root, BENCH_FILES } from '../browser.mjs';
import { waitReady, captureCatAndCup, trainAndWait, memory } from '../page.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const FRAMES = Number(process.env.FRAMES ?? 10_000);
const server = await serve(BENCH_FILES);
const browser = await launch({ webcam: path.join(fixtures, 'webcam.y4m') });
const frames = (page) => page.evaluate(() => Number(document.getElementById('live-state').dataset.frames ?? 0));

async function waitFrames(page, n) {
  while ((await frames(page)) < n) await page.waitForTimeout(1000);
}

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await waitReady(page);
  const backend = await page.textContent('#backend');
  await captureCatAndCup(page, 2000);
  const trained = await trainAndWait(page);
  if (!/^Trained/.test(trained)) throw new Error(trained);

  // Load to first prediction, the trained project restored from IndexedDB.
  const started = Date.now();
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 180_000 });
  const ready = Date.now() - started;
  await page.waitForFunction(() => Number(document.getElementById('live-state').dataset.frames) >= 1, null, { timeout: 60_000, polling: 10 });
  const first = Date.now() - started;

  await waitFrames(page, 100);
  const at100 = await memory(page);
  await page.waitForTimeout(10_000);
  const speed = await page.evaluate(() => ({ ...document.getElementById('live-speed').dataset }));
  const t0 = Date.now();
  await waitFrames(page, FRAMES);
  const elapsed = (Date.now() - t0) / 1000;
  const atEnd = await memory(page);
  const shown = await frames(page);
  // The heat-map overlay ("Show where it looks"): the same live path with the map, 10 s each
  // way, so that both figures come from the same stretch of the session.
  const liveMs = async (explain) => {
    await page.locator('#explain-toggle').setChecked(explain);
    await page.waitForTimeout(10_000);
    return page.evaluate(() => ({ ...document.getElementById('live-speed').dataset }));
  };
  const [plain, explained] = [await liveMs(false), await liveMs(true)];
  // Counting and locating on the same video: the CLI's counter (crate/tests/cli.rs leaves it in
  // target/fixtures/counting), imported, 10 s live over the whole frame.
  const counter = path.join(fixtures, 'counting/counter.glimpse');
  let counting = null;
  if (existsSync(counter)) {
    await page.locator('#explain-toggle').setChecked(false);
    await page.locator('#import').setInputFiles(counter);
    await page.waitForFunction(() => /^Opened counter\.glimpse/.test(document.getElementById('project-status').textContent));
    await page.waitForTimeout(10_000);
    counting = await page.evaluate(() => ({ ...document.getElementById('live-speed').dataset }));
  }

  const mb = (n) => (n / 1e6).toFixed(1);
  console.log(`machine: ${process.env.MACHINE ?? 'this one'}; ${backend}`);
  console.log('measure\tvalue\tratio');
  console.log(`live frames/s\t${Number(speed.fps).toFixed(1)}\t`);
  console.log(`live ms/frame (grab → worker → prediction → bars)\t${Number(speed.ms).toFixed(1)}\t${(speed.ms / speed.coreMs).toFixed(2)}x the core's ms/frame`);
  console.log(`core ms/frame (features + head, in the worker)\t${Number(speed.coreMs).toFixed(1)}\t1.00x (reference)`);
  console.log(`page load to ready (reload, project restored)\t${ready} ms\t`);
  console.log(`page load to first live prediction\t${first} ms\t${(first / speed.ms).toFixed(0)}x a live frame`);
  console.log(`JS memory after 100 frames (measureUserAgentSpecificMemory; the wasm heap is not in it)\t${mb(at100.bytes)} MB\t1.00x`);
  console.log(`JS memory after ${shown} frames\t${mb(atEnd.bytes)} MB\t${(atEnd.bytes / at100.bytes).toFixed(2)}x`);
  console.log(`wasm heap after 100 frames\t${mb(at100.wasmBytes)} MB\t1.00x`);
  console.log(`wasm heap after ${shown} frames\t${mb(atEnd.wasmBytes)} MB\t${(atEnd.wasmBytes / at100.wasmBytes).toFixed(2)}x`);
  console.log(`live ms/frame without the heat map (10 s)\t${Number(plain.ms).toFixed(1)}\t1.00x (reference)`);
  console.log(`live ms/frame with the heat map (10 s)\t${Number(explained.ms).toFixed(1)}\t${(explained.ms / plain.ms).toFixed(2)}x`);
  if (counting) {
    console.log(`live ms/frame counting and locating (10 s)\t${Number(counting.ms).toFixed(1)}\t${(counting.ms / plain.ms).toFixed(2)}x`);
    console.log(`live frames/s counting and locating\t${Number(counting.fps).toFixed(1)}\t${(counting.fps / plain.fps).toFixed(2)}x`);
  } else {
    console.log(`(no ${counter}: run crate/tests/cli.rs first to measure counting live)`);
  }
  console.log(`(${shown - 100} frames in ${elapsed.toFixed(0)} s after the first 100 + 10 s)`);
} finally {
  await browser.close();
  server.close();
}
