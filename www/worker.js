// Hosts the wasm core off the main thread, so the page never stutters while the model works.
// It owns the project: every change is saved to IndexedDB from here, so closing the tab loses at
// most the last fraction of a second. Messages: {id, op, args} in, {id, ok, value|error} out,
// plus unsolicited {type: 'progress' | 'ready' | 'state' | 'epoch' | 'saved' | 'notice' | 'waiting' |
// 'gpuLost' | 'fatal'} events.
import * as storage from './storage.js';
import { loadNetwork, startCore } from './engine.js';

const MODELS_URL = new URL('../models/', import.meta.url);
const SAVE_DELAY_MS = 300;

let core = null; // the chosen build's module (see engine.js)
let started = null; // what engine.js's loadNetwork needs
let backbone = null;
let learner = null;
let broken = false;

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

const progress = (stage, loaded, total) => postMessage({ type: 'progress', stage, loaded, total });
const network = (id) => loadNetwork({ ...started, id, modelsUrl: MODELS_URL, progress, notice: (message) => postMessage({ type: 'notice', message }) });

async function start() {
  watchGpu();
  started = await startCore({ asked: new URL(self.location).searchParams.get('backend') ?? 'auto', progress });
  core = started.core;
  threadsShown = started.threads;
  await ownTheProject();
  // The saved project's network, so that its features and the new frames' agree.
  backbone = await network(await storage.storedNetwork(core.GlimpseLearner.networkOf));
  learner = new core.GlimpseLearner(backbone);
  const notice = await storage.restore(learner);
  frameMs = await storage.frameTimes().catch(() => ({}));
  // The state first, so that the page shows the classes by the time it says it is ready.
  postMessage(state());
  postMessage({ type: 'ready', backend: backbone.backend, adapter: backbone.adapter, reason: backbone.fallbackReason, threads: started.threads, notice, thumbnailSize: core.GlimpseLearner.thumbnailSize, adaptMinFrames: core.GlimpseLearner.adaptMinFrames });
  showNetwork();
}

// The networks the page offers, with what each measured per live frame on this device.
let frameMs = {};
let timed = 0;
function showNetwork() {
  postMessage({ type: 'network', network: backbone.network, networks: core.GlimpseBackbone.networks, frameMs });
}
function timeFrame(ms) {
  if (!(ms > 0)) return;
  const id = backbone.network;
  frameMs[id] = frameMs[id] ? 0.9 * frameMs[id] + 0.1 * ms : ms;
  if (++timed % 30 === 0) {
    showNetwork();
    storage.keepFrameTimes(frameMs).catch(() => {});
  }
}

// Another network for the open project (refused by the core while it has examples), or for a
// file made with another network: loaded beside the current one, which stays until it is ready.
async function useNetwork(id, move) {
  if (id === backbone.network) return move(learner);
  const next = await network(id);
  let moved;
  try {
    moved = move(learner, next);
  } catch (e) {
    next.free();
    throw e;
  }
  // The old network's weights go with its last handles (a prediction still running keeps its own).
  const old = [learner, backbone];
  [learner, backbone] = [moved, next];
  old.forEach((handle) => handle.free());
  storage.replaced();
  showNetwork();
}

const frame = ({ rgba, width, height }) => [new Uint8Array(rgba), width, height];

// The threaded build's core keeps measuring whether its pool pays while it classifies (one call
// in a few runs the other way): the page hears when its choice changes.
let threadsShown;
function showThreads() {
  const threads = backbone.threads?.threads;
  if (threads === undefined || threads === threadsShown) return;
  threadsShown = threads;
  postMessage({ type: 'threads', threads });
}

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
  picture: ({ id }) => ({ ...learner.picture(id), points: learner.points(id) }),
  setPoints: changes(({ id, points }) => learner.setPoints(id, points)),
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
    showThreads();
    timeFrame(prediction?.ms);
    const seen = top3 ? (await backbone.imagenetTop5(...pixels)).slice(0, 3) : null;
    return { prediction, seen, map };
  },
  async imagenet({ image }) {
    return (await backbone.imagenetTop5(...frame(image))).slice(0, 3);
  },
  save: () => learner.save(),
  exportModel: () => learner.exportModel(),
  exportOnnx: () => learner.exportOnnx(),
  open: changes(async ({ bytes }) => {
    const file = new Uint8Array(bytes);
    let kind;
    await useNetwork(core.GlimpseLearner.networkOf(file), (current, next) => {
      if (!next) {
        kind = current.open(file);
        return current;
      }
      const into = new core.GlimpseLearner(next);
      try {
        kind = into.open(file);
      } catch (e) {
        into.free();
        throw e;
      }
      return into;
    });
    storage.replaced();
    return kind;
  }, { flush: true }),
  useNetwork: changes(({ id }) => useNetwork(id, (current, next) => (next ? current.movedTo(next) : current)), { flush: true }),
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
