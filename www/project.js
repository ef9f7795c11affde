// Export and import of project files, the model-only export and its usage snippet.
import { call } from './rpc.js';
import { $, say as sayIn } from './dom.js';

const SNIPPET = `// On another page, served with the files of www/pkg and the model weights:
import init, { GlimpseBackbone, GlimpseLearner } from './pkg/glimpse.js';
await init();
const weights = new Uint8Array(await (await fetch('efficientnet-lite0.bpk')).arrayBuffer());
const model = new Uint8Array(await (await fetch('my-model.glimpse')).arrayBuffer());
const learner = new GlimpseLearner(await GlimpseBackbone.load(weights, 'auto'));
learner.open(model); // "modelOnly": classes and trained head, no examples
// rgba: Uint8Array of width × height × 4 (e.g. getImageData(…).data)
const { classes, best, unknown } = await learner.predict(rgba, width, height);`;

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
