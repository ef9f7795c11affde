// Hosts the wasm core off the main thread, so the page never stutters while the model works.
import init, { GlimpseBackbone } from './pkg/glimpse.js';

const WEIGHTS_URL = new URL('../models/efficientnet-lite0.bpk', import.meta.url);
let backbone = null;

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

async function start() {
  postMessage({ type: 'progress', stage: 'Loading the wasm core', loaded: 0, total: 0 });
  await init();
  const weights = await fetchWithProgress(WEIGHTS_URL, 'Downloading the model');
  postMessage({ type: 'progress', stage: 'Setting up the GPU', loaded: 0, total: 0 });
  backbone = await GlimpseBackbone.load(weights, 'auto');
  postMessage({ type: 'ready', backend: backbone.backend, adapter: backbone.adapter, reason: backbone.fallbackReason });
}

const ready = start().catch((e) => postMessage({ type: 'error', message: `Could not start: ${e.message ?? e}` }));

onmessage = async ({ data }) => {
  await ready;
  if (!backbone) return;
  try {
    if (data.type === 'top5') {
      const started = performance.now();
      const classes = await backbone.imagenetTop5(new Uint8Array(data.rgba), data.width, data.height);
      postMessage({ type: 'top5', classes, ms: performance.now() - started });
    }
  } catch (e) {
    postMessage({ type: 'error', message: e.message ?? String(e) });
  }
};
