// `node tests/bench/versus.mjs`: Glimpse against onnxruntime-web on the same Lite0 weights and
// the same real photos, in one headless Chromium session (each engine/backend in a fresh browser
// context so every cold start is a real one). Fails when the two engines' features differ by more
// than 1e-3. Prints a table of ms/frame with the ratio Glimpse / onnxruntime-web per pairing and
// writes it to target/bench/versus.md (and the raw numbers to versus.json).
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, root, BENCH_FILES } from '../browser.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const out = path.join(root, 'target/bench');
const model = 'target/reference/efficientnet-lite0.onnx';
const PHOTOS = ['chelsea.png', 'astronaut.png', 'coffee.png', 'motorcycle_left.png', 'rocket.jpg'];
const TOLERANCE = 1e-3;
const settings = {
  iterations: process.env.ITERATIONS ?? 30,
  minimum: process.env.MINIMUM ?? 5,
  budget: process.env.BUDGET_S ?? 60,
};
const RUNS = [
  ['glimpse', 'cpu'], ['glimpse', 'cpu-threads'], ['glimpse', 'cpu-burn-pointwise'], ['glimpse', 'cpu-burn-depthwise'], ['glimpse', 'webgpu'], ['ort', 'wasm'], ['ort', 'webgpu'],
].filter(([, backend]) => !process.env.BACKENDS || process.env.BACKENDS.split(',').includes(backend));

const floats = (b64) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

fs.mkdirSync(out, { recursive: true });
if (!fs.existsSync(path.join(root, model))) throw new Error(`${model} is missing: scripts/bench.sh makes it`);
const photos = PHOTOS.map((p) => '/' + path.relative(root, path.join(fixtures, p))).join(',');
const server = await serve(BENCH_FILES);
const browser = await launch();
const version = browser.version();
const results = {};
try {
  for (const [engine, backend] of RUNS) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && console.error(`  [${engine} ${backend}] ${m.text()}`));
    const query = new URLSearchParams({ engine, backend, photos, model: `/${model}`, inputs: '/target/bench/inputs.f32', ...settings });
    console.error(`running ${engine} on ${backend}…`);
    await page.goto(`${server.url}tests/bench/versus.html?${query}`);
    const r = await page.evaluate(() => window.results, null);
    await context.close();
    if (r.error) throw new Error(`${engine} ${backend}: ${r.error}`);
    if (r.inputs) fs.writeFileSync(path.join(out, 'inputs.f32'), Buffer.from(r.inputs, 'base64'));
    results[`${engine} ${backend}`] = { ...r, inputs: undefined, first: floats(r.first), features: floats(r.features) };
  }
} finally {
  await browser.close();
  server.close();
}

// A fast wrong answer must not win: every Glimpse output against every onnxruntime-web output.
let wrong = false;
const checks = [];
for (const [g, gr] of Object.entries(results).filter(([k]) => k.startsWith('glimpse'))) {
  for (const [o, or] of Object.entries(results).filter(([k]) => k.startsWith('ort'))) {
    const d = Math.max(maxDiff(gr.first, or.first), maxDiff(gr.features, or.features));
    checks.push(`max |${g} - ${o}| over 9 feature vectors: ${d.toExponential(2)}`);
    wrong ||= !(d <= TOLERANCE);
  }
}

const ms = (x) => x.toLocaleString('en-US', { maximumFractionDigits: x < 100 ? 1 : 0 });
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const rows = [];
const pair = (label, g, o) => {
  const [G, O] = [results[g], results[o]];
  if (!G || !O) return;
  rows.push([label, 'cold, first frame (ms)', ms(G.cold), ms(O.cold), ratio(G.cold, O.cold)]);
  rows.push([label, 'warm, batch 1 (ms/frame)', `${ms(G.b1.ms)} (n=${G.b1.n})`, `${ms(O.b1.ms)} (n=${O.b1.n})`, ratio(G.b1.ms, O.b1.ms)]);
  rows.push([label, 'warm, batch 8 (ms/frame)', `${ms(G.b8.ms / 8)} (n=${G.b8.n})`, `${ms(O.b8.ms / 8)} (n=${O.b8.n})`, ratio(G.b8.ms, O.b8.ms)]);
};
pair('WebGPU vs webgpu EP', 'glimpse webgpu', 'ort webgpu');
pair('CPU, single-threaded build vs wasm EP', 'glimpse cpu', 'ort wasm');
pair('CPU, threaded build vs wasm EP', 'glimpse cpu-threads', 'ort wasm');
pair('CPU, single-threaded, Burn 1×1 convs (before) vs wasm EP', 'glimpse cpu-burn-pointwise', 'ort wasm');
pair('CPU, single-threaded, Burn ops (before) vs wasm EP', 'glimpse cpu-burn-depthwise', 'ort wasm');
// Each engine's best backend on this machine, by warm batch-1 time, among what it ships (not
// the "before" variant).
const SHIPPED = ['glimpse cpu', 'glimpse cpu-threads', 'glimpse webgpu', 'ort wasm', 'ort webgpu'];
const best = (prefix) => SHIPPED.filter((k) => k.startsWith(prefix) && results[k]).sort((a, b) => results[a].b1.ms - results[b].b1.ms)[0];
const [bestGlimpse, bestOrt] = [best('glimpse'), best('ort')];
pair(`best: ${bestGlimpse} vs ${bestOrt}`, bestGlimpse, bestOrt);
for (const k of ['glimpse cpu', 'glimpse cpu-threads', 'glimpse webgpu'].filter((k) => results[k])) {
  const live = results[k].live;
  rows.push([`${k} live path`, 'frame → prediction (ms)', `${ms(live.ms)} (n=${live.n})`, `${ms(results[bestOrt].b1.ms)} (features only)`, ratio(live.ms, results[bestOrt].b1.ms)]);
}

const adapters = [...new Set(Object.values(results).filter((r) => r.backend === 'webgpu').map((r) => r.adapter))];
const threads = results['ort wasm']?.threads;
const table = [
  `Lite0 → 1280 features, Chromium ${version}, headless; ${adapters.length ? `WebGPU adapter: ${adapters.join(', ')}` : 'no WebGPU'}; ` +
    `onnxruntime-web wasm EP with ${threads ?? '?'} thread(s), SIMD; Glimpse's threaded CPU build with ${results['glimpse cpu-threads']?.threads ?? '?'} thread(s); ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '| pairing | measure | Glimpse | onnxruntime-web | Glimpse / ort |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  ...checks.map((c) => `- ${c}`),
].join('\n');
console.log(table);
fs.writeFileSync(path.join(out, 'versus.md'), table + '\n');
fs.writeFileSync(path.join(out, 'versus.json'), JSON.stringify(results, (k, v) => (v instanceof Float32Array ? undefined : v), 1));
console.error(`written: ${path.relative(root, path.join(out, 'versus.md'))}`);
if (wrong) {
  console.error(`FAILED: the engines' features differ by more than ${TOLERANCE}`);
  process.exit(1);
}
