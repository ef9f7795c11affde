// Runs in the page: times Lite0 feature extraction on WebGPU and on the CPU fallback, batch 1
// and 8, on a real photo (op kind by op kind too), and leaves the results in window.results for the runner.
// Uses the bench build of the core (target/bench-pkg), which adds `GlimpseBench` to the page's API.
import init, { GlimpseBench } from '../../target/bench-pkg/glimpse.js';
import { decode } from '../../www/frames.js';

async function run() {
  await init();
  const weights = new Uint8Array(await (await fetch('../../models/efficientnet-lite0.bpk')).arrayBuffer());
  const photo = await decode(await (await fetch(new URLSearchParams(location.search).get('photo'))).blob());
  const iterations = Number(new URLSearchParams(location.search).get('iterations') ?? 5);
  const rows = [];
  const learning = [];
  for (const backend of (new URLSearchParams(location.search).get('backends') ?? 'cpu,webgpu').split(',')) {
    const backbone = await GlimpseBench.backbone(weights, backend);
    for (const batch of [1, 8]) {
      const t = await GlimpseBench.features(backbone, new Uint8Array(photo.rgba), photo.width, photo.height, batch, iterations);
      rows.push({ backend, adapter: backbone.adapter, ...t });
      document.getElementById('out').textContent = JSON.stringify(rows, null, 1);
    }
    for (const examples of backend === 'cpu-burn-depthwise' ? [] : [100, 1000]) {
      const t = await GlimpseBench.learning(backbone, examples);
      learning.push({ backend, ...t });
    }
  }
  return { rows, learning };
}

window.results = run().catch((e) => ({ error: String(e.message ?? e) }));
