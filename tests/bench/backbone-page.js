// Runs in the page: times Lite0 feature extraction on WebGPU and on the CPU fallback, batch 1
// and 8, on a real photo (op kind by op kind too), and leaves the results in window.results for the runner.
import init, { GlimpseBackbone } from '../../www/pkg/glimpse.js';
import { loadBackbone } from './glimpse-backend.js';

async function rgbaOf(url) {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, bitmap.width, bitmap.height);
}

async function run() {
  await init();
  const weights = new Uint8Array(await (await fetch('../../models/efficientnet-lite0.bpk')).arrayBuffer());
  const photo = await rgbaOf(new URLSearchParams(location.search).get('photo'));
  const iterations = Number(new URLSearchParams(location.search).get('iterations') ?? 5);
  const rows = [];
  const learning = [];
  for (const backend of (new URLSearchParams(location.search).get('backends') ?? 'cpu,webgpu').split(',')) {
    const backbone = await loadBackbone(GlimpseBackbone, weights, backend);
    for (const batch of [1, 8]) {
      const t = await backbone.bench(new Uint8Array(photo.data.buffer.slice(0)), photo.width, photo.height, batch, iterations);
      rows.push({ backend, adapter: backbone.adapter, ...t });
      document.getElementById('out').textContent = JSON.stringify(rows, null, 1);
    }
    for (const examples of backend === 'cpu-burn-depthwise' ? [] : [100, 1000]) {
      const t = await backbone.benchLearning(examples);
      learning.push({ backend, ...t });
    }
  }
  return { rows, learning };
}

window.results = run().catch((e) => ({ error: String(e.message ?? e) }));
