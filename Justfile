# Relay Console tasks. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Install what is missing, build the SPA, and run the app on http://127.0.0.1:8080 (SQLite).
run: setup frontend
    ./scripts/run-dev.sh

# Everything CI checks: format, lints, unit + integration tests on SQLite and PostgreSQL, browser test.
test: setup frontend check
    ./scripts/ensure-test-services.sh
    cargo test --workspace --exclude relay-frontend
    cargo build --workspace --exclude relay-frontend --bins
    scripts/contract/run.sh target/debug/relay-console target/debug/relay-sim
    just e2e

# The browser tests against the built SPA and debug binaries (`just test` runs them last).
# coverage.test.mjs runs once they are all done: it maps the API calls their pages made onto
# the OpenAPI operations.
e2e:
    rm -f target/e2e/api-calls.jsonl
    RELAY_CONSOLE_BIN=target/debug/relay-console RELAY_SIM_BIN=target/debug/relay-sim \
      node --test --test-concurrency=1 frontend/e2e/session.test.mjs frontend/e2e/bulk_sends.test.mjs \
      frontend/e2e/reports_audit.test.mjs frontend/e2e/account.test.mjs \
      frontend/e2e/templates.test.mjs frontend/e2e/users.test.mjs frontend/e2e/messages.test.mjs
    node --test frontend/e2e/coverage.test.mjs

# Format and lints only: no database, no browser (the quick check before a commit).
check:
    cargo fmt --all -- --check
    cargo clippy --workspace --exclude relay-frontend --all-targets -- -D warnings
    cargo clippy -p relay-frontend --target wasm32-unknown-unknown -- -D warnings

# The fast loop: unit tests and the black-box tests on SQLite only (one report test still loads into a PostgreSQL analytics database).
test-sqlite:
    cargo test --workspace --exclude relay-frontend -- --skip postgres

# The API contract alone: schemathesis (every check) and the generated Python client.
contract: setup
    cargo build -p relay-console -p relay-sim
    scripts/contract/run.sh target/debug/relay-console target/debug/relay-sim

# Install the toolchain pieces the build needs (wasm32 target, wasm-bindgen-cli, npm tools).
setup:
    ./scripts/setup.sh

# Build the SPA into frontend/dist.
frontend:
    ./frontend/build.sh

# The release archive a server installs (binary, SPA, infra/, .env.example, checksums), checked
# after packing: target/release-archive/relay-console-<version>-x86_64-linux.tar.gz.
release: setup
    ./scripts/release.sh

# Rewrite openapi/openapi.json from the code.
openapi:
    cargo run -q -p relay-console -- openapi --output openapi/openapi.json

# Format the code.
fmt:
    cargo fmt --all

# Benchmarks against the SPEC §8 targets (release build; slow). Results: docs/benchmarks.md.
bench: setup
    ./scripts/bench.sh
