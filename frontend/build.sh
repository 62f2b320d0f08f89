#!/usr/bin/env bash
# Builds the SPA into frontend/dist: WASM (size profile) + JS glue + index.html + CSS.
# Needs the wasm32 target, wasm-bindgen-cli matching Cargo.lock, and `npm ci` in frontend/
# (binaryen's wasm-opt: Debian's binaryen 108 corrupts modules that use reference types).
set -euo pipefail
cd "$(dirname "$0")/.."
out=frontend/dist
cargo build -p relay-frontend --target wasm32-unknown-unknown --profile wasm-release
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  target/wasm32-unknown-unknown/wasm-release/relay_frontend.wasm
wasm_opt=frontend/node_modules/.bin/wasm-opt
if [ -x "$wasm_opt" ]; then
  "$wasm_opt" -Oz --enable-reference-types --enable-multivalue --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --strip-debug --strip-producers "$out/relay_frontend_bg.wasm" -o "$out/relay_frontend_bg.wasm"
else
  echo "wasm-opt not found (run 'npm ci' in frontend/): the WASM is not size-optimised" >&2
fi
cp frontend/index.html frontend/boot.js frontend/style.css "$out/"
echo "SPA built in $out:"
for f in "$out"/*; do
  printf '  %-28s %8d bytes (%d gzip)\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)"
done
