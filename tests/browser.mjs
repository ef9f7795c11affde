// Shared by the end-to-end tests and the benchmarks: serve the repository on loopback and
// launch Debian's Chromium headless with software WebGPU (SwiftShader).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = fileURLToPath(new URL('..', import.meta.url));

const FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WEBGPU = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'];
const NO_WEBGPU = ['--disable-webgpu'];

/** What the benchmark pages load beside the page's own files (scripts/serve.py serves only those). */
export const BENCH_FILES = ['tests/bench/', 'target/bench-pkg/', 'target/bench-pkg-threads/', 'target/fixtures/', 'target/reference/', 'target/bench/', 'node_modules/onnxruntime-web/dist/'];

/** Starts scripts/serve.py on a free port, serving the page and `allow`'s prefixes; resolves to { url, close }. */
export async function serve(allow = []) {
  // A random port may be taken (by another test's server): try another.
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const args = ['scripts/serve.py', String(port), ...allow.flatMap((prefix) => ['--allow', prefix])];
    const server = spawn('python3', args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const started = await Promise.race([once(server.stdout, 'data').then(([line]) => String(line)), once(server, 'exit').then(() => null)]);
    if (started?.includes('serving')) return { url: `http://127.0.0.1:${port}/`, close: () => server.kill() };
    server.kill();
    if (attempt === 4) throw new Error(`the server did not start: ${started}`);
  }
}

/**
 * Headless Chromium, with software WebGPU or with WebGPU switched off. `webcam`: a .y4m file the
 * fake camera plays in a loop (access granted), or 'denied' (a camera exists, access is refused).
 */
export function launch({ webgpu = true, webcam = null } = {}) {
  const camera = webcam === 'denied'
    ? ['--use-fake-device-for-media-stream', '--deny-permission-prompts']
    : webcam ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${webcam}`] : [];
  const args = [...FLAGS, ...(webgpu ? WEBGPU : NO_WEBGPU), ...camera];
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args });
}
