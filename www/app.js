// The page: wires the panels to the worker. It draws, captures and stores; no ML happens here.
import { call, on, restart } from './rpc.js';
import { decode } from './frames.js';
import { createCamera } from './camera.js';
import { createClasses } from './classes.js';
import { createTraining } from './training.js';
import { createLive } from './live.js';
import { createAdapt } from './adapt.js';
import { createGroups } from './groups.js';
import { createProject } from './project.js';
import { createLabelling } from './counting.js';
import * as thumbnails from './thumbnails.js';
import { $, say } from './dom.js';

const report = (text, isError = false) => say('status', text, isError);

let readiness = { ready: false, hint: { text: 'Loading…', warning: false } };
const camera = createCamera({
  onChange: (cameraOn) => {
    live.update({ readiness, cameraOn });
    adapt.update({ cameraOn });
    // The floating copy of the camera shown while capturing on a narrow screen.
    $('mini-video').srcObject = cameraOn ? $('video').srcObject : null;
  },
});
const groups = createGroups({ report });
const labelling = createLabelling({
  report,
  getClasses: () => classes.classes,
  // Every frame captured for counting, class by class, to step through while marking.
  frames: () => classes.classes.flatMap((c) => c.frames.map(([id]) => id)),
});
const classes = createClasses({ grabFrame: () => camera.grab(), decodeFile: decode, report, group: (c) => groups.open(c), label: labelling });
const training = createTraining({ report });
const live = createLive({ grabFrame: () => camera.grab(), decodeFile: decode, report, getClasses: () => classes.classes });
const adapt = createAdapt({ grabFrame: () => camera.grab() });
createProject({ report, getClasses: () => classes.classes });

on('progress', ({ stage, loaded, total }) => {
  $('progress').max = total || 1;
  $('progress').value = loaded;
  const mb = (n) => (n / 1e6).toFixed(1);
  report(total ? `${stage}: ${mb(loaded)} of ${mb(total)} MB` : `${stage}…`);
});

let running;
function showBackend() {
  const { backend, adapter, reason, threads, pool } = running;
  const onThreads = threads > 1 ? `, ${threads} threads` : pool > 1 ? `, 1 thread (measured faster here than ${pool})` : '';
  $('backend').textContent = backend === 'webgpu'
    ? `Running on WebGPU (${adapter}).`
    : `Running on the CPU${onThreads}${reason ? ` (${reason})` : ''}.`;
  $('backend').dataset.backend = backend;
}

// While classifying, the threaded build's core measures whether its pool pays.
on('threads', ({ threads }) => {
  if (!running) return;
  running.threads = threads;
  showBackend();
});

on('ready', ({ backend, adapter, reason, threads, notice, thumbnailSize, adaptMinFrames }) => {
  $('progress').hidden = true;
  running = { backend, adapter, reason, threads, pool: threads };
  showBackend();
  thumbnails.setSize(thumbnailSize);
  adapt.setMinFrames(adaptMinFrames);
  classes.setEnabled(true);
  report(notice ?? recovered ?? 'Ready.', !!(notice ?? recovered));
  document.body.dataset.ready = 'true';
  showStorage();
});

// The network the project reads images with, and what each costs here. Changing it is the core's
// call (refused, in its words, while the project has examples); a first use downloads the weights.
let currentNetwork;
const titles = {};
on('network', ({ network, networks, frameMs }) => {
  currentNetwork = network;
  for (const n of networks) titles[n.id] = n.title;
  const select = $('network');
  const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
  select.replaceChildren(...networks.map((n) => new Option(`${n.title}: ${n.imagenetTop1} % on ImageNet, ${n.input}×${n.input} input, ${mb(n.weightsBytes)}`, n.id)));
  select.value = network;
  const cost = networks.map((n) => `${n.title} ${frameMs[n.id] ? `${Math.round(frameMs[n.id])} ms per live frame` : 'not timed yet'}`);
  $('network-help').textContent = `Measured on this device: ${cost.join('; ')}.`;
});
$('network').addEventListener('change', async (e) => {
  const select = e.target;
  select.disabled = true;
  $('progress').hidden = false;
  try {
    await call('useNetwork', { id: select.value });
    report(`Now reading images with ${titles[select.value]}.`);
  } catch (err) {
    select.value = currentNetwork;
    report(err.message, true);
  } finally {
    $('progress').hidden = true;
    select.disabled = false;
  }
});

on('state', (state) => {
  classes.render(state.classes);
  training.update(state);
  readiness = state.readiness;
  live.update({ readiness, cameraOn: camera.on });
  adapt.update({ headState: state.headState, adaptation: state.adaptation, training: state.training, cameraOn: camera.on });
  document.body.dataset.head = state.headState;
  document.body.dataset.live = readiness.ready ? 'yes' : 'no';
});

// What the browser keeps for this page, and whether it may clear it under storage pressure.
// Persistence is asked for once there is work to lose (the first save), not on arrival:
// Firefox asks the user.
let storageTimer = null;
let persistAsked = false;
function showStorage({ ask = false } = {}) {
  clearTimeout(storageTimer);
  storageTimer = setTimeout(async () => {
    if (!navigator.storage?.estimate) return;
    let persisted = (await navigator.storage.persisted?.()) ?? false;
    if (!persisted && ask && !persistAsked && navigator.storage.persist) {
      persistAsked = true;
      persisted = await navigator.storage.persist().catch(() => false);
    }
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const size = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`);
    $('storage').textContent = `Stored in this browser: ${size(usage)} of the ${size(quota)} it allows this page` +
      (persisted ? ', kept until you delete it.' : '. The browser may clear it when the disk runs low: export the project to keep a copy.');
    $('storage').dataset.persisted = String(persisted);
  }, 500);
}
on('saved', () => showStorage({ ask: true }));
on('waiting', ({ message }) => {
  $('progress').hidden = true;
  report(message);
});
// The GPU device was lost: the worker saved the project; a new one opens it on the CPU.
let recovered = null;
on('gpuLost', ({ message }) => {
  document.body.dataset.ready = 'false';
  classes.setEnabled(false);
  recovered = `The GPU stopped working (${message}): Glimpse moved to the CPU and kept your project.`;
  $('progress').hidden = false;
  report(`${recovered} Restarting…`, true);
  restart('cpu');
});
on('epoch', ({ stats }) => training.onEpoch(stats));
on('notice', ({ message }) => report(message, true));
on('fatal', ({ message }) => {
  $('progress').hidden = true;
  classes.setEnabled(false);
  live.stop();
  report(message, true);
});

// Enter trains, unless focus is somewhere Enter already means something.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.defaultPrevented || document.body.dataset.ready !== 'true') return;
  const target = e.target;
  if (target.closest('button, input, select, textarea, summary, a, dialog')) return;
  e.preventDefault();
  training.train();
});

camera.start();
