// The page: draws, captures and talks to the worker. No ML happens here.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

worker.onmessage = ({ data }) => {
  switch (data.type) {
    case 'progress': {
      const { stage, loaded, total } = data;
      $('progress').max = total || 1;
      $('progress').value = loaded;
      const mb = (n) => (n / 1e6).toFixed(1);
      setStatus(total ? `${stage}: ${mb(loaded)} of ${mb(total)} MB` : `${stage}…`);
      break;
    }
    case 'ready':
      $('progress').hidden = true;
      $('file').disabled = false;
      $('backend').textContent = data.backend === 'webgpu'
        ? `Running on WebGPU (${data.adapter}).`
        : `Running on the CPU${data.reason ? ` (${data.reason})` : ''}.`;
      setStatus('Ready.');
      break;
    case 'top5':
      showTop5(data.classes, data.ms);
      break;
    case 'error':
      $('progress').hidden = true;
      setStatus(data.message, true);
      break;
  }
};

function showTop5(classes, ms) {
  const list = $('top5');
  list.replaceChildren(...classes.map(({ label, probability }) => {
    const item = document.createElement('li');
    item.textContent = `${label.split(',')[0]} — ${(probability * 100).toFixed(1)}%`;
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${Math.max(1, probability * 100)}%`;
    item.append(bar);
    return item;
  }));
  setStatus(`Classified in ${ms.toFixed(0)} ms.`);
}

async function classify(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    setStatus(`${file.name} is not an image this browser can read.`, true);
    return;
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height);
  const preview = $('preview').getContext('2d');
  const side = Math.min(bitmap.width, bitmap.height);
  preview.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, 224, 224);
  setStatus('Classifying…');
  worker.postMessage({ type: 'top5', rgba: pixels.data.buffer, width: pixels.width, height: pixels.height },
    [pixels.data.buffer]);
}

$('file').addEventListener('change', (e) => e.target.files[0] && classify(e.target.files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) classify(e.dataTransfer.files[0]);
});
