# Sourced: builds the wasm core for the browser with cargo and wasm-bindgen (no wasm-pack: its
# only jobs were these two commands and the test runner's variables, and installing it cost CI
# minutes). wasm-opt is not run: Debian's binaryen emits a module Chromium rejects.

# wasm_bind OUT_DIR [cargo build arguments…]: the release core, bound for `import init from …`.
# tools/wasm-order then sorts its functions by name, so that gzip sees a generic's instances side
# by side (12 % smaller), and drops the name section (7 MB of function names).
wasm_bind() {
  local out=$1 target_dir=${CARGO_TARGET_DIR:-target}; shift
  cargo build --release --lib --target wasm32-unknown-unknown -p glimpse "$@"
  wasm-bindgen "$target_dir/wasm32-unknown-unknown/release/glimpse.wasm" --target web --no-typescript \
    --remove-producers-section --out-dir "$out"
  # A native tool: without the threaded build's flags, which would rebuild it each time.
  env -u RUSTC_BOOTSTRAP -u CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS CARGO_TARGET_DIR="$root/target" \
    cargo run --quiet --release -p wasm-order -- "$out/glimpse_bg.wasm" "$out/glimpse_bg.wasm"
}

# The threaded CPU build: atomics and shared memory need std rebuilt with them (stable rustc
# allows -Z build-std under RUSTC_BOOTSTRAP), and, since rust-lang/rust#147225, the linker told
# to share and import the memory and export the TLS symbols wasm-bindgen's threads use. Its own
# target folder: these flags would otherwise make every later plain build recompile everything.
# The memory may grow to 2 GiB (a shared memory needs a maximum; 5,000 examples took 376 MB).
wasm_bind_threads() {
  local out=$1; shift
  local flags="-C target-feature=+atomics,+bulk-memory,+mutable-globals -C link-arg=--shared-memory"
  flags+=" -C link-arg=--max-memory=2147483648 -C link-arg=--import-memory"
  local symbol
  for symbol in __wasm_init_tls __tls_size __tls_align __tls_base; do flags+=" -C link-arg=--export=$symbol"; done
  RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$flags" CARGO_TARGET_DIR=target/threads \
    wasm_bind "$out" -Z build-std=panic_abort,std "$@"
  # wasm-bindgen-rayon 1.3.0's thread workers call the glue's init with the two arguments it has
  # deprecated, and each thread warns in the console: the same call in the form it asks for.
  local helpers
  for helpers in "$out"/snippets/wasm-bindgen-rayon-*/src/workerHelpers*.js; do
    sed -i 's/pkg.default(data.module, data.memory)/pkg.default({ module_or_path: data.module, memory: data.memory })/' "$helpers"
    grep -q 'module_or_path: data.module' "$helpers" || { echo "$helpers: the thread workers' init call changed; see wasm_bind_threads"; return 1; }
  done
}

build_web() {
  say "building the wasm core into www/pkg (WebGPU and the CPU) and www/pkg-threads (the CPU on threads)"
  wasm_bind www/pkg --features gpu
  wasm_bind_threads www/pkg-threads --features threads
  # The page's two libraries, from node_modules (pinned in package-lock.json), served from this origin.
  mkdir -p www/vendor
  cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
  cp node_modules/idb-keyval/dist/index.js www/vendor/idb-keyval.js
  # scripts/serve.py sends these where the browser accepts them, as a static host would.
  need_apt libdeflate-tools   # compress.mjs's gzip
  node scripts/compress.mjs www/pkg/glimpse_bg.wasm www/pkg/glimpse.js www/pkg-threads/glimpse_bg.wasm www/pkg-threads/glimpse.js \
    $(find www/pkg-threads/snippets -name '*.js')
}

# The benchmark pages' build (feature `bench`: the page's API plus `GlimpseBench`), kept apart
# from the page's. Only the glimpse crate recompiles; its dependencies are shared with build_web.
build_bench_web() {
  say "building the benchmarks' wasm cores into target/bench-pkg and target/bench-pkg-threads (the same, with --features bench)"
  wasm_bind target/bench-pkg --features gpu,bench
  wasm_bind_threads target/bench-pkg-threads --features threads,bench
}

