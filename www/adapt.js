// "Adapt to this camera": a few seconds of unlabelled frames from the live camera, after which
// the core moves their features onto the training examples' (learn/adapt.rs). This module only
// grabs frames, passes them to the worker and says what happened.
import { call } from './rpc.js';
import { $, say } from './dom.js';

const COLLECT_MS = 6000; // long enough to show each object in turn
const EVERY_MS = 250;

const when = (ms) => new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

export function createAdapt({ grabFrame }) {
  let minFrames = 1; // the core's minimum, from the worker's 'ready' message
  let collecting = false;
  let last = { headState: 'none', adaptation: null, training: false, cameraOn: false };

  function render() {
    const { headState, adaptation, training, cameraOn } = last;
    $('adapt-start').disabled = collecting || training || headState !== 'current' || !cameraOn;
    $('adapt-start').title = !cameraOn ? 'Needs the camera' : headState !== 'current' ? 'Train first' : '';
    $('adapt-undo').hidden = !adaptation || collecting;
    if (collecting) return;
    if (!adaptation) {
      say('adapt-status', headState === 'current'
        ? 'Light or camera changed since you captured? Adapt: show each of your objects to the camera for a few seconds; nothing is retrained.'
        : 'After training, the predictions can be adapted to a new camera or new light.');
    } else if (!adaptation.applies) {
      say('adapt-status', `The adaptation (from ${adaptation.frames} frames, ${when(adaptation.made)}) was made through other fine-tuned layers than the head now uses: adapt again.`, true);
    } else {
      say('adapt-status', `Adapted to this camera from ${adaptation.frames} frames, ${when(adaptation.made)}.`);
    }
    $('adapt-status').dataset.frames = adaptation?.applies ? String(adaptation.frames) : '';
  }

  async function collect() {
    collecting = true;
    render();
    const features = [];
    try {
      const started = performance.now();
      while (performance.now() - started < COLLECT_MS || features.length < minFrames) {
        const image = grabFrame();
        if (!image) throw new Error('the camera stopped');
        features.push(await call('features', { image }, [image.rgba]));
        const left = Math.max(0, Math.ceil((COLLECT_MS - (performance.now() - started)) / 1000));
        say('adapt-status', `Show each of your objects to the camera… ${features.length} frames${left ? `, ${left} s left` : ''}.`);
        await new Promise((r) => setTimeout(r, EVERY_MS));
      }
      await call('adapt', { features });
    } catch (e) {
      collecting = false;
      say('adapt-status', `Not adapted: ${e.message}`, true);
      render();
      return;
    }
    collecting = false;
    render();
  }

  $('adapt-start').addEventListener('click', collect);
  $('adapt-undo').addEventListener('click', async () => {
    await call('removeAdaptation');
    $('adapt-start').focus();
  });

  return {
    /** The core's minimum number of frames, once it is loaded. */
    setMinFrames(n) { minFrames = n; },
    /** The project's state from the worker, and whether a camera is on. */
    update(changes) {
      last = { ...last, ...changes };
      render();
    },
  };
}
