#!/usr/bin/env bash
# Writes dist/: exactly the files the page needs, with .br/.gz variants, for any static host
# (docs/deploy.md says what to set there). `scripts/serve.py --dir dist` serves it as a host would.
source "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/build-web.sh"
need_wasm_toolchain
need_node_packages
build_web
write_dist
write_lib
