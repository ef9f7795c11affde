// Hosts the wasm core off the main thread, so the page never stutters while the model works.
// It owns the project: every change is saved to IndexedDB from here, so closing the tab loses at
// most the last fraction of a second. Messages: {id, op, args} in, {id, ok, value|error} out,
// plus unsolicited {type: 'progress' | 'ready' | 'state' | 'epoch' | 'saved' | 'notice' | 'waiting' |
// 'gpuLost' | 'fatal'} events.
import * as storage from './storage.js';

const WEIGHTS_URL = new URL('../models/efficientnet-lite0.bpk', import.meta.url);
const SAVE_DELAY_MS = 300;

let core = null; // the chosen build's module (see `chooseBuild`)
let backbone = null;
let learner = null;
let broken = false;

// The core comes in two builds, and only the one this worker runs is downloaded: pkg/ has
// WebGPU beside a single-threaded CPU path; pkg-threads/ has the CPU path alone on a pool of
// threads, which needs shared memory and so a cross-origin-isolated page (see isolate.js).
// Which one is decided from what the browser itself says (no adapter, or a fallback one);
// the core decides the rest and says why in its own words (device.rs): `choice` is what it is
// told, one of its names.
async function chooseBuild(asked) {
  const gpu = { url: './pkg/glimpse.js', choice: asked, threads: 0 };
  if (asked === 'webgpu') return gpu;
  let choice = asked;
  if (asked === 'auto') {
    const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
    if (!adapter) choice = 'no-adapter';
    else if (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) choice = 'software-adapter';
    else return gpu;
  }
  if (!self.crossOriginIsolated) return { ...gpu, choice };
  return { url: './pkg-threads/glimpse.js', choice, threads: navigator.hardwareConcurrency || 2 };
}

