// Starting the wasm core in a worker, shared by the page's worker and the library's: which of
// the two builds to download, and a network's weights, fetched with a byte count and kept in
// Cache Storage under their SHA-256 so that a reload reads them from disk.

// pkg/ has WebGPU beside a single-threaded CPU path; pkg-threads/ has the CPU path alone on a
// pool of threads, which needs shared memory and so a cross-origin-isolated page. Which one is
// decided from what the browser itself says (no adapter, or a fallback one); the core decides
// the rest and says why in its own words (device.rs): `choice` is one of its names.
async function chooseBuild(asked) {
  const gpu = { url: new URL('./pkg/glimpse.js', import.meta.url), choice: asked, threads: 0 };
  if (asked === 'webgpu') return gpu;
  let choice = asked;
  if (asked === 'auto') {
    const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
    if (!adapter) choice = 'no-adapter';
    else if (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) choice = 'software-adapter';
    else return gpu;
  }
  if (!self.crossOriginIsolated) return { ...gpu, choice };
  return { url: new URL('./pkg-threads/glimpse.js', import.meta.url), choice, threads: navigator.hardwareConcurrency || 2 };
}

async function fetchWithProgress(url, stage, progress) {
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
    progress(stage, loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) { bytes.set(chunk, offset); offset += chunk.length; }
  return bytes;
}

const WEIGHTS_CACHE = 'glimpse-weights';

async function cachedWeights(key) {
  if (!self.caches) return null; // not a secure context: nothing to keep them in
  try {
    const hit = await (await caches.open(WEIGHTS_CACHE)).match(key);
    return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

// Keeps each network's weights; a network's older weights (another SHA-256) make way.
async function keepWeights(key, bytes, notice) {
  if (!self.caches) return;
  try {
    const cache = await caches.open(WEIGHTS_CACHE);
    const file = (url) => new URL(url).pathname;
    for (const old of await cache.keys()) if (file(old.url) === key.pathname && old.url !== key.href) await cache.delete(old);
    await cache.put(key, new Response(bytes));
  } catch (e) {
    // A full quota only costs the next load a download.
    notice(`The model could not be kept for the next visit (${e.message ?? e}): it will download again.`);
  }
}

/**
 * Loads the build `asked` ('auto', 'cpu' or 'webgpu') leads to; `progress(stage, loaded, total)`
 * hears what happens. Resolves to { core, build, threads }: what `loadNetwork` needs.
 */
export async function startCore({ asked, progress }) {
  const build = await chooseBuild(asked);
  progress('Loading the wasm core', 0, 0);
  const core = await import(build.url);
  await core.default({});
  if (build.threads) await core.initThreadPool(build.threads);
  return { core, build, threads: build.threads };
}

/**
 * Loads network `id` (one of `core.GlimpseBackbone.networks`; the first, the default, when
 * null) with its weights from `modelsUrl`, or from Cache Storage after the first time;
 * `notice(text)` hears what the user should know. Resolves to a `GlimpseBackbone`.
 */
export async function loadNetwork({ core, build, id, modelsUrl, progress, notice }) {
  const networks = core.GlimpseBackbone.networks;
  const network = id ? networks.find((n) => n.id === id) : networks[0];
  if (!network) throw new Error(`This build has no network "${id}".`);
  const url = new URL(network.weightsFile, modelsUrl);
  const key = new URL(`?sha256=${network.weightsSha256}`, url);
  const setUp = (weights) => {
    progress(`Setting up ${network.title}`, 0, 0);
    return core.GlimpseBackbone.load(weights, build.choice, network.id);
  };
  const cached = await cachedWeights(key);
  if (cached) {
    try {
      return await setUp(cached);
    } catch {
      await (await caches.open(WEIGHTS_CACHE)).delete(key);
    }
  }
  const weights = await fetchWithProgress(url, `Downloading ${network.title}`, progress);
  const backbone = await setUp(weights);
  await keepWeights(key, weights, notice);
  return backbone;
}
