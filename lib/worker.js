// The library's worker: the wasm core with one model-only file open. Messages {id, op, args} in,
// {id, ok, value|error} out; ops: open (a model or project file → its class names), predict (an
// RGBA frame → the core's prediction).
import { startCore } from './engine.js';

const WEIGHTS_URL = new URL('./models/efficientnet-lite0.bpk', import.meta.url);

let learner = null;
const ready = startCore({
  asked: new URL(self.location).searchParams.get('backend') ?? 'auto',
  weightsUrl: WEIGHTS_URL,
  progress: () => {},
  notice: () => {},
}).then(({ core, backbone }) => { learner = new core.GlimpseLearner(backbone); });

const ops = {
  open({ bytes }) {
    learner.open(new Uint8Array(bytes));
    const { ready, hint } = learner.readiness;
    if (!ready) throw new Error(hint.text);
    return learner.headClasses();
  },
  predict: ({ rgba, width, height }) => learner.predict(new Uint8Array(rgba), width, height),
};

onmessage = async ({ data: { id, op, args } }) => {
  try {
    await ready;
    postMessage({ id, ok: true, value: await ops[op](args) });
  } catch (e) {
    postMessage({ id, ok: false, error: e.message ?? String(e) });
  }
};
