// Export and import of project files, the model-only and ONNX exports, and how to use the model
// on another page (the drop-in library, dist/glimpse-lib).
import { call } from './rpc.js';
import { $, say as sayIn } from './dom.js';

const SNIPPET = `<!-- On your page, beside the glimpse-image package folder (dist/glimpse-lib) and the model: -->
<script type="module">
  import * as glimpse from './glimpse-image/glimpse.js';
  const model = await glimpse.load('./glimpse-model.glimpse');
  const image = document.querySelector('img'); // or a canvas, a video, an ImageBitmap
  const predictions = await model.predict(image); // [{ className, probability }], in class order
  console.log(model.getClassLabels(), predictions);
</script>`;

function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function createProject({ report, getClasses }) {
  $('snippet').textContent = SNIPPET;
  const say = (text, isError = false) => sayIn('project-status', text, isError);
  const stamp = () => new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');

  $('export-project').addEventListener('click', async () => {
    const bytes = await call('save');
    download(bytes, `glimpse-project-${stamp()}.glimpse`);
    say(`Exported the project (${(bytes.length / 1e6).toFixed(2)} MB).`);
  });
  $('export-model').addEventListener('click', async () => {
    try {
      const bytes = await call('exportModel');
      download(bytes, `glimpse-model-${stamp()}.glimpse`);
      say(`Exported the model only (${(bytes.length / 1e3).toFixed(0)} KB): classes and trained head, no examples.`);
      $('snippet-box').open = true;
    } catch (e) {
      say(e.message, true);
    }
  });
  $('export-onnx').addEventListener('click', async () => {
    say('Writing the ONNX file…');
    try {
      const bytes = await call('exportOnnx');
      download(bytes, `glimpse-model-${stamp()}.onnx`);
      say(`Exported the model as ONNX (${(bytes.length / 1e6).toFixed(1)} MB), for onnxruntime and other engines: input “image”, RGB in 0–1, the frame's centre square at 224×224; output “probabilities”.`);
    } catch (e) {
      say(`No ONNX file: ${e.message}`, true);
    }
  });
  $('import').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    try {
      const kind = await call('open', { bytes: await file.arrayBuffer() });
      say(kind === 'project'
        ? `Opened ${file.name}.`
        : `Opened the model in ${file.name}: its classes and head, with the examples you had for classes of the same names.`);
    } catch (err) {
      say(`${file.name} was not opened: ${err.message.replace(/\.$/, '')}. Your project is unchanged.`, true);
    }
  });
  $('new-project').addEventListener('click', async () => {
    const count = getClasses().reduce((n, c) => n + c.examples.length, 0);
    if (count && !confirm(`Start a new project? The current one (${count} examples) is replaced; export it first to keep it.`)) return;
    await call('reset');
    report('Started a new project.');
  });
}
