// Counting on the page: the dialog where each object's centre is marked on a captured frame
// (click or tap; keyboard: arrows move a cursor, Enter places a point, Delete removes the nearest),
// and the dots of the objects found, drawn over the live video or a classified file.
import { call } from './rpc.js';
import { $ } from './dom.js';

const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];
const STEP = 1 / 40;    // how far an arrow key moves the cursor (a fraction of the frame)
const NEAR = 0.06;      // a click this close to a point removes it instead of placing another

/** The colour of a class, by its place among the classes. */
export function colour(classes, id) {
  return COLOURS[Math.max(0, classes.findIndex((c) => c.id === id)) % COLOURS.length];
}

/**
 * The labelling dialog. `open(id, classId)` shows the frame `id` with its points; new points get
 * the class chosen in the dialog (at first `classId`). `frames()` lists the frames to step through.
 */
export function createLabelling({ report, getClasses, frames }) {
  const dialog = $('label-dialog');
  const canvas = $('label-canvas');
  let frame = null; // {id, width, height, picture: ImageData, points}
  let cursor = { x: 0.5, y: 0.5 };
  let keyboard = false; // the cursor is drawn once the keyboard moves it
  // The frame is shown as the camera preview shows it: mirrored where the preview is.
  const mirrored = () => canvas.classList.contains('mirrored');

  function draw() {
    if (!frame) return;
    const ctx = canvas.getContext('2d');
    canvas.width = frame.width; canvas.height = frame.height;
    ctx.putImageData(frame.picture, 0, 0);
    const classes = getClasses();
    const r = Math.max(3, frame.width / 40);
    for (const p of frame.points) {
      ctx.beginPath();
      ctx.arc(p.x * frame.width, p.y * frame.height, r, 0, 2 * Math.PI);
      ctx.fillStyle = colour(classes, p.class);
      ctx.fill();
      ctx.lineWidth = 1.5; ctx.strokeStyle = 'white'; ctx.stroke();
    }
    if (keyboard) {
      const [x, y] = [cursor.x * frame.width, cursor.y * frame.height];
      ctx.strokeStyle = 'white'; ctx.lineWidth = 1;
      ctx.strokeRect(x - r * 1.5, y - r * 1.5, r * 3, r * 3);
    }
    const counts = classes.map((c) => [c.name, frame.points.filter((p) => p.class === c.id).length]).filter(([, n]) => n > 0);
    $('label-count').textContent = counts.length ? counts.map(([name, n]) => `${n} ${name}`).join(', ') : 'No objects marked: this frame teaches what is background.';
    const list = frames();
    const at = list.indexOf(frame.id);
    $('label-position').textContent = `Frame ${at + 1} of ${list.length}`;
    $('label-prev').disabled = at <= 0;
    $('label-next').disabled = at < 0 || at >= list.length - 1;
  }

  async function save(points) {
    const before = frame.points;
    frame.points = points;
    draw();
    try {
      await call('setPoints', { id: frame.id, points });
    } catch (e) {
      frame.points = before;
      draw();
      report(e.message, true);
    }
  }

  const nearest = (x, y) => {
    let best = -1, distance = NEAR;
    frame.points.forEach((p, i) => { const d = Math.hypot(p.x - x, p.y - y); if (d < distance) { best = i; distance = d; } });
    return best;
  };
  function toggle(x, y) {
    const i = nearest(x, y);
    if (i >= 0) return save(frame.points.filter((_, j) => j !== i));
    return save([...frame.points, { class: Number($('label-class').value), x, y }]);
  }

  canvas.addEventListener('pointerdown', (e) => {
    if (!frame || e.button !== 0) return;
    const box = canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    keyboard = false;
    const x = clamp((e.clientX - box.left) / box.width);
    toggle(mirrored() ? 1 - x : x, clamp((e.clientY - box.top) / box.height));
  });
  canvas.addEventListener('keydown', (e) => {
    if (!frame) return;
    const moves = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, -STEP], ArrowDown: [0, STEP] };
    if (moves[e.key]) {
      const [dx, dy] = moves[e.key].map((d, axis) => (axis === 0 && mirrored() ? -d : d));
      cursor = { x: Math.min(1, Math.max(0, cursor.x + dx)), y: Math.min(1, Math.max(0, cursor.y + dy)) };
      keyboard = true;
      draw();
    } else if (e.key === 'Enter' || e.key === ' ') {
      keyboard = true;
      save([...frame.points, { class: Number($('label-class').value), ...cursor }]);
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      let best = -1, distance = Infinity;
      frame.points.forEach((p, i) => { const d = Math.hypot(p.x - cursor.x, p.y - cursor.y); if (d < distance) { best = i; distance = d; } });
      if (best >= 0) save(frame.points.filter((_, j) => j !== best));
    } else return;
    e.preventDefault();
  });

  async function open(id, classId) {
    try {
      const { width, height, rgba, points } = await call('picture', { id });
      frame = { id, width, height, picture: new ImageData(new Uint8ClampedArray(rgba), width, height), points };
    } catch (e) {
      return report(e.message, true);
    }
    const classes = getClasses();
    const select = $('label-class');
    select.replaceChildren(...classes.map((c) => new Option(c.name, String(c.id))));
    if (classId != null) select.value = String(classId);
    for (const option of select.options) option.style.color = colour(classes, Number(option.value));
    canvas.classList.toggle('mirrored', $('video').classList.contains('mirrored'));
    draw();
    if (!dialog.open) dialog.showModal();
    canvas.focus();
  }

  function step(by) {
    const list = frames();
    const next = list[list.indexOf(frame?.id) + by];
    if (next != null) open(next, Number($('label-class').value));
  }
  $('label-prev').addEventListener('click', () => step(-1));
  $('label-next').addEventListener('click', () => step(1));
  $('label-clear').addEventListener('click', () => frame && save([]));
  $('label-delete').addEventListener('click', async () => {
    if (!frame) return;
    const list = frames();
    const next = list[list.indexOf(frame.id) + 1] ?? list[list.indexOf(frame.id) - 1];
    await call('deleteExample', { id: frame.id }).catch((e) => report(e.message, true));
    if (next != null) open(next, Number($('label-class').value)); else dialog.close();
  });
  $('label-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { frame = null; });

  return { open, get openFrame() { return frame?.id ?? null; } };
}

/**
 * Draws a dot per object found on `canvas`, laid over a picture of `width × height` shown at
 * `place` (CSS box of the whole frame), with its score beside it.
 */
export function drawObjects(canvas, objects, classes, place) {
  canvas.hidden = !objects;
  if (!objects) return;
  Object.assign(canvas.style, place);
  const box = canvas.getBoundingClientRect();
  canvas.width = Math.max(1, Math.round(box.width));
  canvas.height = Math.max(1, Math.round(box.height));
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const r = Math.max(5, canvas.width / 60);
  ctx.font = `${Math.round(r * 2)}px sans-serif`;
  for (const o of objects) {
    const [x, y] = [o.x * canvas.width, o.y * canvas.height];
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = colour(classes, o.class);
    ctx.fill();
    ctx.lineWidth = 2; ctx.strokeStyle = 'white'; ctx.stroke();
  }
  canvas.dataset.objects = String(objects.length);
  canvas.setAttribute('aria-label', objects.map((o) => `${o.name} at ${(o.x * 100).toFixed(0)} %, ${(o.y * 100).toFixed(0)} %, score ${o.score.toFixed(2)}`).join('; ') || 'No objects');
}
