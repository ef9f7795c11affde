// Runs in the page: Lite0 features on WebGPU, batch 1, from the build at ?pkg=, a number of warm
// calls between two marks at which the runner (host.mjs) reads the browser's CPU time.
import { decode } from '../../www/frames.js';

async function run() {
  const params = new URLSearchParams(location.search);
  const build = await import(params.get('pkg'));
  await build.default();
  const weights = new Uint8Array(await (await fetch('../../models/efficientnet-lite0.bpk')).arrayBuffer());
  const photo = await decode(await (await fetch(params.get('photo'))).blob());
  const images = [{ rgba: new Uint8Array(photo.rgba), width: photo.width, height: photo.height }];
  const backbone = await build.GlimpseBackbone.load(weights, 'webgpu', 'lite0');
  // The first call compiles the shaders; the second lets the wasm engine tier up what runs.
  await backbone.features(images);
  await backbone.features(images);
  const frames = Number(params.get('frames') ?? 10);
  await window.mark();
  const start = performance.now();
  for (let i = 0; i < frames; i++) await backbone.features(images);
  const wallMs = performance.now() - start;
  await window.mark();
  return { adapter: backbone.adapter, frames, wallMs };
}

window.results = run().catch((e) => ({ error: String(e.message ?? e) }));
