// The library's worker: the wasm core with one model-only file open. Messages {id, op, args} in,
// {id, ok, value|error} out; ops: open (a model or project file → its class names), predict (an
// RGBA frame → the core's prediction).
import { loadNetwork, startCore } from './engine.js';

const MODELS_URL = new URL('./models/', import.meta.url);

let learner = null;
const core = startCore({ asked: new URL(self.location).searchParams.get('backend') ?? 'auto', progress: () => {} });

const ops = {
  // The network the file was made with is loaded first (its weights downloaded once, then cached).
  async open({ bytes }) {
    const started = await core;
    const file = new Uint8Array(bytes);
    const id = started.core.GlimpseLearner.networkOf(file);
    const backbone = await loadNetwork({ ...started, id, modelsUrl: MODELS_URL, progress: () => {}, notice: () => {} });
    learner = new started.core.GlimpseLearner(backbone);
    learner.open(file);
    const { ready, hint } = learner.readiness;
    if (!ready) throw new Error(hint.text);
    return learner.headClasses();
  },
  predict: ({ rgba, width, height }) => learner.predict(new Uint8Array(rgba), width, height),
};

onmessage = async ({ data: { id, op, args } }) => {
  try {
    await core;
    postMessage({ id, ok: true, value: await ops[op](args) });
  } catch (e) {
    postMessage({ id, ok: false, error: e.message ?? String(e) });
  }
};
