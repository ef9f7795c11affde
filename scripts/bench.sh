#!/usr/bin/env bash
# Times the backbone natively (CPU and wgpu) and in headless Chromium (WebGPU and the wasm CPU
# fallback), then side by side with onnxruntime-web. Each table's ratios are against a reference
# run in the same process or browser session.
source "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/build-web.sh"
need_apt mesa-vulkan-drivers chromium
need_wasm_toolchain
need_node_packages
tests/fixtures/fetch.sh >/dev/null

say "native: glimpse bench, glimpse bench learn"
cargo run --quiet --release --features bench,gpu --bin glimpse -- bench --iterations "${ITERATIONS:-10}"
cargo run --quiet --release --features bench,gpu --bin glimpse -- bench learn --iterations "${ITERATIONS:-10}"
build_web
build_bench_web
say "browser: node tests/bench/backbone.mjs (headless Chromium)"
node tests/bench/backbone.mjs
say "browser: node tests/bench/host.mjs (what a warm WebGPU frame costs the browser's CPU, by process)"
node tests/bench/host.mjs
say "the page with the fake webcam: node tests/bench/page.mjs (FRAMES=${FRAMES:-10000} live frames)"
need_python_reference
.venv/bin/python tests/e2e/make_webcam.py target/fixtures target/fixtures/webcam.y4m
node tests/bench/page.mjs
say "a big project in the page: node tests/bench/examples.mjs (EXAMPLES=${EXAMPLES:-5000}, FILL=${FILL:-cli}: past the 100th, the CLI's project imported)"
FILL=${FILL:-cli} node tests/bench/examples.mjs
say "a soak: node tests/bench/soak.mjs (MINUTES=${MINUTES:-30} of live classification, captures and retraining)"
node tests/bench/soak.mjs
say "side by side with onnxruntime-web: node tests/bench/versus.mjs (one Chromium session; the table goes to target/bench/versus.md)"
need_reference_onnx
node tests/bench/versus.mjs
say "op by op beside onnxruntime-web: node tests/bench/ops.mjs (both CPU builds; the table goes to target/bench/ops.md)"
node tests/bench/ops.mjs
