// `node tests/bench/examples.mjs`: a project of EXAMPLES (default 5,000) examples in the page, in
// one headless Chromium session (CPU path). Uploads images into two classes and reports what a
// save costs (the worker's own timing of one single-example save: skeleton plus the new record,
// written in one IndexedDB transaction) at the 100th example against the last, reload to ready,
// the JS and wasm memory, and the size of the exported project file, which must open again.
import path from 'node:path';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { serve, launch, root, BENCH_FILES } from '../browser.mjs';
import { waitReady, card, count, recordSaves, memory } from '../page.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const EXAMPLES = Number(process.env.EXAMPLES ?? 5000);
// upload: every example through the page's upload (≈0.3–0.4 s each on the 2-core machine: 35+
// minutes for 5,000); cli: the examples past the 100th come in one project file that the native
// CLI trained on the same images, imported into the page, which then stores each example.
const FILL = process.env.FILL ?? 'upload';
const BATCH = 50; // playwright passes at most 50 MB of files at once
const SINGLES = 7;
const photos = ['cat', 'coffee'].map((object) => {
  const dir = path.join(fixtures, 'views', 'train', object);
  return readdirSync(dir).sort().map((f) => ({ name: `${object}-${f}`, mimeType: 'image/png', buffer: readFileSync(path.join(dir, f)) }));
});

// A project of `n` examples (the two photos' views, repeated) trained by the native CLI.
function cliProject(n) {
  if (process.env.CLI_PROJECT) return process.env.CLI_PROJECT; // one made before, for a rerun
  const dir = mkdtempSync(path.join(tmpdir(), 'glimpse-examples-'));
  photos.forEach((views, c) => {
    mkdirSync(path.join(dir, String(c)));
    for (let i = 0; i < n / 2; i++) writeFileSync(path.join(dir, String(c), `${i}.png`), views[i % views.length].buffer);
  });
  const out = path.join(dir, 'big.glimpse');
  const run = spawnSync(path.join(root, 'target/release/glimpse'), ['train', dir, '-o', out, '--head', 'prototype'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`glimpse train: ${run.stderr}`);
  return out;
}

const server = await serve(BENCH_FILES);
const browser = await launch({ webgpu: false });

const total = async (page) => (await count(page, 0)) + (await count(page, 1));

async function upload(page, n, files) {
  const before = await count(page, n);
  await card(page, n).locator('.upload').setInputFiles(files);
  await page.waitForFunction(([i, want]) => Number(document.querySelectorAll('.class-card')[i].querySelector('.count').textContent.split(' ')[0]) >= want, [n, before + files.length], { timeout: 600_000, polling: 200 });
}

// Fills the project to `target` examples, alternating classes, a batch at a time.
async function fillTo(page, target) {
  for (let have = await total(page), n = 0; have < target; have = await total(page), n = 1 - n) {
    const k = Math.min(BATCH, target - have);
    const t = Date.now();
    await upload(page, n, Array.from({ length: k }, (_, i) => ({ ...photos[n][i % photos[n].length], name: `${have + i}-${photos[n][i % photos[n].length].name}` })));
    if (process.env.PROGRESS) console.error(`${have + k} examples, ${((Date.now() - t) / k).toFixed(0)} ms each`);
  }
}

// Saves of one new example each: waits for the previous save, uploads one image, times its save.
async function singleSaves(page) {
  const ms = [], core = [];
  for (let i = 0; i < SINGLES; i++) {
    await page.waitForTimeout(800);
    const seen = await page.evaluate(() => window.saves.length);
    await upload(page, i % 2, [photos[i % 2][0]]);
    await page.waitForFunction((s) => window.saves.length > s, seen, { timeout: 60_000 });
    const save = await page.evaluate(() => window.saves.at(-1));
    if (save.written === 1) { ms.push(save.ms); core.push(save.coreMs); }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { median: median(ms), core: median(core), n: ms.length, examples: await total(page) };
}

try {
  const context = await browser.newContext();
  await context.addInitScript(recordSaves);
  const page = await context.newPage();
  await page.goto(server.url);
  await waitReady(page);
  const started = Date.now();
  await fillTo(page, 100);
  const early = await singleSaves(page);
  if (FILL === 'cli') await page.locator('#import').setInputFiles(cliProject(EXAMPLES));
  await page.waitForFunction((n) => [...document.querySelectorAll('.class-card .count')].reduce((sum, c) => sum + Number(c.textContent.split(' ')[0]), 0) >= n, FILL === 'cli' ? EXAMPLES : 0, { timeout: 600_000 });
  await fillTo(page, EXAMPLES);
  const fillSeconds = (Date.now() - started) / 1000;
  const late = await singleSaves(page);
  const before = await memory(page);

  const reloadStarted = Date.now();
  await page.reload();
  await waitReady(page);
  const reloadMs = Date.now() - reloadStarted;
  const reopened = await total(page);
  const after = await memory(page);

  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#export-project').click()]);
  const exportedPath = await file.path();
  const exported = readFileSync(exportedPath);
  await page.locator('#import').setInputFiles(exportedPath);
  await page.waitForFunction(() => /^Opened/.test(document.getElementById('project-status').textContent), null, { timeout: 300_000 });
  const imported = await total(page);

  const mb = (n) => (n / 1e6).toFixed(1);
  console.log(`machine: ${process.env.MACHINE ?? 'this one'}; ${await page.textContent('#backend')}`);
  console.log('measure\tvalue\tratio');
  console.log(`save of one new example at ${early.examples} examples (median of ${early.n}; in the core ${early.core.toFixed(1)} ms)\t${early.median.toFixed(1)} ms\t1.00x (reference)`);
  console.log(`save of one new example at ${late.examples} examples (median of ${late.n}; in the core ${late.core.toFixed(1)} ms)\t${late.median.toFixed(1)} ms\t${(late.median / early.median).toFixed(2)}x`);
  console.log(`adding ${EXAMPLES} examples (${FILL === 'cli' ? 'the first 100 by upload, the rest in a project file the CLI trained' : 'by upload: features, thumbnails, saves'})\t${fillSeconds.toFixed(0)} s\t${(fillSeconds * 1000 / EXAMPLES).toFixed(0)} ms per example`);
  console.log(`reload to ready with ${reopened} examples\t${reloadMs} ms\t`);
  console.log(`JS memory before / after the reload\t${mb(before.bytes)} / ${mb(after.bytes)} MB\t`);
  console.log(`wasm heap before / after the reload\t${mb(before.wasmBytes)} / ${mb(after.wasmBytes)} MB\t`);
  console.log(`exported project file (one file; imported again: ${imported} examples)\t${mb(exported.length)} MB\t`);
  if (reopened !== late.examples || imported !== late.examples) throw new Error(`examples lost: ${late.examples} saved, ${reopened} after the reload, ${imported} imported`);
} finally {
  await browser.close();
  server.close();
}
