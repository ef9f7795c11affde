// The class cards: name (renamed inline), sample count, capture / upload / clear / delete, and a
// capped strip of the newest thumbnails with "show all" in a paged dialog, so that thousands of
// samples cost the page no more than a dozen.
import { call } from './rpc.js';
import * as thumbnails from './thumbnails.js';
import { $ } from './dom.js';

const STRIP = 12;
const PAGE = 120;
const BURST_MS = 100; // ~10 frames per second while capture is held
const HOLD_MS = 300;  // a press longer than this starts a burst
const UNDO_MS = 20_000; // how long Undo stays offered after a delete
const TYPING_MS = 200;  // what a name covers is looked up this long after the last keystroke
const SHOWN_MS = 1500;  // how long the floating camera stays after a capture (narrow screens)

// While capturing, the page says so: on a narrow screen the camera then floats in view.
let hideCamera = null;
function capturing(on) {
  clearTimeout(hideCamera);
  if (on) document.body.dataset.capturing = 'true';
  else hideCamera = setTimeout(() => { document.body.dataset.capturing = 'false'; }, SHOWN_MS);
}

export function createClasses({ grabFrame, decodeFile, report, group, label }) {
  const list = $('classes');
  const cards = new Map(); // class id → card element
  let classes = [];
  let enabled = false;
  let undoTimer = null;

  // Captures queue in the worker; the count on the card updates as each one lands. While
  // counting, a single capture opens for its objects to be marked (a burst's frames and uploads
  // are marked later, from their thumbnails).
  const counting = () => document.body.dataset.mode === 'count';
  async function capture(id, image) {
    if (!image) return report('The camera has no picture yet: wait for it, or upload images instead.', true);
    try {
      await call('capture', { class: id, image }, [image.rgba]);
    } catch (e) {
      report(e.message, true);
    }
  }
  const captureFromCamera = (id) => capture(id, grabFrame());

  async function upload(id, files) {
    const images = [...files].filter((f) => f.type.startsWith('image/') || f.type === '');
    if (images.length === 0) return report('Drop image files (PNG, JPEG, WebP…).', true);
    let done = 0;
    for (const file of images) {
      try {
        await capture(id, await decodeFile(file));
        done++;
        report(`Added ${done} of ${images.length} images…`);
      } catch (e) {
        report(e.message, true);
      }
    }
    if (done === images.length) report(`Added ${done} image${done === 1 ? '' : 's'}.`);
  }

  // Press: one frame at once; held past HOLD_MS: a burst until released.
  function holdToBurst(element, id) {
    let timer = null, repeat = null;
    const start = () => {
      if (timer || repeat || !enabled) return;
      capturing(true);
      const first = captureFromCamera(id);
      timer = setTimeout(() => { repeat = setInterval(() => captureFromCamera(id), BURST_MS); }, HOLD_MS);
      burstOf = first;
      element.classList.add('recording');
    };
    let burstOf = null;
    const stop = () => {
      // A press too short to start a burst captured one frame: open it to mark its objects.
      if (timer && !repeat && counting()) burstOf?.then(() => markNewest(id));
      if (timer || repeat) capturing(false);
      clearTimeout(timer); clearInterval(repeat);
      timer = repeat = null;
      element.classList.remove('recording');
    };
    element.addEventListener('pointerdown', (e) => { if (e.button === 0) { element.setPointerCapture(e.pointerId); start(); } });
    // A long touch would open the context menu (and select text) instead of a burst.
    element.addEventListener('contextmenu', (e) => e.preventDefault());
    element.addEventListener('pointerup', stop);
    element.addEventListener('pointercancel', stop);
    element.addEventListener('lostpointercapture', stop);
    element.addEventListener('keydown', (e) => {
      if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); if (!e.repeat) start(); }
    });
    element.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') stop(); });
    element.addEventListener('blur', stop);
    return { start, stop };
  }

  function makeCard(id) {
    const card = $('class-template').content.firstElementChild.cloneNode(true);
    card.dataset.id = id;
    const name = card.querySelector('.class-name');
    name.addEventListener('change', async () => {
      const wanted = name.value.trim();
      try {
        await call('renameClass', { id, name: wanted });
      } catch (e) {
        report(e.message, true);
        name.value = classes.find((c) => c.id === id)?.name ?? '';
      }
    });
    name.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); name.blur(); } });
    // As the name is typed: what it would cover without examples.
    let typing = null;
    name.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(async () => {
        if (document.activeElement !== name) return; // renamed meanwhile: the state says it now
        const line = card.querySelector('.meaning');
        const typed = name.value.trim();
        if (!typed || classes.find((c) => c.id === id)?.examples.length) return;
        const { text, warning } = await call('namePreview', { name: typed }).catch((e) => ({ text: e.message, warning: true }));
        line.textContent = text;
        line.classList.toggle('warning', warning);
      }, TYPING_MS);
    });
    card.querySelector('.sense').addEventListener('change', async (e) => {
      await call('setSense', { id, sense: Number(e.target.value) }).catch((err) => report(err.message, true));
    });
    const captureButton = card.querySelector('.capture');
    const burst = holdToBurst(captureButton, id);
    // "c" on a focused card captures (held: a burst), like holding the button.
    card.addEventListener('keydown', (e) => {
      if (e.target !== card || e.key.toLowerCase() !== 'c' || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      if (!e.repeat) burst.start();
    });
    card.addEventListener('keyup', (e) => { if (e.target === card && e.key.toLowerCase() === 'c') burst.stop(); });
    card.addEventListener('blur', () => burst.stop());
    card.querySelector('.upload').addEventListener('change', (e) => { upload(id, e.target.files); e.target.value = ''; });
    card.querySelector('.clear').addEventListener('click', async () => {
      const c = classes.find((x) => x.id === id);
      if (c.examples.length && !confirm(`Remove all ${c.examples.length} examples of “${c.name}”?`)) return;
      await call('clearClass', { id }).catch((e) => report(e.message, true));
    });
    card.querySelector('.delete').addEventListener('click', async () => {
      const c = classes.find((x) => x.id === id);
      try {
        await call('deleteClass', { id });
        $('undo-text').textContent = `Deleted “${c.name}” (${c.examples.length} examples).`;
        $('undo-bar').hidden = false;
        $('undo').focus();
        clearTimeout(undoTimer);
        undoTimer = setTimeout(() => { $('undo-bar').hidden = true; }, UNDO_MS);
      } catch (e) {
        report(e.message, true);
      }
    });
    // A menu item chosen closes the menu.
    card.querySelector('.more .menu').addEventListener('click', () => { card.querySelector('.more').open = false; });
    card.querySelector('.show-all').addEventListener('click', () => showAll(id));
    card.querySelector('.group').addEventListener('click', () => group(classes.find((x) => x.id === id)));
    card.addEventListener('dragover', (e) => { e.preventDefault(); card.classList.add('over'); });
    card.addEventListener('dragleave', () => card.classList.remove('over'));
    card.addEventListener('drop', (e) => { e.preventDefault(); card.classList.remove('over'); upload(id, e.dataTransfer.files); });
    return card;
  }

  // The newest frame of a class, opened to mark its objects (after a single capture).
  function markNewest(id) {
    const frames = classes.find((c) => c.id === id)?.frames ?? [];
    if (frames.length) label.open(frames.at(-1)[0], id);
  }

  const deleteExample = (id) => call('deleteExample', { id }).catch((e) => report(e.message, true));

  function render(newClasses) {
    classes = newClasses;
    const seen = new Set();
    classes.forEach((c, position) => {
      seen.add(c.id);
      let card = cards.get(c.id);
      if (!card) { card = makeCard(c.id); cards.set(c.id, card); }
      if (list.children[position] !== card) list.insertBefore(card, list.children[position] ?? null);
      const name = card.querySelector('.class-name');
      if (document.activeElement !== name) name.value = c.name;
      card.setAttribute('aria-label', `Class ${c.name}, ${c.examples.length} examples. Press C to capture.`);
      card.querySelector('.count').textContent = `${c.examples.length} example${c.examples.length === 1 ? '' : 's'}`;
      const meaning = card.querySelector('.meaning');
      if (document.activeElement !== name) {
        meaning.textContent = c.hint.text;
        meaning.classList.toggle('warning', c.hint.warning);
      }
      const senses = card.querySelector('.sense');
      senses.hidden = c.examples.length > 0 || c.senses.length < 2;
      const senseKey = c.senses.map((s) => s.id).join(',');
      if (senses.dataset.key !== senseKey) {
        senses.dataset.key = senseKey;
        senses.replaceChildren(...c.senses.map((s) => new Option(s.label, String(s.id))));
      }
      if (c.sense != null) senses.value = String(c.sense);
      // While counting, the strip shows the frames to mark, each with its number of marks.
      const count = counting();
      const shown = count ? c.frames.map(([frame]) => frame) : c.examples;
      const newest = shown.slice(-STRIP).reverse();
      const strip = card.querySelector('.strip');
      const badges = count ? new Map(c.frames) : null;
      const key = `${count}:${newest.join(',')}:${count ? c.frames.map(([, n]) => n).join(',') : ''}`;
      if (strip.dataset.key !== key) {
        strip.dataset.key = key;
        const choose = count ? { onChoose: (frame) => label.open(frame, c.id), badges } : {};
        thumbnails.fill(strip, newest, { onDelete: deleteExample, label: `${c.name} ${count ? 'frame' : 'example'}`, ...choose });
      }
      const more = card.querySelector('.show-all');
      more.hidden = c.examples.length <= STRIP;
      more.textContent = `Show all ${c.examples.length}`;
      for (const b of card.querySelectorAll('button, input')) b.disabled = !enabled;
    });
    for (const [id, card] of cards) if (!seen.has(id)) { card.remove(); cards.delete(id); }
    thumbnails.keepOnly(classes.flatMap((c) => c.examples));
    if (dialogClass !== null) renderDialog();
  }

  // "Show all": a page of thumbnails at a time in a dialog.
  let dialogClass = null, page = 0;
  function showAll(id) {
    dialogClass = id; page = 0;
    renderDialog();
    $('all-dialog').showModal();
  }
  function renderDialog() {
    const c = classes.find((x) => x.id === dialogClass);
    if (!c) { $('all-dialog').close(); return; }
    const pages = Math.max(1, Math.ceil(c.examples.length / PAGE));
    page = Math.min(page, pages - 1);
    $('all-title').textContent = `${c.name}: ${c.examples.length} examples`;
    $('all-page').textContent = `page ${page + 1} of ${pages}`;
    $('all-prev').disabled = page === 0;
    $('all-next').disabled = page >= pages - 1;
    thumbnails.fill($('all-strip'), c.examples.slice(page * PAGE, (page + 1) * PAGE), { onDelete: deleteExample, label: `${c.name} example` });
  }
  $('all-prev').addEventListener('click', () => { page--; renderDialog(); });
  $('all-next').addEventListener('click', () => { page++; renderDialog(); });
  $('all-close').addEventListener('click', () => $('all-dialog').close());
  $('all-dialog').addEventListener('close', () => { dialogClass = null; });

  $('add-class').addEventListener('click', async () => {
    try {
      const id = await call('addClass'); // the core names it "Class N"
      const input = cards.get(id)?.querySelector('.class-name');
      input?.focus(); input?.select();
    } catch (e) {
      report(e.message, true);
    }
  });
  $('undo').addEventListener('click', async () => {
    $('undo-bar').hidden = true;
    await call('undoDelete').catch((e) => report(e.message, true));
  });

  return {
    render,
    setEnabled(on) { enabled = on; $('add-class').disabled = !on; render(classes); },
    get classes() { return classes; },
  };
}
