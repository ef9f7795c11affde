#!/usr/bin/env bash
# Builds the app and serves it on http://127.0.0.1:${PORT:-8080}/.
source "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/build-web.sh"
need_wasm_toolchain
need_node_packages
build_web
exec python3 scripts/serve.py "${PORT:-8080}"
