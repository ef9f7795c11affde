// The worker's copy of the project in IndexedDB: the core's skeleton (classes, settings, head,
// each example's id) and one record per example, written when the example is new and deleted
// with it, all in one transaction so that a skeleton never names a record that is not there.
// A save therefore costs the same at the 100th example as at the 5,000th.
import { createStore, promisifyRequest } from './vendor/idb-keyval.js';

// idb-keyval's own database and store, where earlier versions kept the whole project under
// LEGACY: one store, so one transaction covers everything.
const store = createStore('keyval-store', 'keyval');
const SKELETON = 'skeleton';
const LEGACY = 'project';
const record = (id) => ['example', id];
const ALL_RECORDS = IDBKeyRange.bound(['example'], ['example', []]);
// Where a stored project that fails to open is set aside, rather than overwritten.
const UNREADABLE = { skeleton: 'unreadable-skeleton', records: 'unreadable-records', file: 'project-unreadable' };

const exampleIds = (learner) => [...learner.exampleIds()];

// The example ids whose records are stored; `null` after the project was replaced (opened,
// new): example ids start again then, so every record is rewritten.
let stored = null;

export function replaced() {
  stored = null;
}

// Writes what changed since the last save. Returns what it wrote, for the page's storage line.
export async function save(learner) {
  const started = performance.now();
  const ids = exampleIds(learner);
  const now = new Set(ids);
  const added = stored ? ids.filter((id) => !stored.has(id)) : ids;
  const removed = stored ? [...stored].filter((id) => !now.has(id)) : [];
  const records = added.map((id) => [id, learner.exampleRecord(id)]);
  const skeleton = learner.skeleton();
  const coreMs = performance.now() - started;
  const rewrite = !stored;
  await store('readwrite', (s) => {
    if (rewrite) s.delete(ALL_RECORDS);
    for (const id of removed) s.delete(record(id));
    for (const [id, bytes] of records) s.put(bytes, record(id));
    s.put(skeleton, SKELETON);
    s.delete(LEGACY);
    return promisifyRequest(s.transaction);
  });
  stored = now;
  return { examples: ids.length, written: records.length, bytes: skeleton.length + records.reduce((n, [, r]) => n + r.length, 0), coreMs };
}

// The network the saved project was made with (`networkOf` reads it from the core's bytes), or
// null: none saved, or unreadable (then `restore` sets it aside).
export async function storedNetwork(networkOf) {
  const [skeleton, legacy] = await store('readonly', (s) => Promise.all([promisifyRequest(s.get(SKELETON)), promisifyRequest(s.get(LEGACY))]));
  try {
    return skeleton || legacy ? networkOf(skeleton ?? legacy) : null;
  } catch {
    return null;
  }
}

// Each network's measured milliseconds per live frame on this device: `{lite0: 41.5, …}`.
const FRAME_MS = 'frame-ms';
export const frameTimes = async () => (await store('readonly', (s) => promisifyRequest(s.get(FRAME_MS)))) ?? {};
export const keepFrameTimes = (times) => store('readwrite', (s) => { s.put(times, FRAME_MS); return promisifyRequest(s.transaction); });

// Opens the saved project into `learner`, or starts a new one. A saved project that cannot be
// opened is set aside (kept, not overwritten) and the reason returned.
export async function restore(learner) {
  const [skeleton, legacy] = await store('readonly', (s) => Promise.all([promisifyRequest(s.get(SKELETON)), promisifyRequest(s.get(LEGACY))]));
  if (skeleton) {
    const records = await store('readonly', (s) => promisifyRequest(s.getAll(ALL_RECORDS)));
    try {
      learner.openStored(skeleton, records);
      stored = new Set(exampleIds(learner));
      return null;
    } catch (e) {
      await store('readwrite', (s) => {
        s.put(skeleton, UNREADABLE.skeleton);
        s.put(records, UNREADABLE.records);
        s.delete(SKELETON);
        s.delete(ALL_RECORDS);
        return promisifyRequest(s.transaction);
      });
      return setAside(learner, e);
    }
  }
  if (legacy) {
    // A project saved by an earlier version, as one file: opened, then stored the new way.
    try {
      learner.open(legacy);
    } catch (e) {
      await store('readwrite', (s) => {
        s.put(legacy, UNREADABLE.file);
        s.delete(LEGACY);
        return promisifyRequest(s.transaction);
      });
      return setAside(learner, e);
    }
    stored = null;
    // Stored anew at once; should that fail (a full quota), the next change tries again.
    await save(learner).catch(() => {});
    return null;
  }
  learner.newProject();
  stored = null;
  return null;
}

function setAside(learner, error) {
  learner.newProject();
  stored = null;
  return `The project saved in this browser could not be opened (${error.message ?? error}); it was set aside and a new project started.`;
}
