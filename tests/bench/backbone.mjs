// `node tests/bench/backbone.mjs`: each network (NETWORKS=lite0,lite2) in headless Chromium (SwiftShader WebGPU, the wasm
// CPU fallback and, as `cpu-threads`, the threaded CPU build), cold and warm ms/frame, and where a warm pass goes per op kind. Prints ratios against the
// CPU fallback at batch 1, measured in the same browser session.
import path from 'node:path';
import { serve, launch, root, BENCH_FILES } from '../browser.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const photo = path.relative(root, path.join(fixtures, 'chelsea.png'));
const iterations = process.env.ITERATIONS ?? 5;
const backends = process.env.BACKENDS ?? 'cpu,cpu-threads,cpu-burn-depthwise,webgpu';
const networks = process.env.NETWORKS ?? 'lite0';
const KINDS = ['input', 'stem', 'pointwise', 'depthwise', 'elementwise', 'pool', 'readback'];
const shares = (ops) => {
  const total = KINDS.reduce((sum, k) => sum + ops[k], 0);
  return KINDS.map((k) => `${k} ${(ops[k] / total * 100).toFixed(0)}%`).join(', ') + ` (each wait ${ops.sync.toFixed(2)} ms)`;
};
const server = await serve(BENCH_FILES);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}tests/bench/backbone.html?photo=/${photo}&iterations=${iterations}&backends=${backends}&networks=${networks}`);
  const results = await page.evaluate(() => window.results, null);
  if (results.error) throw new Error(results.error);
  const { rows, learning } = results;
  const reference = rows.find((r) => r.backend === rows[0].backend && r.batch === 1).warmMsPerFrame;
  console.log(`network\tbackend\tadapter\tbatch\tcold ms/frame\twarm ms/frame\tratio to ${rows[0].network} ${rows[0].backend} batch 1\twhere a warm pass goes (op by op)`);
  for (const r of rows) {
    console.log([r.network, r.backend, r.adapter, r.batch, r.coldMsPerFrame.toFixed(1), r.warmMsPerFrame.toFixed(1),
      `${(r.warmMsPerFrame / reference).toFixed(2)}x`, shares(r.ops)].join('\t'));
  }
  // Training is compared with extracting as many features once at batch 1 on the same backend.
  console.log('\nbackend\texamples\tms/epoch\t50 epochs ms\tvs extracting them\tpredict ms (head only)');
  for (const t of learning) {
    const extract = rows.find((r) => r.network === 'lite0' && r.backend === t.backend && r.batch === 1).warmMsPerFrame * t.examples;
    console.log([t.backend, t.examples, t.msPerEpoch.toFixed(1), t.msTotal.toFixed(0),
      `${(t.msTotal / extract).toFixed(3)}x`, t.msPerPrediction.toFixed(2)].join('\t'));
  }
} finally {
  await browser.close();
  server.close();
}
