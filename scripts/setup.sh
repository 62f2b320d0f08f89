#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and test Relay Console. Idempotent and quick
# when everything is present. Tools come from crates.io and npm only (no binary downloads).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The SPA's WASM is built with a nightly standard library (frontend/build.sh: -Zbuild-std,
# panics that stop at once), which needs the nightly toolchain's sources.
if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  if rustup toolchain list | grep -q '^nightly'; then
    step "rustup component add rust-src --toolchain nightly"
    rustup component add rust-src --toolchain nightly
  else
    step "rustup toolchain install nightly (minimal, with rust-src)"
    rustup toolchain install nightly --profile minimal --component rust-src
  fi
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
wanted=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wanted" ]; then
  step "cargo install wasm-bindgen-cli --version $wanted (have: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$wanted"
fi

# wasm-split-cli cuts the WASM into pages loaded on demand (what cargo-leptos uses).
split_version=0.2.4
if ! cargo install --list | grep -q "^wasm_split_cli_support v$split_version:"; then
  step "cargo install wasm_split_cli_support --version $split_version"
  cargo install --locked wasm_split_cli_support --version "$split_version" --features build-binary
fi

if [ ! -x frontend/node_modules/.bin/wasm-opt ] || [ ! -x frontend/node_modules/.bin/terser ] \
   || [ ! -d frontend/node_modules/playwright-core ] \
   || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
  step "npm ci (frontend build and browser-test tools)"
  (cd frontend && npm ci --no-audit --no-fund)
fi

# brotli pre-compresses the SPA's files (the server hands them to browsers that take br).
scripts/need-apt.sh brotli brotli
