// Runs in the page: times each network's feature extraction on WebGPU and on the CPU fallback, batch 1
// and 8, on a real photo (op kind by op kind too), and leaves the results in window.results for the runner.
// Uses the bench builds of the core (target/bench-pkg; target/bench-pkg-threads for the backend
// `cpu-threads`, the threaded CPU build), which add `GlimpseBench` to the page's API.
import { decode } from '../../www/frames.js';

/** The bench build that runs `backend`, initialised once (each build has its own memory). */
const builds = new Map();
async function benchOf(backend) {
  const threaded = backend === 'cpu-threads';
  if (!builds.has(threaded)) {
    const build = await import(threaded ? '../../target/bench-pkg-threads/glimpse.js' : '../../target/bench-pkg/glimpse.js');
    await build.default();
    if (threaded) await build.initThreadPool(navigator.hardwareConcurrency);
    builds.set(threaded, build.GlimpseBench);
  }
  return { GlimpseBench: builds.get(threaded), backend: threaded ? 'cpu' : backend };
}

async function run() {
  const params = new URLSearchParams(location.search);
  const photo = await decode(await (await fetch(new URLSearchParams(location.search).get('photo'))).blob());
  const iterations = Number(params.get('iterations') ?? 5);
  const rows = [];
  const learning = [];
  for (const network of (params.get('networks') ?? 'lite0').split(',')) {
    const weights = new Uint8Array(await (await fetch(`../../models/efficientnet-${network}.bpk`)).arrayBuffer());
    for (const backend of (params.get('backends') ?? 'cpu,webgpu').split(',')) {
      const bench = await benchOf(backend);
      const { GlimpseBench } = bench;
      const backbone = await GlimpseBench.backbone(weights, bench.backend, network);
      for (const batch of [1, 8]) {
        const t = await GlimpseBench.features(backbone, new Uint8Array(photo.rgba), photo.width, photo.height, batch, iterations);
        rows.push({ network, backend, adapter: backbone.adapter, ...t });
      }
      const learns = params.get('learning') !== '0' && backend !== 'cpu-burn-depthwise' && network === 'lite0';
      for (const examples of learns ? [100, 1000] : []) {
        const t = await GlimpseBench.learning(backbone, examples);
        learning.push({ backend, ...t });
      }
      backbone.free();
    }
  }
  return { rows, learning };
}

// In a dedicated worker, as the page's core runs: on the page's own thread the thread pool's
// caller may not block, so it spins beside the pool and takes a core from it.
if (typeof window === 'undefined') {
  run().then((r) => postMessage(r), (e) => postMessage({ error: String(e.message ?? e) }));
} else {
  const worker = new Worker(new URL(`backbone-page.js${location.search}`, import.meta.url), { type: 'module' });
  window.results = new Promise((resolve) => {
    worker.onmessage = (m) => resolve(m.data);
    worker.onerror = (e) => resolve({ error: `the worker failed: ${e.message}` });
  }).then((r) => { document.getElementById('out').textContent = r.error ? 'failed' : JSON.stringify(r.rows, null, 1); return r; });
}
