// The webcam: opens it, lists the cameras to pick from (front, rear, external…), mirrors the
// preview on request, and explains in plain words when there is no camera or it was refused.
import { grab } from './frames.js';
import { $ } from './dom.js';
const CHOICE = 'glimpse.camera';
const MIRROR = 'glimpse.mirror';
// On a phone people point the camera at things: the rear one is the default there.
const ON_A_PHONE = matchMedia('(pointer: coarse)').matches && navigator.maxTouchPoints > 0;

function explain(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'The camera is blocked for this page. Allow it in the browser’s site settings and reload — or add examples by uploading or dropping images on a class.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect one and reload — or add examples by uploading or dropping images on a class.';
    case 'NotReadableError':
      return 'The camera is in use by another program. Close it and pick the camera again — or upload images.';
    default:
      return `The camera could not start (${error?.message ?? error}). You can still upload images.`;
  }
}

export function createCamera({ onChange }) {
  const video = $('video');
  const select = $('camera-select');
  let stream = null;

  const mirror = $('mirror');
  const chosen = localStorage.getItem(MIRROR);
  mirror.checked = chosen ? chosen === 'on' : !ON_A_PHONE;
  const applyMirror = () => video.classList.toggle('mirrored', mirror.checked);
  mirror.addEventListener('change', () => { localStorage.setItem(MIRROR, mirror.checked ? 'on' : 'off'); applyMirror(); });
  applyMirror();

  function say(text) {
    $('camera-message').textContent = text;
    $('camera-message').hidden = !text;
  }

  // Names people recognise: a label that is a device path or empty becomes "Camera N".
  const cameraName = (d, i) => (d.label && !/[\\/]/.test(d.label) ? d.label : `Camera ${i + 1}`);
  async function listCameras(activeId) {
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    select.replaceChildren(...cameras.map((d, i) => new Option(cameraName(d, i), d.deviceId, false, d.deviceId === activeId)));
    $('camera-choice').hidden = cameras.length < 2;
  }

  async function open(deviceId) {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    if (!navigator.mediaDevices?.getUserMedia) {
      say('This browser gives the page no camera (it needs https or localhost). You can still upload images.');
      onChange(false);
      return;
    }
    say('Starting the camera…');
    try {
      const video_ = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: ON_A_PHONE ? 'environment' : 'user' }, width: { ideal: 640 }, height: { ideal: 480 } };
      stream = await navigator.mediaDevices.getUserMedia({ video: video_, audio: false });
    } catch (e) {
      if (deviceId && e.name === 'OverconstrainedError') return open(null); // the saved camera is gone
      say(explain(e));
      onChange(false);
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    const track = stream.getVideoTracks()[0];
    const { deviceId: active, facingMode } = track.getSettings();
    // A camera facing away is shown as it is; one facing the user as a mirror, unless chosen.
    if (!localStorage.getItem(MIRROR)) { mirror.checked = facingMode ? facingMode === 'user' : !ON_A_PHONE; applyMirror(); }
    if (active) localStorage.setItem(CHOICE, active);
    track.addEventListener('ended', () => { say('The camera stopped. Pick it again to restart.'); onChange(false); });
    await listCameras(active);
    say('');
    onChange(true);
  }

  select.addEventListener('change', () => open(select.value));

  return {
    start: () => open(localStorage.getItem(CHOICE)),
    grab: () => (stream ? grab(video) : null),
    get on() { return !!stream; },
  };
}
