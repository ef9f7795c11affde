// The train panel: settings form, train / cancel, progress, live curves per epoch (uPlot) and
// the held-out evaluation with a clickable confusion matrix.
import uPlot from './vendor/uPlot.esm.js';
import { call } from './rpc.js';
import * as thumbnails from './thumbnails.js';
import { $, say } from './dom.js';

export function createTraining({ report }) {
  const form = $('settings');
  let settings = null;
  let maxEpochs = 1;
  let classes = [];
  let history = [];
  let plots = null;
  let running = false;

  // The form mirrors the core's settings: each setting with an input of its name (nested ones
  // named like "augment.flip") is shown there and sent back; the core validates and its message
  // is shown. Settings without an input keep their values.
  const fields = (s, prefix = '') => Object.entries(s).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' ? fields(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value]]);
  function fillForm(s) {
    settings = s;
    showMode(s.task);
    if (form.contains(document.activeElement)) return;
    for (const [name, value] of fields(s)) {
      const input = form.elements[name];
      if (!input) continue;
      if (input.type === 'checkbox') input.checked = value;
      // The core keeps f32: 0.2 arrives as 0.20000000298…, shown rounded.
      else input.value = typeof value === 'number' ? Number(value.toPrecision(6)) : value;
    }
  }
  form.addEventListener('change', async () => {
    const wanted = structuredClone(settings);
    for (const [name, old] of fields(settings)) {
      const input = form.elements[name];
      if (!input) continue;
      const path = name.split('.');
      const parent = path.slice(0, -1).reduce((object, key) => object[key], wanted);
      parent[path.at(-1)] = input.type === 'checkbox' ? input.checked : typeof old === 'number' ? Number(input.value) : input.value;
    }
    try {
      await call('setSettings', { settings: wanted });
      $('settings-error').textContent = '';
    } catch (e) {
      $('settings-error').textContent = e.message;
    }
  });
  form.addEventListener('submit', (e) => e.preventDefault());

  // The mode is the task; the classifier's head stays as chosen while another task is set.
  function showMode(task) {
    $('mode').value = task;
    for (const hint of document.querySelectorAll('p[data-for]')) hint.hidden = hint.dataset.for !== task;
    document.body.dataset.mode = task;
  }
  $('mode').addEventListener('change', async () => {
    try {
      await call('setSettings', { settings: { ...settings, task: $('mode').value } });
    } catch (e) {
      report(e.message, true);
      showMode(settings.task);
    }
  });

  // What fine-tuning would cost here: one training step timed by the core, scaled to the
  // examples there are, so the choice of depth comes with its price.
  const fineTuneHelp = $('fine-tune-help').textContent;
  async function showFineTuneCost() {
    const depth = Number(form.elements.fineTune.value);
    if (!depth) { $('fine-tune-help').textContent = fineTuneHelp; return; }
    try {
      const cost = await call('fineTuneCost', { depth });
      const epoch = cost.examples ? `about ${cost.secondsPerEpoch < 10 ? cost.secondsPerEpoch.toFixed(1) : Math.round(cost.secondsPerEpoch)} s per epoch for your ${cost.examples} examples` : `${cost.msPerExample.toFixed(0)} ms per example and epoch`;
      $('fine-tune-help').textContent = `${fineTuneHelp} On this device: ${epoch}.`;
    } catch (e) {
      $('fine-tune-help').textContent = `${fineTuneHelp} (${e.message})`;
    }
  }
  form.elements.fineTune.addEventListener('change', showFineTuneCost);
  form.closest('details').addEventListener('toggle', (e) => { if (e.target.open) showFineTuneCost(); });

  function makePlots() {
    const width = plotWidth();
    const series = (label) => [{}, { label: `train ${label}`, stroke: '#2f6fde', width: 2 }, { label: `validation ${label}`, stroke: '#d9822b', width: 2, dash: [6, 3] }];
    // The legend names the series only: its live values read as broken dashes until hovered.
    const options = (title, label, y) => ({ title, width, height: 180, series: series(label), legend: { live: false }, scales: { x: { time: false }, y }, axes: [{ label: 'epoch' }, {}] });
    $('curves').replaceChildren();
    plots = [
      new uPlot(options('Loss', 'loss', {}), [[], [], []], $('curves')),
      new uPlot(options('Accuracy', 'accuracy', { range: [0, 1] }), [[], [], []], $('curves')),
    ];
  }
  // The plots follow their box's width (a phone turned, a window narrowed).
  // (Measured on the column: the curves' own box has no width while their fold is closed.)
  const plotWidth = () => Math.max(160, Math.min($('train-panel').clientWidth - 32, 420));
  new ResizeObserver(() => plots?.forEach((plot) => plot.setSize({ width: plotWidth(), height: 180 }))).observe($('train-panel'));
  function drawCurves() {
    if (!plots) makePlots();
    const x = history.map((h) => h.epoch);
    const v = (f) => history.map((h) => h[f] ?? null);
    plots[0].setData([x, v('trainLoss'), v('validationLoss')]);
    plots[1].setData([x, v('trainAccuracy'), v('validationAccuracy')]);
  }

  function onEpoch(stats) {
    if (stats.stage) { $('train-status').textContent = `${stats.stage}…`; return; }
    history.push(stats);
    $('train-progress').value = stats.epoch;
    const val = stats.validationAccuracy == null ? '' : `, validation ${(stats.validationAccuracy * 100).toFixed(0)} %`;
    const what = stats.fineTuning ? `Fine-tuning ${stats.fineTuning}, epoch ${stats.epoch}` : `Epoch ${stats.epoch} of ${settings.epochs}`;
    $('train-status').textContent = `${what}: loss ${stats.trainLoss.toFixed(3)}, train ${(stats.trainAccuracy * 100).toFixed(0)} %${val}`;
    drawCurves();
  }

  async function train() {
    if (running) return;
    running = true;
    history = [];
    setRunning(true);
    $('train-progress').max = maxEpochs;
    $('train-progress').value = 0;
    $('train-status').textContent = 'Training…';
    try {
      showSummary(await call('train'));
    } catch (e) {
      say('train-status', e.message, !/cancel/i.test(e.message));
    } finally {
      running = false;
      setRunning(false);
    }
  }
  function setRunning(on) {
    $('train').hidden = on;
    $('cancel').hidden = !on;
    $('train-progress').hidden = !on;
    if (on) $('train-status').classList.remove('error');
    if (on) $('cancel').focus(); else if (document.activeElement === $('cancel') || document.activeElement === document.body) $('train').focus();
  }
  $('train').addEventListener('click', train);
  $('cancel').addEventListener('click', () => call('cancelTraining'));

  // What the last training gave, in the core's words.
  function showSummary(summary) {
    const report = summary?.report;
    say('train-status', report?.outcome ?? '');
    say('auto-choice', report?.auto ?? '');
    history = summary?.history ?? [];
    if (history.length) drawCurves(); else { $('curves').replaceChildren(); plots = null; }
    const evaluation = summary?.evaluation;
    $('evaluation').hidden = !evaluation;
    $('evaluation-box').hidden = !evaluation;
    const name = (id) => classes.find((c) => c.id === id)?.name ?? `(deleted class ${id})`;
    const pct = (x) => `${(x * 100).toFixed(1)} %`;
    say('transfer', report?.transfer ?? '', !!report?.transferWarns);
    say('transfer-layer', report?.layer ?? '');
    if (!evaluation) return;
    $('evaluation-summary').textContent = `Evaluation: ${pct(evaluation.accuracy)} right on ${evaluation.examples} held-out examples`;
    $('eval-summary').textContent = `${evaluation.examples} held-out examples: accuracy ${pct(evaluation.accuracy)}, macro F1 ${pct(evaluation.macroF1)}.`;
    const perClass = $('per-class');
    perClass.querySelectorAll('tr').forEach((r) => r.remove());
    const row = (cells, tag = 'td') => {
      const tr = document.createElement('tr');
      for (const c of cells) { const cell = document.createElement(tag); cell.textContent = c; tr.append(cell); }
      return tr;
    };
    perClass.append(row(['class', 'precision', 'recall', 'F1', 'examples'], 'th'));
    for (const m of evaluation.classes) perClass.append(row([name(m.class), pct(m.precision), pct(m.recall), pct(m.f1), m.support]));
    perClass.append(row(['macro average', pct(evaluation.macroPrecision), pct(evaluation.macroRecall), pct(evaluation.macroF1), evaluation.examples]));

    const matrix = $('confusion');
    matrix.querySelectorAll('tr').forEach((r) => r.remove());
    const ids = summary.classes;
    matrix.append(row(['true \\ predicted', ...ids.map(name)], 'th'));
    evaluation.confusion.forEach((cells, t) => {
      const tr = row([name(ids[t])], 'th');
      cells.forEach((examples, p) => {
        const td = document.createElement('td');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = examples.length;
        button.className = t === p ? 'right' : examples.length ? 'wrong' : '';
        button.setAttribute('aria-label', `${examples.length} examples of ${name(ids[t])} predicted as ${name(ids[p])}`);
        button.addEventListener('click', () => showCell(examples, name(ids[t]), name(ids[p])));
        td.append(button);
        tr.append(td);
      });
      matrix.append(tr);
    });
    $('cell-examples').replaceChildren();
  }
  async function showCell(examples, truth, predicted) {
    const box = $('cell-examples');
    const alive = new Set(classes.flatMap((c) => c.examples));
    const shown = examples.filter((id) => alive.has(id));
    const caption = document.createElement('p');
    caption.textContent = `${truth} predicted as ${predicted}: ${examples.length} example${examples.length === 1 ? '' : 's'}${shown.length < examples.length ? ` (${examples.length - shown.length} deleted since)` : ''}.`;
    const strip = document.createElement('div');
    strip.className = 'strip';
    box.replaceChildren(caption, strip);
    await thumbnails.fill(strip, shown, { label: `${truth} example` });
  }

  let lastSummaryKey = null;
  return {
    train,
    get running() { return running; },
    update(state) {
      classes = state.classes;
      maxEpochs = state.maxEpochs;
      fillForm(state.settings);
      // Always clickable: with too few classes or an empty one, the core says what is missing.
      // A project of named classes only predicts without training: Train is not the next step.
      $('train').disabled = false;
      $('train').classList.toggle('primary', !(state.readiness.ready && !state.readiness.trainable));
      // A restored or imported project brings its last training with it.
      const key = JSON.stringify(state.lastTraining?.history?.length) + JSON.stringify(state.lastTraining?.evaluation?.accuracy) + state.lastTraining?.bestEpoch;
      if (!running && key !== lastSummaryKey) { lastSummaryKey = key; showSummary(state.lastTraining); }
      if (state.headState === 'stale' && !running) $('train-status').textContent = 'The classes changed since training: train again.';
    },
    onEpoch,
  };
}
