// `node tests/bench/ops.mjs`: where a warm batch-1 pass goes, layer by layer, in Glimpse's two CPU
// builds and in onnxruntime-web's wasm EP, in one headless Chromium session. Glimpse times each
// op alone (GlimpseBench.features, tests/bench/backbone-page.js); onnxruntime its own nodes
// (session option enableProfiling, which prints them to the console). Layers are matched in the
// order they run, by kind and shape; the script fails when the two networks' layers do not match.
// Writes the tables to target/bench/ops.md. Needs the bench builds (scripts/build-web.sh,
// build_bench_web) and target/reference/efficientnet-lite0.onnx (scripts/bench.sh makes it).
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, root, BENCH_FILES } from '../browser.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const out = path.join(root, 'target/bench');
const model = 'target/reference/efficientnet-lite0.onnx';
const iterations = Number(process.env.ITERATIONS ?? 15);
const BACKENDS = ['cpu', 'cpu-threads'];
const KINDS = ['stem', 'pointwise', 'depthwise', 'elementwise', 'pool'];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** onnxruntime's profiling events (Chrome trace objects) from the page's console lines. */
function nodeEvents(lines) {
  const events = [];
  for (const line of lines) {
    for (const piece of line.split('\n')) {
      const text = piece.trim().replace(/^\[/, '').replace(/[,\]]$/, '');
      if (!text.startsWith('{') || !text.includes('"Node"')) continue;
      try {
        const e = JSON.parse(text);
        if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) events.push(e);
      } catch { /* not an event */ }
    }
  }
  return events;
}

/** A node's kind in Glimpse's terms, from its op and its weights' shape. */
function kindOf(e) {
  const op = e.args.op_name;
  const shapes = (e.args.input_type_shape ?? []).map((s) => Object.values(s)[0]);
  if (/Conv/.test(op)) {
    const [, inPerGroup, kh] = shapes[1];
    if (shapes[0][1] === 3) return 'stem';
    if (inPerGroup === 1 && kh > 1) return 'depthwise';
    if (kh === 1) return 'pointwise';
  }
  if (/Add|Sum|Clip|Relu/.test(op)) return 'elementwise';
  if (/Pool|Reduce/.test(op)) return 'pool';
  return `other (${op})`;
}

/** One pass's nodes at batch 1, each with its median time over the profiled runs. */
function ortLayers(events) {
  const batch1 = events.filter((e) => Object.values(e.args.input_type_shape?.[0] ?? { x: [1] })[0][0] === 1);
  const byNode = new Map();
  for (const e of batch1) {
    // Fused nodes get new indices: the order they run in is the plan's.
    if (!byNode.has(e.name)) byNode.set(e.name, { name: e.name.replace(/_kernel_time$/, ''), index: Number(e.args.exec_plan_index ?? e.ts), kind: kindOf(e), shapes: e.args.input_type_shape, us: [] });
    byNode.get(e.name).us.push(e.dur);
  }
  return [...byNode.values()].sort((a, b) => a.index - b.index).map((n) => ({ ...n, ms: median(n.us) / 1000 }));
}

const label = (step) => `${step.kind} ${step.input[1]}→${step.output[1]} at ${step.input[2]}×${step.input[3]}`;
const f = (ms) => ms.toFixed(2);

if (!fs.existsSync(path.join(root, model))) throw new Error(`${model} is missing: scripts/bench.sh makes it`);
fs.mkdirSync(out, { recursive: true });
// onnxruntime's times do not depend on the pixels: any inputs of the right size do.
const inputs = path.join(out, 'ops-inputs.f32');
fs.writeFileSync(inputs, Buffer.from(Float32Array.from({ length: 8 * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37) * 2).buffer));
const photo = path.relative(root, path.join(fixtures, 'chelsea.png'));
const server = await serve(BENCH_FILES);
const browser = await launch({ webgpu: false });
let glimpse, ort;
try {
  let context = await browser.newContext();
  let page = await context.newPage();
  console.error('profiling Glimpse (cpu, cpu-threads)…');
  await page.goto(`${server.url}tests/bench/backbone.html?photo=/${photo}&iterations=${iterations}&backends=${BACKENDS}&learning=0`);
  const results = await page.evaluate(() => window.results, null);
  if (results.error) throw new Error(results.error);
  glimpse = Object.fromEntries(BACKENDS.map((b) => [b, results.rows.find((r) => r.backend === b && r.batch === 1)]));
  await context.close();

  // onnxruntime twice: unprofiled for its real time (profiling slows it), then profiled.
  const runs = [];
  for (const profile of [0, 1]) {
    context = await browser.newContext();
    page = await context.newPage();
    const lines = [];
    page.on('console', (m) => lines.push(m.text()));
    console.error(`${profile ? 'profiling' : 'timing'} onnxruntime-web (wasm EP)…`);
    const query = new URLSearchParams({ engine: 'ort', backend: 'wasm', photos: '', model: `/${model}`, inputs: `/${path.relative(root, inputs)}`, iterations, minimum: iterations, budget: 600, profile });
    await page.goto(`${server.url}tests/bench/versus.html?${query}`);
    const r = await page.evaluate(() => window.results, null);
    if (r.error) throw new Error(r.error);
    runs.push({ ...r, lines });
    await context.close();
  }
  ort = { threads: runs[0].threads, b1: runs[0].b1.ms, profiledB1: runs[1].b1.ms, layers: ortLayers(nodeEvents(runs[1].lines)) };
} finally {
  await browser.close();
  server.close();
}
if (!ort.layers.length) throw new Error('onnxruntime printed no profiling events');

