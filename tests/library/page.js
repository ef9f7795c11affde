// What a developer writes with the drop-in library (tests/e2e/library.test.mjs drives it): the
// model classifies a photo and webcam frames; onnxruntime-web runs the ONNX export beside it.
import * as glimpse from './glimpse-image/glimpse.js';

const photo = document.getElementById('photo');
await photo.decode();
const started = performance.now();
const model = await glimpse.load('./model.glimpse');
const loadMs = performance.now() - started;
const predictions = await model.predict(photo);
const times = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  await model.predict(photo);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const top = await model.predictTopK(photo, 1);
document.getElementById('result').textContent = `${top[0].className} ${(top[0].probability * 100).toFixed(0)} %`;
window.photoResult = { labels: model.getClassLabels(), total: model.getTotalClasses(), predictions, top, loadMs, msPerPrediction: times[5] };

// The webcam, as Teachable Machine's examples use it.
const webcam = new glimpse.Webcam(224, 224, false);
await webcam.setup();
await webcam.play();
document.body.append(webcam.canvas);
window.webcamFrames = [];
(async function loop() {
  for (;;) {
    webcam.update();
    const [best] = await model.predictTopK(webcam.canvas, 1);
    window.webcamFrames.push(best);
    await new Promise(requestAnimationFrame);
  }
})();

// Another model, the photo's most probable class by it, and the model freed.
window.topClassBy = async (url) => {
  const other = await glimpse.load(url);
  const [best] = await other.predictTopK(photo, 1);
  other.dispose();
  return best;
};

// onnxruntime-web on the ONNX export, on inputs prepared by the native test.
window.runOnnx = async (modelUrl, inputUrl, n, side) => {
  const ort = await import('./ort/ort.all.min.mjs');
  ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(modelUrl, { executionProviders: ['wasm'] });
  const input = new Float32Array(await (await fetch(inputUrl)).arrayBuffer());
  const outputs = await session.run({ image: new ort.Tensor('float32', input, [n, 3, side, side]) });
  return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, Array.from(t.data)]));
};