// Fetches with a byte count, so that the page can show how much of the model has arrived.
async function fetchWithProgress(url, stage) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${stage}: the server answered ${response.status} for ${url.pathname}`);
  const total = Number(response.headers.get('Content-Length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    postMessage({ type: 'progress', stage, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) { bytes.set(chunk, offset); offset += chunk.length; }
  return bytes;
}

function state() {
  return { type: 'state', classes: learner.classes(), headState: learner.headState, readiness: learner.readiness, settings: learner.settings(), maxEpochs: learner.maxEpochs, training: learner.training, lastTraining: learner.lastTraining(), adaptation: learner.adaptation() };
}

// Bursts of changes (a held capture button) are coalesced into one save; `flush` writes now.
// A save writes the new examples and the skeleton (see storage.js), whatever the project's size.
let saveTimer = null;
let saving = Promise.resolve();
function persist() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(flush, SAVE_DELAY_MS);
}
function flush() {
  clearTimeout(saveTimer);
  saveTimer = null;
  saving = saving
    .then(async () => {
      const started = performance.now();
      const wrote = await storage.save(learner);
      postMessage({ type: 'saved', ...wrote, ms: performance.now() - started });
    })
    .catch((e) => postMessage({ type: 'notice', message: e?.name === 'QuotaExceededError'
      ? 'This browser\'s storage for the page is full, so your latest changes are not saved here. The project is still open: use Export project to keep it, or free some space.'
      : `Could not save in this browser: ${e.message ?? e}` }));
  return saving;
}

// One tab at a time owns the saved project: a second tab waits, and says so, until the first
// is closed, rather than overwrite its work with its own copy.
const PROJECT_LOCK = 'glimpse-project';
let releaseTheProject = () => {};
function ownTheProject() {
  if (!navigator.locks) return Promise.resolve();
  // Held until this tab closes, or this worker hands over to the next (see `gpuLost`).
  const hold = () => new Promise((release) => { releaseTheProject = release; });
  return new Promise((owned) => {
    navigator.locks.request(PROJECT_LOCK, { ifAvailable: true }, (lock) => {
      if (lock) { owned(); return hold(); }
      postMessage({ type: 'waiting', message: 'Glimpse is open in another tab of this browser. Close that tab and this one takes over its project; working in both would overwrite one with the other.' });
      navigator.locks.request(PROJECT_LOCK, () => { owned(); return hold(); });
      return null;
    });
  });
}

// The weights (18.5 MB) are kept in Cache Storage under their SHA-256, which the core knows: a
// reload reads them from disk whatever caching headers the host sends, and a new model is a new
// key. A copy that fails to load is dropped and downloaded again.
const WEIGHTS_CACHE = 'glimpse-weights';

async function cachedWeights(key) {
  if (!self.caches) return null; // not a secure context: nothing to keep them in
  try {
    const hit = await (await caches.open(WEIGHTS_CACHE)).match(key);
    return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

async function keepWeights(key, bytes) {
  if (!self.caches) return;
  try {
    const cache = await caches.open(WEIGHTS_CACHE);
    for (const old of await cache.keys()) if (old.url !== key.href) await cache.delete(old);
    await cache.put(key, new Response(bytes));
  } catch (e) {
    // A full quota only costs the next load a download.
    postMessage({ type: 'notice', message: `The model could not be kept for the next visit (${e.message ?? e}): it will download again.` });
  }
}

async function loadBackbone(choice) {
  const key = new URL(`?sha256=${core.GlimpseBackbone.weightsSha256}`, WEIGHTS_URL);
  const setUp = (weights) => {
    postMessage({ type: 'progress', stage: 'Setting up the model', loaded: 0, total: 0 });
    return core.GlimpseBackbone.load(weights, choice);
  };
  const cached = await cachedWeights(key);
  if (cached) {
    try {
      return await setUp(cached);
    } catch {
      await caches.delete(WEIGHTS_CACHE);
    }
  }
  const weights = await fetchWithProgress(WEIGHTS_URL, 'Downloading the model');
  const loaded = await setUp(weights);
  await keepWeights(key, weights);
  return loaded;
}

// A lost GPU device (a driver reset, an unplugged GPU) fails every later GPU call. The worker
// watches the devices wgpu asks for; when the one it runs on is lost it saves, hands the project
// over, and the page starts a new worker on the CPU (rpc.js `restart`).
function watchGpu() {
  const gpu = navigator.gpu;
  if (!gpu) return;
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (...args) => {
    const adapter = await requestAdapter(...args);
    if (!adapter) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    adapter.requestDevice = async (...options) => {
      const device = await requestDevice(...options);
      device.lost.then(gpuLost);
      return device;
    };
    return adapter;
  };
}

async function gpuLost(info) {
  if (backbone?.backend !== 'webgpu' || broken) return; // on the CPU, a GPU device is not needed
  broken = true;
  await flush();
  releaseTheProject();
  postMessage({ type: 'gpuLost', message: info.message || info.reason || 'device lost' });
}

async function start() {
  watchGpu();
  const build = await chooseBuild(new URL(self.location).searchParams.get('backend') ?? 'auto');
  postMessage({ type: 'progress', stage: 'Loading the wasm core', loaded: 0, total: 0 });
  core = await import(build.url);
  await core.default({});
  if (build.threads) await core.initThreadPool(build.threads);
  backbone = await loadBackbone(build.choice);
  await ownTheProject();
  learner = new core.GlimpseLearner(backbone);
  const notice = await storage.restore(learner);
  // The state first, so that the page shows the classes by the time it says it is ready.
  postMessage(state());
  postMessage({ type: 'ready', backend: backbone.backend, adapter: backbone.adapter, reason: backbone.fallbackReason, threads: build.threads, notice, thumbnailSize: core.GlimpseLearner.thumbnailSize, adaptMinFrames: core.GlimpseLearner.adaptMinFrames });
}

const frame = ({ rgba, width, height }) => [new Uint8Array(rgba), width, height];

// Each operation returns its value. `changes` ones alter the project: it is saved after them
// (at once after `flush` ones) and the page gets the new state.
const changes = (run, { flush = false } = {}) => Object.assign(run, { changes: true, flush });
const ops = {
  addClass: changes(({ name }) => learner.addClass(name)),
  renameClass: changes(({ id, name }) => learner.renameClass(id, name)),
  setSense: changes(({ id, sense }) => learner.setSense(id, sense)),
  namePreview: ({ name }) => core.GlimpseLearner.namePreview(name),
  deleteClass: changes(({ id }) => learner.deleteClass(id)),
  undoDelete: changes(() => learner.undoDelete()),
  moveClass: changes(({ id, position }) => learner.moveClass(id, position)),
  clearClass: changes(({ id }) => learner.clearClass(id)),
  deleteExample: changes(({ id }) => learner.deleteExample(id)),
  group: ({ id, groups }) => learner.group(id, groups ?? undefined),
  sortInto: changes(({ from, groups }) => learner.sortInto(from, groups), { flush: true }),
  setSettings: changes(({ settings }) => learner.setSettings(settings)),
  capture: changes(({ class: id, image }) => learner.capture(id, ...frame(image))),
  thumbnails: ({ ids }) => ids.map((id) => ({ id, rgba: learner.thumbnail(id) })),
  train: changes(() => learner.train((stats) => postMessage({ type: 'epoch', stats })), { flush: true }),
  cancelTraining: () => learner.cancelTraining(),
  fineTuneCost: ({ depth }) => learner.fineTuneCost(depth),
  features: ({ image }) => learner.features(...frame(image)),
  adapt: changes(({ features }) => {
    const all = new Float32Array(features.reduce((n, f) => n + f.length, 0));
    features.reduce((offset, f) => { all.set(f, offset); return offset + f.length; }, 0);
    return learner.adapt(all, Date.now());
  }, { flush: true }),
  removeAdaptation: changes(() => learner.removeAdaptation(), { flush: true }),
  async predict({ image, top3, explain }) {
    const pixels = frame(image);
    const { prediction, map } = explain ? await learner.explain(...pixels) : { prediction: await learner.predict(...pixels) };
    const seen = top3 ? (await backbone.imagenetTop5(...pixels)).slice(0, 3) : null;
    return { prediction, seen, map };
  },
  async imagenet({ image }) {
    return (await backbone.imagenetTop5(...frame(image))).slice(0, 3);
  },
  save: () => learner.save(),
  exportModel: () => learner.exportModel(),
  open: changes(({ bytes }) => { const kind = learner.open(new Uint8Array(bytes)); storage.replaced(); return kind; }, { flush: true }),
  flush: () => flush(),
  reset: changes(() => { learner.newProject(); storage.replaced(); }, { flush: true }),
};

const ready = start().catch((e) => postMessage({ type: 'fatal', message: `Could not start: ${e.message ?? e}` }));

onmessage = async ({ data: { id, op, args } }) => {
  await ready;
  if (!learner || broken) return postMessage({ id, ok: false, error: broken ? 'The engine stopped: reload the page.' : 'The model did not load.' });
  let reply;
  try {
    reply = { id, ok: true, value: await ops[op](args ?? {}) };
  } catch (e) {
    reply = { id, ok: false, error: e.message ?? String(e) };
    if (e instanceof WebAssembly.RuntimeError) {
      // A panic in the core (a lost GPU device ends as one): its state can no longer be trusted,
      // and the last save is what a reload brings back.
      broken = true;
      postMessage({ type: 'fatal', message: `The engine stopped (${reply.error}). Your project was saved in this browser: reload the page to continue.` });
    }
  }
  // The new state goes first, so that the page has drawn it when the caller's promise settles;
  // what `flush` ops did (a training, an import, an adaptation) is stored by then too.
  if (ops[op].changes && !broken) {
    postMessage(state());
    if (ops[op].flush) await flush(); else persist();
  }
  postMessage(reply);
};
