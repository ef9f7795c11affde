# Sourced: builds the wasm core for the browser with cargo and wasm-bindgen (no wasm-pack: its
# only jobs were these two commands and the test runner's variables, and installing it cost CI
# minutes). wasm-opt is not run: Debian's binaryen emits a module Chromium rejects.

# wasm_bind OUT_DIR [cargo build arguments…]: the release core, bound for `import init from …`.
# The debugging name section (7 MB of function names) stays out of what a browser downloads.
wasm_bind() {
  local out=$1; shift
  cargo build --release --lib --target wasm32-unknown-unknown -p glimpse "$@"
  wasm-bindgen target/wasm32-unknown-unknown/release/glimpse.wasm --target web --no-typescript \
    --remove-name-section --remove-producers-section --out-dir "$out"
}

build_web() {
  say "building the wasm core into www/pkg (cargo build --release --target wasm32-unknown-unknown; wasm-bindgen)"
  wasm_bind www/pkg
  # The page's two libraries, from node_modules (pinned in package-lock.json), served from this origin.
  mkdir -p www/vendor
  cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
  cp node_modules/idb-keyval/dist/index.js www/vendor/idb-keyval.js
  # scripts/serve.py sends these where the browser accepts them, as a static host would.
  node scripts/compress.mjs www/pkg/glimpse_bg.wasm www/pkg/glimpse.js
}

# The benchmark pages' build (feature `bench`: the page's API plus `GlimpseBench`), kept apart
# from the page's. Only the glimpse crate recompiles; its dependencies are shared with build_web.
build_bench_web() {
  say "building the benchmarks' wasm core into target/bench-pkg (the same, with --features bench)"
  wasm_bind target/bench-pkg --features bench
}

# wasm_browser_tests chrome|firefox [filter]: crate/tests/web.rs in the headless browser through
# wasm-bindgen's runner. The runner takes the first driver variable it finds (GECKODRIVER before
# CHROMEDRIVER), so each run sees only its own; the log must say it ran there.
wasm_browser_tests() {
  local browser=$1 filter=${2:-} other name log=target/web-$1.log
  case $browser in chrome) other=GECKODRIVER name=Chrome ;; firefox) other=CHROMEDRIVER name=Firefox ;; esac
  env -u $other CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    WASM_BINDGEN_TEST_ONLY_WEB=1 WASM_BINDGEN_TEST_WEBDRIVER_JSON="$root/crate/webdriver.json" \
    cargo test --release --target wasm32-unknown-unknown -p glimpse --test web -- --nocapture $filter 2>&1 | tee "$log"
  grep -q "Running headless tests in $name" "$log" || { echo "the $browser run did not run in $name"; return 1; }
  grep -q "test result: ok" "$log" || { echo "the $browser run did not pass"; return 1; }
}

# dist/ from www/pkg (build_web first): the page's files, compressed variants, the headers' note.
write_dist() {
  say "writing dist/"
  rm -rf dist
  mkdir -p dist/www/pkg dist/www/vendor dist/models
  cp index.html dist/
  cp www/*.js www/style.css dist/www/
  # The isolation worker's scope must cover the page: it sits beside index.html.
  mv dist/www/isolation-sw.js dist/
  cp -p www/pkg/glimpse.js* www/pkg/glimpse_bg.wasm* dist/www/pkg/   # with build_web's .br/.gz
  cp -p www/vendor/* dist/www/vendor/
  # The weights with their licences and notice (the weights barely compress: sent as they are).
  cp models/efficientnet-lite0.bpk models/LICENSE-* models/NOTICE dist/models/
  cat > dist/_headers <<'HEADERS'
# Cross-origin isolation, for wasm threads (Netlify and Cloudflare Pages read this file; other
# hosts: set the same two headers, or rely on isolation-sw.js). See docs/deploy.md.
/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
HEADERS
  node scripts/compress.mjs $(find dist -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html')
  du -sh dist | awk '{print "    dist/: " $1}'
}
