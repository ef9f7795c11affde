// `node tests/bench/soak.mjs`: MINUTES (default 30) of live classification with the fake webcam
// in one headless Chromium session, with a short capture burst every 30 s (alternating classes)
// and a retraining every 5 minutes, as someone improving a model while watching it would do.
// Reports memory (JS from the page, the wasm heap from the worker) minute by minute against the
// first minute, live frames, and every error the page or the worker printed.
import path from 'node:path';
import { serve, launch, root, BENCH_FILES } from '../browser.mjs';
import { waitReady, waitForStart, holdCapture, count, memory, captureCatAndCup, trainAndWait } from '../page.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const MINUTES = Number(process.env.MINUTES ?? 30);
const server = await serve(BENCH_FILES);
const browser = await launch({ webgpu: false, webcam: path.join(fixtures, 'webcam.y4m') });
const frames = (page) => page.evaluate(() => Number(document.getElementById('live-state').dataset.frames ?? 0));

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker: ${m.text()}`)));
  await page.goto(server.url);
  await waitReady(page);
  await captureCatAndCup(page, 1500);
  const trainings = [await trainAndWait(page, 600_000)];

  const rows = [];
  const started = Date.now();
  let lastCapture = started, lastTraining = started, lastRow = 0, burst = 0;
  while (Date.now() - started < MINUTES * 60_000) {
    const minute = Math.floor((Date.now() - started) / 60_000);
    if (minute >= lastRow) {
      rows.push({ minute, frames: await frames(page), examples: (await count(page, 0)) + (await count(page, 1)), ...(await memory(page)) });
      lastRow = minute + 1;
    }
    if (Date.now() - lastCapture > 30_000) {
      const object = burst % 2 ? 'cup' : 'cat';
      await waitForStart(page, object);
      await holdCapture(page, burst % 2, 600);
      burst++;
      lastCapture = Date.now();
    }
    if (Date.now() - lastTraining > 5 * 60_000) {
      trainings.push(await trainAndWait(page, 600_000));
      lastTraining = Date.now();
    }
    await page.waitForTimeout(1000);
  }
  rows.push({ minute: MINUTES, frames: await frames(page), examples: (await count(page, 0)) + (await count(page, 1)), ...(await memory(page)) });

  const mb = (n) => (n / 1e6).toFixed(1);
  const first = rows[1] ?? rows[0];
  console.log(`machine: ${process.env.MACHINE ?? 'this one'}; ${await page.textContent('#backend')}; ${MINUTES} minutes`);
  console.log('minute\tlive frames\texamples\tJS MB\twasm heap MB\tJS vs minute 1');
  for (const r of rows) console.log(`${r.minute}\t${r.frames}\t${r.examples}\t${mb(r.bytes)}\t${mb(r.wasmBytes)}\t${(r.bytes / first.bytes).toFixed(2)}x`);
  console.log(`trainings: ${trainings.length}, the last: ${trainings.at(-1)}`);
  console.log(`errors: ${errors.length}${errors.length ? `\n${errors.join('\n')}` : ''}`);
  if (errors.length || !trainings.every((t) => /^Trained/.test(t))) process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
