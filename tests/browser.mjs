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

/** Starts scripts/serve.py on a free port; resolves to { url, close }. */
export async function serve() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn('python3', ['scripts/serve.py', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(server.stdout, 'data');
  if (!String(line).includes('serving')) throw new Error(`server did not start: ${line}`);
  return { url: `http://127.0.0.1:${port}/`, close: () => server.kill() };
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
