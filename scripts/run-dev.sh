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
mkdir -p "$DATA_DIR"

cargo build -p relay-console -p relay-sim --bins
bin=target/debug

# No Doppler account configured: run the simulator and point the app at it.
if [ -z "${DOPPLER_RELAY_API_KEY:-}" ]; then
  sim_addr=127.0.0.1:8025
  ./$bin/relay-sim --listen "$sim_addr" --api-key local-simulator-key --account-id 9518 \
    --report-delay-ms 5000 > "$DATA_DIR/relay-sim.log" 2>&1 &
  sim_pid=$!
  trap 'kill $sim_pid 2>/dev/null' EXIT
  export DOPPLER_RELAY_API_KEY=local-simulator-key
  export DOPPLER_RELAY_ACCOUNT_ID=9518
  export DOPPLER_RELAY_BASE_URL="http://$sim_addr/"
  export DOPPLER_RELAY_FROM_EMAIL="${DOPPLER_RELAY_FROM_EMAIL:-cobranzas@example.com}"
  export DOPPLER_RELAY_FROM_NAME="${DOPPLER_RELAY_FROM_NAME:-Equipo Cobranza}"
  echo "Doppler Relay: simulator on http://$sim_addr (no DOPPLER_RELAY_API_KEY configured)"
fi

./$bin/relay-console migrate
./$bin/relay-console create-superuser --username admin \
  --generate-password --if-no-users

echo
echo "Relay Console: http://${BIND_ADDR}   (API explorer: http://${BIND_ADDR}/api/docs/)"
echo
./$bin/relay-console serve
