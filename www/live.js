// Live classification: one frame in flight at a time (the next is grabbed when the answer
// arrives, at most once per video frame), a bar per class, "unknown" below the threshold, and
// the measured rate and latency of the whole path (grab → worker → prediction → bars).
import { call } from './rpc.js';
import { $ } from './dom.js';
import { drawObjects } from './counting.js';
const WINDOW_MS = 2000; // rate and latency are averaged over this window

export function createLive({ grabFrame, decodeFile, report, getClasses }) {
  let ready = false; // whether every class can be predicted
  let running = false;
  let stopped = false;
  const recent = []; // [finishedAt, ms] of the predictions in the window
  let bars = new Map(); // class id → {item, fill, value}

  function drawBars(prediction) {
    const ids = prediction.classes.map((c) => c.id).join(',');
    if ($('bars').dataset.ids !== ids) {
      $('bars').dataset.ids = ids;
      bars = new Map();
      $('bars').replaceChildren(...prediction.classes.map((c) => {
        const item = document.createElement('li');
        const label = document.createElement('span');
        label.className = 'bar-label';
        const meter = document.createElement('meter');
        meter.min = 0; meter.max = 1;
        const value = document.createElement('span');
        value.className = 'bar-value';
        item.append(label, meter, value);
        bars.set(c.id, { item, label, meter, value });
        return item;
      }));
    }
    // A counter's bars are its counts: the most numerous class fills its bar.
    const objects = prediction.objects;
    const count = (id) => objects.filter((o) => o.class === id).length;
    const most = objects ? Math.max(1, ...prediction.classes.map((c) => count(c.id))) : 1;
    for (const c of prediction.classes) {
      const bar = bars.get(c.id);
      bar.label.textContent = c.name;
      bar.meter.value = objects ? count(c.id) / most : c.probability;
      bar.meter.setAttribute('aria-label', c.name);
      bar.value.textContent = objects ? String(count(c.id)) : `${(c.probability * 100).toFixed(0)} %`;
      bar.item.classList.toggle('top', c.id === prediction.best);
    }
    const best = prediction.classes.find((c) => c.id === prediction.best);
    const state = $('live-state');
    if (objects) {
      const counts = prediction.classes.map((c) => [c.name, count(c.id)]).filter(([, n]) => n > 0);
      state.textContent = counts.length ? counts.map(([name, n]) => `${n} ${name}`).join(', ') : 'Nothing found.';
      state.title = objects.map((o) => `${o.name} ${o.score.toFixed(2)}`).join(', ');
      state.dataset.class = '';
      state.dataset.count = String(objects.length);
      state.dataset.verdict = '';
      state.classList.toggle('unknown', objects.length === 0);
      return;
    }
    delete state.dataset.count;
    const anomaly = prediction.anomaly;
    state.dataset.verdict = anomaly ? (anomaly.anomaly ? 'anomaly' : 'normal') : '';
    if (anomaly) {
      state.textContent = `${anomaly.anomaly ? 'Anomaly' : 'Normal'} (score ${anomaly.score.toFixed(3)}, anomaly above ${anomaly.threshold.toFixed(3)})`;
      state.dataset.class = anomaly.anomaly ? '' : best.name;
      state.classList.toggle('unknown', anomaly.anomaly);
      return;
    }
    const none = prediction.none == null ? '' : `${(prediction.none * 100).toFixed(0)} %`;
    state.textContent = !prediction.unknown ? best.name
      : prediction.none == null ? 'Unknown: none of the classes is likely enough.' : `None of the named things (${none} sure it is something else).`;
    state.dataset.class = prediction.unknown ? '' : best.name;
    state.classList.toggle('unknown', prediction.unknown);
  }

  // A heat map covers the frame's centre square: `place` puts that square on the picture.
  function drawMap(canvas, map, place) {
    canvas.hidden = !map;
    if (!map) return false;
    canvas.width = canvas.height = map.side;
    canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(map.rgba), map.side, map.side), 0, 0);
    Object.assign(canvas.style, place);
    return true;
  }

  // The video is scaled to cover its box, so the centre square is centred in the box, its side
  // the frame's shorter side times the video's scale; the whole frame (a counter's map and
  // objects) is centred too, at the video's scale.
  function videoPlace(whole) {
    const video = $('video');
    const box = video.parentElement;
    const scale = Math.max(box.clientWidth / video.videoWidth, box.clientHeight / video.videoHeight);
    const side = Math.min(video.videoWidth, video.videoHeight) * scale;
    const [width, height] = whole ? [video.videoWidth * scale, video.videoHeight * scale] : [side, side];
    return { width: `${width}px`, height: `${height}px`, left: `${(box.clientWidth - width) / 2}px`, top: `${(box.clientHeight - height) / 2}px` };
  }
  function drawLiveObjects(objects) {
    drawObjects($('objects'), objects, getClasses(), videoPlace(true));
    $('objects').classList.toggle('mirrored', $('video').classList.contains('mirrored'));
  }
  function drawHeat(map, className) {
    const video = $('video');
    if (!drawMap($('heat'), map, videoPlace(!!map?.whole))) return;
    $('heat').classList.toggle('mirrored', video.classList.contains('mirrored'));
    $('heat').dataset.class = className;
  }

  function drawSeen(seen) {
    const list = $('seen');
    list.hidden = !seen;
    if (!seen) return;
    list.replaceChildren(...seen.map(({ label, probability }) => {
      const item = document.createElement('li');
      item.textContent = `${label.split(',')[0]} — ${(probability * 100).toFixed(0)} %`;
      return item;
    }));
  }

  function measure(ms, coreMs) {
    const now = performance.now();
    recent.push([now, ms, coreMs]);
    while (recent.length && recent[0][0] < now - WINDOW_MS) recent.shift();
    const span = Math.max(now - recent[0][0], 1);
    const fps = recent.length > 1 ? ((recent.length - 1) * 1000) / span : 0;
    const mean = recent.reduce((sum, [, m]) => sum + m, 0) / recent.length;
    $('live-speed').textContent = `${fps.toFixed(1)} frames/s, ${mean.toFixed(0)} ms per frame`;
    $('live-speed').dataset.fps = fps.toFixed(2);
    $('live-speed').dataset.ms = mean.toFixed(1);
    $('live-speed').dataset.coreMs = (recent.reduce((sum, r) => sum + r[2], 0) / recent.length).toFixed(1);
  }

  async function step() {
    const top3 = $('seen-toggle').checked;
    const explain = $('explain-toggle').checked;
    const started = performance.now();
    const image = grabFrame();
    if (!image) return;
    if (!ready) {
      // Until every class can be predicted, there is nothing to show live but what the model sees.
      drawHeat(null);
      drawLiveObjects(null);
      if (top3) drawSeen(await call('imagenet', { image }, [image.rgba]));
      return;
    }
    const { prediction, seen, map } = await call('predict', { image, top3, explain }, [image.rgba]);
    drawBars(prediction);
    drawSeen(seen);
    drawHeat($('explain-toggle').checked ? map : null, prediction.classes.find((c) => c.id === map?.class)?.name);
    drawLiveObjects(prediction.objects ?? null);
    $('live-state').dataset.frames = String(Number($('live-state').dataset.frames ?? 0) + 1);
    measure(performance.now() - started, prediction.ms);
  }

  async function loop() {
    if (running) return;
    running = true;
    while (!stopped) {
      try {
        await step();
      } catch (e) {
        $('live-state').textContent = e.message;
        await new Promise((r) => setTimeout(r, 500));
      }
      // At most one prediction per displayed frame; pauses with the tab.
      await new Promise((r) => requestAnimationFrame(r));
      if (!ready && !$('seen-toggle').checked) break;
    }
    running = false;
  }

  $('seen-toggle').addEventListener('change', () => { if ($('seen-toggle').checked) loop(); else drawSeen(null); });
  $('explain-toggle').addEventListener('change', () => { if (!$('explain-toggle').checked) drawHeat(null); });

  // A classified file is shown under the live view, with its heat map when "Show where it looks"
  // is on, laid over the centre square the network sees (percentages of the drawn picture).
  function showFile({ rgba, width, height }, name) {
    const canvas = $('file-view');
    canvas.width = width; canvas.height = height;
    canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
    $('file-figure').hidden = false;
    $('file-caption').textContent = name;
    $('file-heat').hidden = true;
    $('file-objects').hidden = true;
  }
  // A file is drawn whole: the square's place in percentages of the picture.
  function drawFileHeat(map, { width, height }, className) {
    const side = map?.whole ? null : Math.min(width, height);
    const place = !side ? { left: '0', top: '0', width: '100%', height: '100%' } : { left: `${(width - side) / 2 / width * 100}%`, top: `${(height - side) / 2 / height * 100}%`, width: `${side / width * 100}%`, height: `${side / height * 100}%` };
    if (!drawMap($('file-heat'), map, place)) return;
    $('file-heat').dataset.class = className ?? '';
    $('file-caption').textContent += ` — where it sees “${className}”`;
  }

  $('classify-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    try {
      const image = await decodeFile(file);
      showFile(image, file.name);
      const started = performance.now();
      if (ready) {
        const explain = $('explain-toggle').checked;
        const { prediction, seen, map } = await call('predict', { image, top3: $('seen-toggle').checked, explain }, [image.rgba]);
        drawBars(prediction);
        drawSeen(seen);
        drawFileHeat(explain ? map : null, image, prediction.classes.find((c) => c.id === map?.class)?.name);
        drawObjects($('file-objects'), prediction.objects ?? null, getClasses(), { left: '0', top: '0', width: '100%', height: '100%' });
      } else {
        // No head yet: the file still gets what the model itself sees in it.
        drawSeen(await call('imagenet', { image }, [image.rgba]));
      }
      $('live-speed').textContent = `${file.name}: ${(performance.now() - started).toFixed(0)} ms`;
    } catch (err) {
      report(err.message, true);
    }
  });

  return {
    /** Starts or stops the loop as the head and the camera come and go. */
    update({ readiness, cameraOn }) {
      const wasReady = ready;
      ready = readiness.ready;
      const state = $('live-state');
      state.classList.toggle('waiting', !ready);
      state.classList.toggle('warning', !ready && readiness.hint.warning);
      if (!ready) {
        drawHeat(null);
        drawLiveObjects(null);
        state.textContent = readiness.hint.text;
        $('bars').replaceChildren(); $('bars').dataset.ids = '';
      } else if (!wasReady && !cameraOn) {
        // Ready, but without a camera nothing replaces the old line: say what can be done.
        state.textContent = 'Ready: classify an image file, or allow the camera.';
      }
      if (cameraOn && (ready || $('seen-toggle').checked)) loop();
    },
    stop() { stopped = true; },
  };
}