# wasm_browser_tests chrome|firefox [filter]: crate/tests/web.rs in the headless browser through
# wasm-bindgen's runner. The runner takes the first driver variable it finds (GECKODRIVER before
# CHROMEDRIVER), so each run sees only its own; the log must say it ran there.
wasm_browser_tests() {
  local browser=$1 filter=${2:-} other name log=target/web-$1.log
  case $browser in chrome) other=GECKODRIVER name=Chrome ;; firefox) other=CHROMEDRIVER name=Firefox ;; esac
  env -u $other CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    WASM_BINDGEN_TEST_ONLY_WEB=1 WASM_BINDGEN_TEST_WEBDRIVER_JSON="$root/crate/webdriver.json" \
    cargo test --release --target wasm32-unknown-unknown -p glimpse --features gpu --test web -- --nocapture $filter 2>&1 | tee "$log"
  grep -q "Running headless tests in $name" "$log" || { echo "the $browser run did not run in $name"; return 1; }
  grep -q "test result: ok" "$log" || { echo "the $browser run did not pass"; return 1; }
}

# dist/ from www/pkg (build_web first): the page's files, compressed variants, the headers' note.
write_dist() {
  say "writing dist/"
  rm -rf dist
  mkdir -p dist/www/pkg dist/www/pkg-threads dist/www/vendor dist/models
  cp index.html dist/
  cp www/*.js www/style.css dist/www/
  # The isolation worker's scope must cover the page: it sits beside index.html.
  mv dist/www/isolation-sw.js dist/
  cp -p www/pkg/glimpse.js* www/pkg/glimpse_bg.wasm* dist/www/pkg/   # with build_web's .br/.gz
  cp -p www/pkg-threads/glimpse.js* www/pkg-threads/glimpse_bg.wasm* dist/www/pkg-threads/
  cp -pr www/pkg-threads/snippets dist/www/pkg-threads/   # the thread pool's worker script
  cp -p www/vendor/* dist/www/vendor/
  # The weights with their licences and notice (the weights barely compress: sent as they are).
  cp models/efficientnet-lite*.bpk models/LICENSE-* models/NOTICE dist/models/
  # The policy as scripts/serve.py sends it: the <meta> in index.html cannot cover the worker.
  local csp
  csp=$(python3 -c 'import importlib.util, sys; sys.argv = ["serve.py"]; spec = importlib.util.spec_from_file_location("serve", "scripts/serve.py"); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); print(m.CSP)')
  cat > dist/_headers <<HEADERS
# Netlify and Cloudflare Pages read this file; other hosts: send the same headers (cross-origin
# isolation for wasm threads can also come from isolation-sw.js). See docs/deploy.md.
/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
  Content-Security-Policy: $csp
  X-Content-Type-Options: nosniff
HEADERS
  node scripts/compress.mjs $(find dist -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html')
  du -sh dist | awk '{print "    dist/: " $1}'
}

# dist/glimpse-lib/ from www/pkg* (build_web first): the drop-in library as an npm package
# folder, `npm pack` ready. No compressed variants: a site's server or bundler compresses.
write_lib() {
  say "writing dist/glimpse-lib/ (the drop-in library's npm package)"
  local out=dist/glimpse-lib
  rm -rf $out
  mkdir -p $out/pkg $out/pkg-threads $out/models
  cp lib/glimpse.js lib/glimpse.d.ts lib/worker.js lib/package.json lib/README.md www/engine.js $out/
  cp -p www/pkg/glimpse.js www/pkg/glimpse_bg.wasm $out/pkg/
  cp -p www/pkg-threads/glimpse.js www/pkg-threads/glimpse_bg.wasm $out/pkg-threads/
  cp -pr www/pkg-threads/snippets $out/pkg-threads/
  cp models/efficientnet-lite*.bpk models/LICENSE-* models/NOTICE $out/models/
  du -sh $out | awk '{print "    dist/glimpse-lib/: " $1}'
}
