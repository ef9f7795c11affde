# Sourced by serve.sh, test.sh and bench.sh: installs what a fresh Debian machine lacks, saying
# what it does. Each step is skipped when its tool is already there.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

# Each step starts with the minutes since the script began, so a CI log shows where the time goes.
say() { printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# The test tools are built at opt-level 1 in one shared folder: they only move bytes between
# processes, and full optimisation doubled their share of a CI run (geckodriver alone took 3 min).
install_tool() {
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_TARGET_DIR="$root/target/tools" cargo install --quiet "$@"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: browsers and their drivers, software Vulkan (Firefox's WebGPU; native wgpu).
need_apt() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

need_wasm_toolchain() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  # The threaded build recompiles std with atomics (-Z build-std), from std's sources.
  if ! rustup component list --installed | grep -q '^rust-src'; then
    say "adding the Rust component rust-src"
    rustup component add rust-src
  fi
  # wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly (the bindings' format
  # changes between versions); it is also the browser tests' runner.
  local version
  version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$version"; then
    say "installing wasm-bindgen-cli $version (matches Cargo.lock)"
    install_tool wasm-bindgen-cli --version "=$version"
  fi
}

need_browsers() {
  need_apt chromium chromium-driver firefox-esr mesa-vulkan-drivers
  if ! command -v geckodriver >/dev/null; then
    say "installing geckodriver"
    install_tool geckodriver --locked
  fi
}

# A virtual environment with the independent reference's packages.
need_python_reference() {
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import numpy, onnx, onnxruntime, PIL' 2>/dev/null; then
    say "creating .venv with the tests' Python packages (numpy, onnx, onnxruntime for the reference; Pillow for the webcam video)"
    python3 -m venv .venv
    .venv/bin/pip install --quiet -r tests/reference/requirements.txt
  fi
}

# The ONNX graph of Lite0 that onnxruntime-web runs beside Glimpse, built by the independent
# reference from the original checkpoint.
need_reference_onnx() {
  if [ ! -f target/reference/efficientnet-lite0.onnx ]; then
    say "building the reference ONNX graph of Lite0 (tests/reference/lite_reference.py onnx)"
    mkdir -p target/reference
    .venv/bin/python tests/reference/lite_reference.py onnx target/fixtures/efficientnet-lite0.pth target/reference/efficientnet-lite0.onnx
  fi
}

need_node_packages() {
  if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/uplot ] || [ ! -d node_modules/idb-keyval ] || [ ! -d node_modules/onnxruntime-web ] || [ ! -d node_modules/axe-core ]; then
    say "installing npm packages (uPlot and idb-keyval for the page; playwright-core, which drives Debian's Chromium, no browser download; onnxruntime-web to compare with; axe-core, which checks the page's accessibility)"
    npm ci --silent --no-audit --no-fund
  fi
}

# The browser tests' drivers and flags (webdriver.json beside crate/Cargo.toml holds the flags).
browser_env() {
  export CHROMEDRIVER=/usr/bin/chromedriver
  GECKODRIVER=$(command -v geckodriver)
  export GECKODRIVER
  export WASM_BINDGEN_TEST_TIMEOUT=900
}
