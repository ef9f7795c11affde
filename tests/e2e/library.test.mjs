// The model leaves Glimpse: exported from the page as the model only and as ONNX, it classifies
// in a page that is not Glimpse's through the drop-in library packed with `npm pack` and served
// by a plain static server, with the probabilities the page showed; the ONNX file gives in
// onnxruntime-web what it gives in Python's onnxruntime, and that is what the CLI predicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { serve, launch, root } from '../browser.mjs';
import { waitReady } from '../page.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const webcam = path.join(fixtures, 'webcam.y4m');
const artifacts = path.join(root, 'tests/artifacts');
const PHOTOS = ['chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png'];

async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
  return readFileSync(await file.path());
}

/** A plain static server (no special headers) on `dir`. */
async function plainServer(dir) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  await once(server.stdout, 'data');
  return { url: `http://127.0.0.1:${port}/`, close: () => server.kill() };
}

test('the library, packed with npm, classifies a photo and webcam frames in a foreign page as the page did; the ONNX export agrees everywhere', async () => {
  mkdirSync(artifacts, { recursive: true });
  const glimpseServer = await serve();
  const browser = await launch({ webcam });
  const site = mkdtempSync(path.join(tmpdir(), 'glimpse-site-'));
  let plain = null;
  try {
    // The model, made in the page: the CLI's project imported, then exported both ways.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(glimpseServer.url);
    await waitReady(page);
    await page.setInputFiles('#import', path.join(fixtures, 'cli-project.glimpse'));
    await page.waitForFunction(() => /^Opened/.test(document.getElementById('project-status').textContent));
    const model = await download(page, '#export-model');
    const onnx = await download(page, '#export-onnx');
    await page.setInputFiles('#classify-file', path.join(fixtures, 'chelsea.png'));
    await page.waitForFunction(() => /^chelsea\.png: \d+ ms$/.test(document.getElementById('live-speed').textContent), null, { timeout: 60_000 });
    const shown = Object.fromEntries(await page.$$eval('#bars li', (items) => items.map((li) => [li.querySelector('.bar-label').textContent, li.querySelector('meter').value])));
    assert.deepEqual(Object.keys(shown), ['cat', 'coffee', 'rocket']);

    // The package, as npm packs it, unpacked beside a page of someone else's.
    const packed = spawnSync('npm', ['pack', path.join(root, 'dist/glimpse-lib'), '--pack-destination', site], { encoding: 'utf8' });
    assert.equal(packed.status, 0, packed.stderr);
    const tarball = readdirSync(site).find((f) => f.endsWith('.tgz'));
    assert.equal(spawnSync('tar', ['-xzf', tarball], { cwd: site }).status, 0);
    renameSync(path.join(site, 'package'), path.join(site, 'glimpse-image'));
    for (const f of ['page.html', 'page.js']) copyFileSync(path.join(root, 'tests/library', f), path.join(site, f));
    writeFileSync(path.join(site, 'model.glimpse'), model);
    writeFileSync(path.join(site, 'model.onnx'), onnx);
    // A project the CLI made with Lite2 (crate/tests/cli.rs): the library loads that network for it.
    copyFileSync(path.join(fixtures, 'lite2/lite2.glimpse'), path.join(site, 'lite2.glimpse'));
    copyFileSync(path.join(fixtures, 'chelsea.png'), path.join(site, 'photo.png'));
    copyFileSync(path.join(fixtures, 'onnx/photos.f32'), path.join(site, 'photos.f32'));
    symlinkSync(path.join(root, 'node_modules/onnxruntime-web/dist'), path.join(site, 'ort'));
    plain = await plainServer(site);

    const foreign = [], problems = [];
    const other = await context.newPage();
    other.on('pageerror', (e) => problems.push(e.message));
    other.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    context.on('request', (r) => { if (!r.url().startsWith(plain.url) && !r.url().startsWith(glimpseServer.url) && !/^(blob|data):/.test(r.url())) foreign.push(r.url()); });
    await other.goto(`${plain.url}page.html`);
    await other.waitForFunction(() => window.photoResult, null, { timeout: 240_000 });
    const result = await other.evaluate(() => window.photoResult);
    assert.deepEqual(result.labels, ['cat', 'coffee', 'rocket']);
    assert.equal(result.total, 3);
    assert.equal(result.top[0].className, 'cat');
    for (const { className, probability } of result.predictions) {
      assert.ok(Math.abs(probability - shown[className]) <= 1e-3, `${className}: the library ${probability}, the page ${shown[className]}`);
    }
    console.log(`library: loaded in ${result.loadMs.toFixed(0)} ms, ${result.msPerPrediction.toFixed(1)} ms per prediction (median of 10)`);

    // Webcam frames (the video shows the cat, then a cup: the model's "coffee").
    await other.waitForFunction(() => (window.webcamFrames?.length ?? 0) >= 30, null, { timeout: 120_000 });
    const frames = await other.evaluate(() => window.webcamFrames);
    const seen = new Set(frames.filter((f) => f.probability > 0.5).map((f) => f.className));
    assert.ok([...seen].every((c) => ['cat', 'coffee'].includes(c)) && seen.size >= 1, JSON.stringify(frames.slice(-10)));

    const weights = [];
    context.on('request', (r) => { if (r.url().endsWith('.bpk')) weights.push(path.basename(new URL(r.url()).pathname)); });
    const byLite2 = await other.evaluate(() => window.topClassBy('./lite2.glimpse'));
    assert.equal(byLite2.className, 'cat', JSON.stringify(byLite2));
    assert.deepEqual(weights, ['efficientnet-lite2.bpk'], 'a Lite2 model loads Lite2');

    // The ONNX file: onnxruntime-web in this page, Python's onnxruntime, and the CLI agree.
    const web = await other.evaluate(() => window.runOnnx('./model.onnx', './photos.f32', 4, 224));
    const python = spawnSync(path.join(root, '.venv/bin/python'), [path.join(root, 'tests/reference/onnx_run.py'), path.join(site, 'model.onnx'), path.join(site, 'photos.f32'), '4'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(python.status, 0, python.stderr);
    const reference = JSON.parse(python.stdout);
    const flat = reference.outputs.probabilities.flat();
    const webWorst = Math.max(...web.probabilities.map((p, i) => Math.abs(p - flat[i])));
    assert.ok(webWorst <= 1e-4, `onnxruntime-web vs onnxruntime: ${webWorst}`);
    assert.deepEqual(JSON.parse(reference.metadata.classes), ['cat', 'coffee', 'rocket']);
    const cli = spawnSync(path.join(root, 'target/release/glimpse'), ['predict', '--json', path.join(fixtures, 'cli-project.glimpse'), ...PHOTOS.map((p) => path.join(fixtures, p))], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const predicted = cli.stdout.trim().split('\n').map((l) => JSON.parse(l).classes.map((c) => c.probability)).flat();
    const cliWorst = Math.max(...predicted.map((p, i) => Math.abs(p - flat[i])));
    assert.ok(cliWorst <= 1e-4, `glimpse predict vs the page's ONNX export in onnxruntime: ${cliWorst}`);
    console.log(`ONNX: onnxruntime-web vs onnxruntime ${webWorst.toExponential(2)}, glimpse predict vs onnxruntime ${cliWorst.toExponential(2)}`);

    await other.screenshot({ path: path.join(artifacts, 'library-page.png') });
    assert.deepEqual(foreign, [], 'requests left the origins');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    plain?.close();
    await browser.close();
    glimpseServer.close();
  }
});
