#!/usr/bin/env bash
# `just run`: a working Relay Console on http://127.0.0.1:8080 with SQLite. Without a
# configured DOPPLER_RELAY_API_KEY it starts the Doppler Relay simulator and points the app
# at it, so every flow can be tried without an account.
set -euo pipefail
cd "$(dirname "$0")/.."

set -a
[ -f .env ] && . ./.env
set +a

export DEBUG="${DEBUG:-1}"
export DATA_DIR="${DATA_DIR:-./data}"
export STATIC_DIR="${STATIC_DIR:-frontend/dist}"
export BIND_ADDR="${BIND_ADDR:-127.0.0.1:8080}"

cargo build -p relay-console --bins
bin=target/debug

./$bin/relay-console migrate
./$bin/relay-console create-superuser --username admin \
  --generate-password --if-no-users

echo
echo "Relay Console: http://${BIND_ADDR}   (API explorer: http://${BIND_ADDR}/api/docs/)"
echo
exec ./$bin/relay-console serve
