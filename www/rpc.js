// The page's side of the worker protocol: `call(op, args, transfer)` returns a Promise of the
// worker's answer; events (progress, state, epoch…) go to the handlers given to `on`.
const pageParams = new URL(location.href).searchParams;
const workerUrl = new URL('./worker.js', import.meta.url);
// `?backend=cpu|webgpu` on the page forces a backend (the default, auto, picks by speed).
if (pageParams.get('backend')) workerUrl.searchParams.set('backend', pageParams.get('backend'));
let worker = null;

const pending = new Map();
const handlers = {};
let next = 1;

function startWorker() {
  worker = new Worker(workerUrl, { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.id) {
      const { resolve, reject } = pending.get(data.id);
      pending.delete(data.id);
      if (data.ok) resolve(data.value); else reject(new Error(data.error));
    } else {
      handlers[data.type]?.(data);
    }
  };
}
startWorker();

/** Replaces the worker with a new one on `backend`, which opens the saved project. */
export function restart(backend) {
  worker.terminate();
  for (const { reject } of pending.values()) reject(new Error('The engine is restarting.'));
  pending.clear();
  workerUrl.searchParams.set('backend', backend);
  startWorker();
}

export function call(op, args = {}, transfer = []) {
  const id = next++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args }, transfer);
  });
}

export function on(type, handler) {
  handlers[type] = handler;
}
