// Wasm threads need a cross-origin-isolated page, which takes two response headers (COOP and
// COEP). scripts/serve.py and hosts that read dist/_headers send them; on a host that cannot,
// dist/isolation-sw.js adds them in a service worker, at the cost of one reload on the first
// visit. Nothing happens where the page is isolated already, or where service workers are absent.
if (!self.crossOriginIsolated && window.isSecureContext && navigator.serviceWorker) {
  const reloaded = sessionStorage.getItem('glimpse-isolation-reload');
  navigator.serviceWorker.register('isolation-sw.js').then((registration) => {
    // An active worker that did not isolate this load would not do better on the next one;
    // no registration at all (service workers blocked by policy) means none will run.
    if (!registration || reloaded || (registration.active && navigator.serviceWorker.controller)) return;
    sessionStorage.setItem('glimpse-isolation-reload', '1');
    const reload = () => location.reload();
    if (navigator.serviceWorker.controller) reload();
    else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
  }, () => {}); // no worker file (the repository served without the headers): run unisolated
}
