// Glimpse's drop-in library: a model made on the Glimpse page, in your own page. Named as
// Teachable Machine's image library is, so that switching is changing the import:
//
//   import * as glimpse from './glimpse/glimpse.js';
//   const model = await glimpse.load('my-model.glimpse');
//   const predictions = await model.predict(imageOrCanvasOrVideo); // [{ className, probability }]
//
// The model runs in a Web Worker (worker.js), on the wasm core the page runs, so that predicting
// never holds up the page; every file it loads comes from where this module is served.

let nextWorker = 1;

/** Pixels of `source` as { rgba, width, height }: an img, canvas, video, ImageBitmap or ImageData. */
function pixels(source, flipped) {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData && !flipped) {
    return { rgba: source.data.slice().buffer, width: source.width, height: source.height };
  }
  const width = source.naturalWidth || source.videoWidth || source.width;
  const height = source.naturalHeight || source.videoHeight || source.height;
  if (!width || !height) throw new Error('glimpse: the image has no pixels yet (a video not playing, an image not loaded)');
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (flipped) { context.translate(width, 0); context.scale(-1, 1); }
  if (source instanceof ImageData) {
    const plain = new OffscreenCanvas(width, height);
    plain.getContext('2d').putImageData(source, 0, 0);
    context.drawImage(plain, 0, 0);
  } else {
    context.drawImage(source, 0, 0, width, height);
  }
  return { rgba: context.getImageData(0, 0, width, height).data.buffer, width, height };
}

async function bytesOf(model) {
  if (model instanceof ArrayBuffer) return model;
  if (ArrayBuffer.isView(model)) return model.buffer.slice(model.byteOffset, model.byteOffset + model.byteLength);
  if (typeof Blob !== 'undefined' && model instanceof Blob) return model.arrayBuffer();
  const response = await fetch(model);
  if (!response.ok) throw new Error(`glimpse: ${model} answered ${response.status}`);
  return response.arrayBuffer();
}

/** A worker and its answers: each call a Promise of the worker's reply. */
class Channel {
  #worker;
  #pending = new Map();
  #next = 1;

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const { resolve, reject } = this.#pending.get(data.id) ?? {};
      this.#pending.delete(data.id);
      if (data.ok) resolve?.(data.value); else reject?.(new Error(`glimpse: ${data.error}`));
    };
    worker.onerror = (e) => this.#fail(`the worker failed (${e.message})`);
  }

  #fail(why) {
    for (const { reject } of this.#pending.values()) reject(new Error(`glimpse: ${why}`));
    this.#pending.clear();
  }

  call(op, args, transfer = []) {
    if (!this.#worker) return Promise.reject(new Error('glimpse: the model was disposed'));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
  }

  close() {
    this.#worker?.terminate();
    this.#worker = null;
    this.#fail('the model was disposed');
  }
}

/** A model made on the Glimpse page ("Export model only"), ready to classify. */
export class Model {
  #channel;
  #classes;

  /** @internal Use `load`. */
  constructor(channel, classes) {
    this.#channel = channel;
    this.#classes = classes;
  }

  /** The class names, in the order `predict` gives them. */
  getClassLabels() {
    return [...this.#classes];
  }

  getTotalClasses() {
    return this.#classes.length;
  }

  /**
   * The probability of each class for `source` (img, canvas, video, ImageBitmap or ImageData),
   * in class order: `[{ className, probability }]`. `flipped` mirrors the image first.
   */
  async predict(source, flipped = false) {
    const image = pixels(source, flipped);
    const prediction = await this.#channel.call('predict', image, [image.rgba]);
    return prediction.classes.map((c) => ({ className: c.name, probability: c.probability }));
  }

  /** The `k` most probable classes, most probable first. */
  async predictTopK(source, k = 10, flipped = false) {
    const all = await this.predict(source, flipped);
    return all.sort((a, b) => b.probability - a.probability).slice(0, k);
  }

  /** Stops the worker and frees the model. */
  dispose() {
    this.#channel.close();
  }
}

/**
 * Loads a `.glimpse` file made on the Glimpse page, the model only or a whole project (a URL,
 * an ArrayBuffer, a typed array, a Blob or File). `options.backend`: 'auto' (the default:
 * WebGPU on a hardware GPU, else the CPU), 'cpu' or 'webgpu'.
 */
export async function load(model, options = {}) {
  const bytes = await bytesOf(model);
  const url = new URL('./worker.js', import.meta.url);
  url.searchParams.set('backend', options.backend ?? 'auto');
  const channel = new Channel(new Worker(url, { type: 'module', name: `glimpse-${nextWorker++}` }));
  try {
    return new Model(channel, await channel.call('open', { bytes }, [bytes]));
  } catch (e) {
    channel.close();
    throw e;
  }
}

/** The webcam, drawn into a square canvas each `update()`, as Teachable Machine's library has it. */
export class Webcam {
  constructor(width = 400, height = 400, flip = false) {
    Object.assign(this, { width, height, flip });
    this.canvas = Object.assign(document.createElement('canvas'), { width, height });
    this.webcam = Object.assign(document.createElement('video'), { muted: true, playsInline: true, autoplay: true });
  }

  /** Asks for the camera; `options` are getUserMedia's video constraints (e.g. { facingMode: 'environment' }). */
  async setup(options = {}) {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('glimpse: this browser has no camera access (getUserMedia)');
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: this.width }, height: { ideal: this.height }, ...options }, audio: false });
    this.webcam.srcObject = this.stream;
  }

  async play() {
    await this.webcam.play();
    await new Promise((resolve) => (this.webcam.videoWidth ? resolve() : this.webcam.addEventListener('loadeddata', resolve, { once: true })));
  }

  /** Draws the current frame: the video's centre, covering the canvas (mirrored with `flip`). */
  update() {
    const { videoWidth: w, videoHeight: h } = this.webcam;
    if (!w || !h) return;
    const context = this.canvas.getContext('2d', { willReadFrequently: true });
    const scale = Math.max(this.width / w, this.height / h);
    const [dw, dh] = [w * scale, h * scale];
    context.save();
    if (this.flip) { context.translate(this.width, 0); context.scale(-1, 1); }
    context.drawImage(this.webcam, (this.width - dw) / 2, (this.height - dh) / 2, dw, dh);
    context.restore();
  }

  stop() {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.webcam.srcObject = null;
  }
}
