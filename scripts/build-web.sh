# Sourced: builds the wasm package of the page into www/pkg (release; wasm-opt is off in
# crate/Cargo.toml because Debian's binaryen emits a module Chromium rejects).
build_web() {
  say "building the wasm core into www/pkg (wasm-pack build --release)"
  wasm-pack build --release --target web --no-typescript --no-pack --out-dir ../www/pkg crate
  # The page's two libraries, from node_modules (pinned in package-lock.json), served from this origin.
  mkdir -p www/vendor
  cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
  cp node_modules/idb-keyval/dist/index.js www/vendor/idb-keyval.js
  ls -l www/pkg/*.wasm | awk '{printf "    wasm size: %.1f MB\n", $5 / 1e6}'
}

# The benchmark pages' build (feature `bench`: the page's API plus `GlimpseBench`), kept apart
# from the page's. Only the glimpse crate recompiles; its dependencies are shared with build_web.
build_bench_web() {
  say "building the benchmarks' wasm core into target/bench-pkg (wasm-pack build --release -- --features bench)"
  wasm-pack build --release --target web --no-typescript --no-pack --out-dir ../target/bench-pkg crate -- --features bench
}
