# Sourced: builds the wasm package into www/pkg (release, wasm-opt'd by wasm-pack).
build_web() {
  say "building the wasm core into www/pkg (wasm-pack build --release)"
  wasm-pack build --release --target web --no-typescript --no-pack --out-dir ../www/pkg crate
  ls -l www/pkg/*.wasm | awk '{printf "    wasm size: %.1f MB\n", $5 / 1e6}'
}
