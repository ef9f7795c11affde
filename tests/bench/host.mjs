// `node tests/bench/host.mjs`: what one warm Lite0 frame on WebGPU costs the browser's CPU, by
// process: the page's main thread (the wasm core, its JS glue and WebGPU's client side: the host
// cost that a real GPU would not hide) and the GPU process (on SwiftShader, mostly the shaders
// themselves). BUILDS lists bench or page builds with WebGPU (folders holding glimpse.js); each
// round loads every build in a fresh headless Chromium, alternating, and the table gives each
// build's median with its ratio to the first build's. CPU time is the kernel's per-thread run time
// (/proc/PID/task/TID/schedstat), read just before and after FRAMES warm calls.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { serve, launch, root, BENCH_FILES } from '../browser.mjs';

const fixtures = process.env.GLIMPSE_FIXTURES ?? path.join(root, 'target/fixtures');
const photo = path.relative(root, path.join(fixtures, 'chelsea.png'));
const builds = (process.env.BUILDS ?? 'target/bench-pkg').split(',');
const frames = Number(process.env.FRAMES ?? 10);
const rounds = Number(process.env.ROUNDS ?? 3);

/** Milliseconds process `pid` has run: its main thread, and all its threads. */
function runMs(pid) {
  const ms = (tid) => {
    try {
      return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      return 0; // the thread ended
    }
  };
  return { main: ms(pid), all: readdirSync(`/proc/${pid}/task`).reduce((total, tid) => total + ms(tid), 0) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(server, build) {
  const browser = await launch();
  try {
    const cdp = await browser.newBrowserCDPSession();
    const page = await browser.newPage();
    const marks = [];
    await page.exposeFunction('mark', async () => {
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
      const pid = (type) => processInfo.filter((p) => p.type === type).map((p) => p.id);
      // The page's renderer is the one whose main thread has run the most (the wasm core).
      const renderer = pid('renderer').map(runMs).reduce((a, b) => (a.main >= b.main ? a : b));
      marks.push({ main: renderer.main, renderer: renderer.all, gpu: pid('GPU').reduce((total, p) => total + runMs(p).all, 0) });
    });
    const pkg = `/${path.relative(root, path.resolve(root, build, 'glimpse.js'))}`;
    await page.goto(`${server.url}tests/bench/host.html?photo=/${photo}&frames=${frames}&pkg=${pkg}`);
    const result = await page.evaluate(() => window.results, null);
    if (result.error) throw new Error(`${build}: ${result.error}`);
    const [a, b] = marks;
    const per = (key) => (b[key] - a[key]) / result.frames;
    return { adapter: result.adapter, wall: result.wallMs / result.frames, main: per('main'), renderer: per('renderer'), gpu: per('gpu') };
  } finally {
    await browser.close();
  }
}

const server = await serve(BENCH_FILES);
try {
  const samples = new Map(builds.map((b) => [b, []]));
  for (let round = 0; round < rounds; round++) {
    for (const build of builds) {
      const s = await measure(server, build);
      samples.get(build).push(s);
      console.log(`round ${round + 1}\t${build}\t${s.adapter}\twall ${s.wall.toFixed(1)}\tmain thread ${s.main.toFixed(2)}\trenderer ${s.renderer.toFixed(1)}\tGPU process ${s.gpu.toFixed(1)} ms/frame`);
    }
  }
  const of = (build, key) => median(samples.get(build).map((s) => s[key]));
  const first = builds[0];
  console.log(`\nWebGPU, batch 1, ${frames} warm frames a round, median of ${rounds} rounds (ms per frame; ratio to ${first})`);
  console.log('build\twall\tpage main thread (host)\trenderer, all threads\tGPU process');
  for (const build of builds) {
    const cell = (key) => `${of(build, key).toFixed(2)} (${(of(build, key) / of(first, key)).toFixed(2)}x)`;
    console.log([build, cell('wall'), cell('main'), cell('renderer'), cell('gpu')].join('\t'));
  }
} finally {
  server.close();
}
