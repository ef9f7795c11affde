// The page's side of the worker protocol: `call(op, args, transfer)` returns a Promise of the
// worker's answer; events (progress, state, epoch…) go to the handlers given to `on`.
const pageParams = new URL(location.href).searchParams;
const workerUrl = new URL('./worker.js', import.meta.url);
// `?backend=cpu|webgpu` on the page forces a backend (the default, auto, picks by speed).
if (pageParams.get('backend')) workerUrl.searchParams.set('backend', pageParams.get('backend'));
const worker = new Worker(workerUrl, { type: 'module' });

const pending = new Map();
const handlers = {};
let next = 1;

worker.onmessage = ({ data }) => {
  if (data.id) {
    const { resolve, reject } = pending.get(data.id);
    pending.delete(data.id);
    if (data.ok) resolve(data.value); else reject(new Error(data.error));
  } else {
    handlers[data.type]?.(data);
  }
};

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