// Layer by layer: the convolutions in the order they run (both networks are one chain).
const convs = (steps) => steps.filter((s) => ['stem', 'pointwise', 'depthwise'].includes(s.kind));
const [single, threaded] = BACKENDS.map((b) => convs(glimpse[b].ops.steps));
const theirs = convs(ort.layers);
if (theirs.length !== threaded.length || theirs.some((n, i) => n.kind !== threaded[i].kind)) {
  throw new Error(`the networks' convolutions do not line up: Glimpse ${threaded.map((s) => s.kind[0]).join('')}, onnxruntime ${theirs.map((n) => n.kind[0]).join('')}`);
}
const lines = [
  `Warm batch 1, ms per op (medians of ${iterations}); Chromium, headless, 2-core machine; onnxruntime-web wasm EP with ${ort.threads} thread(s); ${new Date().toISOString().slice(0, 10)}.`,
  '',
  '| kind | Glimpse, single-threaded | Glimpse, threaded | onnxruntime-web | threaded / ort |',
  '|---|---|---|---|---|',
];
const sum = (xs, kind) => xs.filter((x) => x.kind === kind).reduce((t, x) => t + x.ms, 0);
for (const kind of KINDS) {
  const [a, b, c] = [sum(glimpse.cpu.ops.steps, kind), sum(glimpse['cpu-threads'].ops.steps, kind), sum(ort.layers, kind)];
  lines.push(`| ${kind} | ${f(a)} | ${f(b)} | ${f(c)} | ${c ? (b / c).toFixed(2) + '×' : '—'} |`);
}
const others = ort.layers.filter((n) => n.kind.startsWith('other'));
const inputMs = (b) => glimpse[b].ops.input + glimpse[b].ops.readback;
lines.push(`| input and readback (Glimpse: resize, crop, normalise; onnxruntime: none) | ${f(inputMs('cpu'))} | ${f(inputMs('cpu-threads'))} | — | |`);
lines.push(`| other nodes (onnxruntime: ${[...new Set(others.map((n) => n.kind))].join(', ') || 'none'}) | — | — | ${f(others.reduce((t, n) => t + n.ms, 0))} | |`);
lines.push(`| **total of the ops** | ${f(glimpse.cpu.ops.steps.reduce((t, s) => t + s.ms, 0))} | ${f(glimpse['cpu-threads'].ops.steps.reduce((t, s) => t + s.ms, 0))} | ${f(ort.layers.reduce((t, n) => t + n.ms, 0))} | |`);
lines.push(`| warm pass, profiled | — | — | ${f(ort.profiledB1)} | |`);
lines.push(`| warm pass, unprofiled | ${f(glimpse.cpu.warmMsPerFrame)} | ${f(glimpse['cpu-threads'].warmMsPerFrame)} | ${f(ort.b1)} | ${(glimpse['cpu-threads'].warmMsPerFrame / ort.b1).toFixed(2)}× |`);
lines.push('', '| # | convolution | Glimpse, single-threaded | Glimpse, threaded | onnxruntime-web | threaded − ort |', '|---|---|---|---|---|---|');
threaded.forEach((s, i) => {
  lines.push(`| ${i + 1} | ${label(s)} | ${f(single[i].ms)} | ${f(s.ms)} | ${f(theirs[i].ms)} | ${(s.ms - theirs[i].ms >= 0 ? '+' : '')}${f(s.ms - theirs[i].ms)} |`);
});
const table = lines.join('\n');
console.log(table);
fs.writeFileSync(path.join(out, 'ops.md'), table + '\n');
console.error(`written: ${path.relative(root, path.join(out, 'ops.md'))}`);
