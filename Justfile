# Relay Console tasks. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Install what is missing, build the SPA, and run the app on http://127.0.0.1:8080 (SQLite).
run: setup frontend
    ./scripts/run-dev.sh

# Lints, unit + API tests on SQLite and PostgreSQL, the API contract and the browser tests, then
# the release archive and its deployment behind nginx; each phase's time printed at the end.
# Everything CI checks (see README).
test:
    scripts/phase.sh --start
    scripts/phase.sh setup ./scripts/setup.sh
    scripts/phase.sh "SPA build" ./frontend/build.sh
    scripts/phase.sh "fmt and clippy" just check
    scripts/phase.sh "test services" ./scripts/ensure-test-services.sh
    scripts/phase.sh "unit and API tests" cargo test --workspace --exclude relay-frontend
    scripts/phase.sh "debug binaries" cargo build --workspace --exclude relay-frontend --bins
    scripts/phase.sh "API contract" scripts/contract/run.sh target/debug/relay-console target/debug/relay-sim
    scripts/phase.sh "browser tests" just e2e
    scripts/phase.sh "release archive" ./scripts/release.sh
    scripts/phase.sh "deployment" just deploy-test
    scripts/phase.sh --report

# frontend/e2e/deploy.test.mjs with the archive `just release` built: its binary as the `relay`
# user on the unix socket against PostgreSQL, Debian's nginx with the shipped site, Chromium, an
# upgrade mid-send, a backup restored. Needs root, as a server does.
# The production deployment proven with the real pieces (infra/DEPLOY.md).
deploy-test:
    ./scripts/ensure-test-services.sh
    cargo build -q -p relay-sim
    RELAY_SIM_BIN=target/debug/relay-sim node --test frontend/e2e/deploy.test.mjs

# coverage.test.mjs runs once they are all done: it maps the API calls their pages made onto
# the OpenAPI operations.
# The browser tests against the built SPA and debug binaries.
e2e:
    rm -f target/e2e/api-calls.jsonl
    RELAY_CONSOLE_BIN=target/debug/relay-console RELAY_SIM_BIN=target/debug/relay-sim \
      node --test --test-concurrency=1 frontend/e2e/session.test.mjs frontend/e2e/bulk_sends.test.mjs \
      frontend/e2e/reports_audit.test.mjs frontend/e2e/account.test.mjs \
      frontend/e2e/templates.test.mjs frontend/e2e/users.test.mjs frontend/e2e/messages.test.mjs \
      frontend/e2e/system.test.mjs frontend/e2e/split.test.mjs \
      frontend/e2e/paging.test.mjs frontend/e2e/operator.test.mjs
    node --test frontend/e2e/coverage.test.mjs

# Format and lints only: no database, no browser (the quick check before a commit).
check:
    cargo fmt --all -- --check
    ! grep -n "check(true" frontend/e2e/*.mjs || { echo "a browser check that cannot fail: wait with shows()/reaches() instead" >&2; exit 1; }
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

# target/release-archive/relay-console-<version>-x86_64-linux.tar.gz, checked after packing.
# The release archive a server installs (binary, SPA, infra/, .env.example, checksums).
release: setup frontend
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
