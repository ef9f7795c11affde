// The benchmarks' Glimpse backends: "webgpu", "cpu", and "cpu-burn-depthwise" (the CPU with
// Burn's own depthwise ops, the before of the fused kernel), for both benchmark pages.
export async function loadBackbone(GlimpseBackbone, weights, backend) {
  const backbone = await GlimpseBackbone.load(weights, backend.startsWith('cpu') ? 'cpu' : backend);
  if (backend === 'cpu-burn-depthwise') backbone.useBurnDepthwise();
  return backbone;
}
