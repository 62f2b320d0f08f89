#!/usr/bin/env bash
# Builds the SPA into frontend/dist: WASM (size profile) + JS glue + CSS under dist/assets/
# with the content hash in each file name, index.html and boot.js rewritten to name them,
# and pre-compressed .gz and .br twins (Debian's `brotli`, installed by `just setup`).
# Needs the wasm32 target, wasm-bindgen-cli matching Cargo.lock, and `npm ci` in frontend/
# (binaryen's wasm-opt: Debian's binaryen 108 corrupts modules that use reference types;
# terser minifies the JS glue).
set -euo pipefail
cd "$(dirname "$0")/.."
out=frontend/dist
# The flags of .cargo/config.toml, plus shorter source paths in the WASM's panic messages
# (the registry's and this checkout's absolute paths are only noise to a user).
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
RUSTFLAGS="--cfg erase_components --remap-path-prefix=$registry/= --remap-path-prefix=$PWD/=" \
  cargo build -p relay-frontend --target wasm32-unknown-unknown --profile wasm-release
rm -rf "$out" && mkdir -p "$out/assets"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$tmp" \
  target/wasm32-unknown-unknown/wasm-release/relay_frontend.wasm
wasm_opt=frontend/node_modules/.bin/wasm-opt
if [ -x "$wasm_opt" ]; then
  "$wasm_opt" -Oz --converge --enable-reference-types --enable-multivalue --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --strip-debug --strip-producers "$tmp/relay_frontend_bg.wasm" -o "$tmp/relay_frontend_bg.wasm"
else
  echo "wasm-opt not found (run 'npm ci' in frontend/): the WASM is not size-optimised" >&2
fi
cp frontend/style.css "$tmp/style.css"
# The JS glue minified (about a quarter of its compressed size).
frontend/node_modules/.bin/terser "$tmp/relay_frontend.js" --module --compress --mangle -o "$tmp/relay_frontend.min.js"
mv "$tmp/relay_frontend.min.js" "$tmp/relay_frontend.js"

# name.ext -> name.<hash>.ext in dist/assets; prints the new name.
hashed() {
  local file=$1 base ext hash
  base=$(basename "$file"); ext=${base##*.}; base=${base%.*}
  hash=$(sha256sum "$file" | cut -c1-12)
  cp "$file" "$out/assets/$base.$hash.$ext"
  echo "$base.$hash.$ext"
}
wasm=$(hashed "$tmp/relay_frontend_bg.wasm")
js=$(hashed "$tmp/relay_frontend.js")
css=$(hashed "$tmp/style.css")
# The start-up script is a file of its own so the Content-Security-Policy needs no inline script.
cat > "$tmp/boot.js" <<JS
import init from "/assets/$js";
init({ module_or_path: "/assets/$wasm" });
JS
boot=$(hashed "$tmp/boot.js")
sed -e "s|/style.css|/assets/$css|; s|/relay_frontend.js|/assets/$js|; s|/relay_frontend_bg.wasm|/assets/$wasm|; s|/boot.js|/assets/$boot|" \
  frontend/index.html > "$out/index.html"

for f in "$out"/index.html "$out"/assets/*; do
  gzip -9 -k -n "$f"
  brotli -q 11 -k "$f"
done
echo "SPA built in $out:"
total_gz=0 total_br=0
for f in "$out"/index.html "$out"/assets/*; do
  case "$f" in *.gz|*.br) continue ;; esac
  gz=$(stat -c %s "$f.gz") br=$(stat -c %s "$f.br")
  if [ "$f" != "$out/index.html" ]; then total_gz=$((total_gz + gz)) total_br=$((total_br + br)); fi
  printf '  %-44s %8d bytes (%d gzip, %d brotli)\n' "${f#"$out"/}" "$(stat -c %s "$f")" "$gz" "$br"
done
# Browsers take the brotli files over HTTPS (production); gzip is the fallback.
echo "  WASM + JS + CSS transferred: $total_br bytes brotli, $total_gz bytes gzip (budget 409600)"
[ "$total_br" -le 409600 ] || { echo "the SPA is over its 400 KB compressed budget" >&2; exit 1; }
