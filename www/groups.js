// "Group…" on a class: the core proposes groups of similar captures among its examples (a heap
// of unlabelled frames or files); the user names them and they become classes. Groups given the
// same name become one class; a class made this way can be grouped again to split it.
import { call } from './rpc.js';
import * as thumbnails from './thumbnails.js';
import { $ } from './dom.js';

const SHOWN = 12; // thumbnails per group

export function createGroups({ report }) {
  let from = null; // the class being sorted, {id, name}
  let proposal = null;

  // `groups`: how many the user asked for, or null for as many as separate best.
  async function open(c, groups = null) {
    try {
      proposal = await call('group', { id: c.id, groups });
    } catch (e) {
      return report(e.message, true);
    }
    from = c;
    const best = proposal.silhouettes.reduce((a, b) => (b[1] > a[1] ? b : a));
    $('group-title').textContent = `“${c.name}”: ${proposal.groups.length} groups of similar captures`;
    $('group-why').textContent = `Tried 2 to ${proposal.silhouettes.at(-1)[0]} groups; ${best[0]} separate best (silhouette ${best[1].toFixed(2)}).`;
    const count = $('group-count');
    count.replaceChildren(new Option(`as many as separate best (${best[0]})`, ''), ...proposal.silhouettes.map(([k, score]) => new Option(`${k} (silhouette ${score.toFixed(2)})`, String(k))));
    count.value = groups == null ? '' : String(groups);
    $('group-list').replaceChildren(...proposal.groups.map((ids, i) => {
      const item = document.createElement('li');
      item.className = 'group';
      const label = document.createElement('label');
      label.textContent = `Group ${i + 1} (${ids.length} examples), name: `;
      const name = document.createElement('input');
      name.className = 'group-name';
      name.maxLength = 64;
      name.value = `Group ${i + 1}`;
      label.append(name);
      const strip = document.createElement('div');
      strip.className = 'strip';
      item.append(label, strip);
      thumbnails.fill(strip, ids.slice(0, SHOWN), { label: `Group ${i + 1} example` });
      return item;
    }));
    if (!$('group-dialog').open) $('group-dialog').showModal();
    const first = $('group-list').querySelector('input');
    if (groups == null) { first?.focus(); first?.select(); }
  }

  $('group-count').addEventListener('change', (e) => open(from, e.target.value ? Number(e.target.value) : null));
  $('group-apply').addEventListener('click', async () => {
    const names = [...$('group-list').querySelectorAll('.group-name')].map((input) => input.value.trim());
    if (names.some((n) => !n)) return report('Every group needs a name (the same name merges groups).', true);
    try {
      await call('sortInto', { from: from.id, groups: proposal.groups.map((examples, i) => ({ name: names[i], examples })) });
      $('group-dialog').close();
      report(`Made ${new Set(names).size} classes from the groups.`);
    } catch (e) {
      report(e.message, true);
    }
  });
  $('group-close').addEventListener('click', () => $('group-dialog').close());

  return { open };
}
