// Example thumbnails: fetched from the worker by id, drawn into small canvases, cached while shown.
import { call } from './rpc.js';

// Example id → ImageData, most recently used last. Bounded: a project of thousands of examples
// shows a dozen a class and a page of the dialog at a time (9 KB each).
const cache = new Map();
const KEEP = 600;
let size = 48;

export function setSize(side) { size = side; }

/** Fetches the ids not cached yet, in one message. */
async function load(ids) {
  const missing = ids.filter((id) => !cache.has(id));
  if (missing.length === 0) return;
  for (const { id, rgba } of await call('thumbnails', { ids: missing })) {
    cache.set(id, new ImageData(new Uint8ClampedArray(rgba.buffer ?? rgba), size, size));
  }
  for (const id of cache.keys()) {
    if (cache.size <= KEEP) break;
    cache.delete(id);
  }
}

/** Forgets thumbnails of examples that no longer exist. */
export function keepOnly(ids) {
  const alive = new Set(ids);
  for (const id of cache.keys()) if (!alive.has(id)) cache.delete(id);
}

/**
 * Fills `container` with one canvas per id. With `onDelete`, each thumbnail is a button that
 * deletes its example (keyboard: Delete or Backspace while focused). With `onChoose` too, the
 * button chooses it instead (Delete still deletes), and `badges` (id → text) label thumbnails.
 */
export async function fill(container, ids, { onDelete, onChoose, badges, label = 'Example' } = {}) {
  await load(ids);
  const items = ids.map((id) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = size;
    const image = cache.get(id);
    if (image) { cache.delete(id); cache.set(id, image); } // used: kept longest
    if (image) canvas.getContext('2d').putImageData(image, 0, 0);
    if (!onDelete) {
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${label} ${id}`);
      return canvas;
    }
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'thumb';
    button.dataset.id = id;
    button.append(canvas);
    const badge = badges?.get(id);
    if (badge != null) {
      const mark = document.createElement('span');
      mark.className = 'badge';
      mark.textContent = badge;
      button.append(mark);
    }
    if (onChoose) {
      button.title = 'Mark its objects (Delete: delete it)';
      button.setAttribute('aria-label', `Mark the objects of ${label.toLowerCase()} ${id}${badge != null ? `, ${badge} marked` : ''}`);
      button.addEventListener('click', () => onChoose(id));
    } else {
      button.title = 'Delete this example';
      button.setAttribute('aria-label', `Delete ${label.toLowerCase()} ${id}`);
      button.addEventListener('click', () => onDelete(id));
    }
    button.addEventListener('keydown', (e) => {
      if (e.key === 'Delete' || e.key === 'Backspace') { e.preventDefault(); onDelete(id); }
    });
    return button;
  });
  container.replaceChildren(...items);
}
