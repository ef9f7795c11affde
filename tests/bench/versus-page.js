// Runs in the page, one engine and backend per page load (the runner gives each its own browser
// context in one browser session): Glimpse (`engine=glimpse`, backend webgpu|cpu|cpu-threads|cpu-burn-pointwise|cpu-burn-depthwise) or
// onnxruntime-web (`engine=ort`, execution provider webgpu|wasm) on the same Lite0 weights.
// Cold = from before the engine's script is imported to the first batch-1 output in hand
// (script, wasm compile, weights fetch, device and session set-up, first run, readback).
// Warm = median of `iterations` calls after warm-up; on slow software adapters a per-measurement
// time budget may stop it earlier, never below `minimum` calls (the runner prints how many).
// Results land in window.results for the runner.
import { decode } from '../../www/frames.js';

const params = new URLSearchParams(location.search);
const engine = params.get('engine');
const backend = params.get('backend');
const photos = params.get('photos').split(',');
const iterations = Number(params.get('iterations') ?? 30);
const minimum = Number(params.get('minimum') ?? 5);
const budgetMs = Number(params.get('budget') ?? 60) * 1000;
const BATCH = 8;
const FEATURES = 1280;
const SIZE = 224;

async function imageOf(url) {
  const { rgba, width, height } = await decode(await (await fetch(url)).blob());
  return { rgba: new Uint8Array(rgba), width, height };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Warm-up, then timed calls of `call` until `iterations` or the budget (at least `minimum`). */
async function warm(call) {
  const warmups = [];
  const begin = performance.now();
  for (let i = 0; i < 3 && (i === 0 || performance.now() - begin < budgetMs / 10); i++) {
    const t = performance.now();
    await call();
    warmups.push(performance.now() - t);
  }
  const samples = [];
  const until = performance.now() + budgetMs;
  while (samples.length < iterations && (samples.length < minimum || performance.now() < until)) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  return { ms: median(samples), n: samples.length, min: Math.min(...samples), max: Math.max(...samples) };
}

const base64 = (floats) => {
  const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
};

/** Glimpse: RGBA frames in (its own resize, crop and normalisation included in every timing). */
async function glimpse(images) {
  const start = performance.now();
  // The bench builds of the core (target/bench-pkg, and -threads for the threaded CPU build): the
  // page's API plus `GlimpseBench`.
  const threaded = backend === 'cpu-threads';
  const { default: init, GlimpseBench, GlimpseLearner, initThreadPool } = await import(threaded ? '../../target/bench-pkg-threads/glimpse.js' : '../../target/bench-pkg/glimpse.js');
  await init();
  if (threaded) await initThreadPool(navigator.hardwareConcurrency);
  const weights = new Uint8Array(await (await fetch('../../models/efficientnet-lite0.bpk')).arrayBuffer());
  const backbone = await GlimpseBench.backbone(weights, threaded ? 'cpu' : backend, 'lite0');
  const one = [images[0]];
  const first = await backbone.features(one);
  const cold = performance.now() - start;
  const batch = images.slice(0, BATCH);
  const result = {
    adapter: backbone.adapter,
    backend,
    threads: threaded ? navigator.hardwareConcurrency : 1,
    cold,
    b1: await warm(() => backbone.features(one)),
  };
  let t = performance.now();
  const features = await backbone.features(batch);
  result.coldB8 = performance.now() - t;
  result.b8 = await warm(() => backbone.features(batch));
  // The live path: frame -> features -> trained head -> probabilities, as the page's worker does.
  const learner = new GlimpseLearner(backbone);
  const classes = [learner.addClass('first half'), learner.addClass('second half')];
  for (const [i, image] of batch.entries()) await learner.capture(classes[i < BATCH / 2 ? 0 : 1], image.rgba, image.width, image.height);
  await learner.train(null);
  result.live = await warm(() => learner.predict(images[0].rgba, images[0].width, images[0].height));
  // The exact inputs the network saw, for the other engine.
  const inputs = new Float32Array(BATCH * 3 * SIZE * SIZE);
  batch.forEach((image, i) => inputs.set(backbone.preprocess(image.rgba, image.width, image.height), i * 3 * SIZE * SIZE));
  result.inputs = base64(inputs);
  result.first = base64(first);
  result.features = base64(features);
  return result;
}

/** onnxruntime-web on the Lite0 ONNX graph, fed the tensors Glimpse's preprocessing made. */
async function onnxruntime() {
  const inputs = new Float32Array(await (await fetch(params.get('inputs'))).arrayBuffer());
  const start = performance.now();
  const ort = await import('../../node_modules/onnxruntime-web/dist/ort.all.min.mjs');
  ort.env.wasm.wasmPaths = new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url).href;
  // Threads need cross-origin isolation, which the server gives every page (Glimpse's too).
  ort.env.wasm.numThreads = crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  const model = new Uint8Array(await (await fetch(params.get('model'))).arrayBuffer());
  // `profile=1` (tests/bench/ops.mjs): onnxruntime prints each node's time to the console.
  const profile = params.get('profile') === '1';
  const session = await ort.InferenceSession.create(model, { executionProviders: [backend], graphOptimizationLevel: 'all', enableProfiling: profile });
  const tensor = (n) => new ort.Tensor('float32', inputs.subarray(0, n * 3 * SIZE * SIZE), [n, 3, SIZE, SIZE]);
  const run = async (n) => (await session.run({ input: tensor(n) }, ['features'])).features.data;
  const first = await run(1);
  const cold = performance.now() - start;
  const result = { adapter: backend, backend, threads: ort.env.wasm.numThreads, cold, b1: await warm(() => run(1)) };
  const t = performance.now();
  const features = await run(BATCH);
  result.coldB8 = performance.now() - t;
  result.b8 = await warm(() => run(BATCH));
  if (profile) await session.endProfiling();
  result.first = base64(new Float32Array(first));
  result.features = base64(new Float32Array(features));
  return result;
}

async function main() {
  if (engine === 'glimpse') {
    const images = [];
    for (let i = 0; i < BATCH; i++) images.push(await imageOf(photos[i % photos.length]));
    return glimpse(images);
  }
  return onnxruntime();
}

// Each engine runs in a dedicated worker, as an app runs it (Glimpse's page and library do; ort
// offers `env.wasm.proxy`): on the page's own thread a thread pool's caller may not block, so
// it spins beside the pool and takes a core from it.
if (typeof window === 'undefined') {
  main().then((r) => postMessage(r), (e) => postMessage({ error: String(e?.stack ?? e?.message ?? e) }));
} else {
  const worker = new Worker(new URL(`versus-page.js${location.search}`, import.meta.url), { type: 'module' });
  window.results = new Promise((resolve) => {
    worker.onmessage = (m) => resolve(m.data);
    worker.onerror = (e) => resolve({ error: `the worker failed: ${e.message}` });
  }).then((r) => { document.getElementById('out').textContent = r.error ? 'failed' : 'done'; return r; });
}
