#!/usr/bin/env bash
# The API contract test: schemathesis with every check against the served OpenAPI document,
# then a Python client generated from that document drives examples/python against the real
# server. Usage: scripts/contract/run.sh <relay-console binary> <relay-sim binary>
# Env: CONTRACT_EXAMPLES (examples per operation, default 25), CONTRACT_SEED.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/debug/relay-console}
sim_bin=${2:-target/debug/relay-sim}
venv=target/venv
if [ ! -x "$venv/bin/st" ] || [ ! -x "$venv/bin/openapi-python-client" ]; then
  echo "==> python3 -m venv $venv && pip install schemathesis openapi-python-client"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/contract/requirements.txt
fi

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sim_port=$(free_port)
port=$(free_port)
export SECRET_KEY=cT4nQ8rW2kZ6mX1vB9jL5fH3yS7dG0eAaUoIiPpEeRrT
export DATABASE_URL="sqlite://$work/contract.sqlite3?mode=rwc"
export DATA_DIR="$work" BIND_ADDR="127.0.0.1:$port" ALLOWED_HOSTS=127.0.0.1,localhost
export DOPPLER_RELAY_API_KEY=contract-sim-key DOPPLER_RELAY_ACCOUNT_ID=9518
export DOPPLER_RELAY_BASE_URL="http://127.0.0.1:$sim_port/"
export DOPPLER_RELAY_FROM_EMAIL=cobranzas@example.com DOPPLER_RELAY_FROM_NAME="Equipo Cobranza"
export BULK_SCHEDULER_ENABLED=false REPORTS_TIMER_ENABLED=false
"$sim_bin" --listen "127.0.0.1:$sim_port" --api-key contract-sim-key --account-id 9518 > "$work/sim.log" 2>&1 &
sim_pid=$!
password=contract-admin-password
echo "$password" | "$bin" create-superuser --username contract --password-stdin > /dev/null
"$bin" serve > "$work/serve.log" 2>&1 &
serve_pid=$!
cleanup() {
  kill "$serve_pid" "$sim_pid" 2>/dev/null || true
  wait "$serve_pid" "$sim_pid" 2>/dev/null || true
  if [ "${KEEP_CONTRACT_DIR:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -sf "$base/readyz" > /dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.1
done
curl -sf "$base/readyz" > /dev/null || { echo "the server never became ready" >&2; cat "$work/serve.log"; exit 1; }

echo "==> schemathesis --checks all against $base/api/openapi.json"
# NUL characters are left out of generated text: PostgreSQL cannot store them, and the API
# refuses them with 400 text_nul_char (tested on its own in api/tests).
# It runs inside the temporary directory so its caches (.schemathesis, .hypothesis) go with it.
repo=$(pwd)
(cd "$work" && RELAY_BASE="$base" RELAY_USERNAME=contract RELAY_PASSWORD="$password" \
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$repo/scripts/contract" \
  "$repo/$venv/bin/st" run "$base/api/openapi.json" \
    --checks all \
    --max-examples "${CONTRACT_EXAMPLES:-25}" \
    --seed "${CONTRACT_SEED:-20261130}" \
    --generation-allow-x00 false \
    --workers 1 \
    --no-color \
    --exclude-path /metrics \
    ${CONTRACT_EXTRA:-})

echo "==> a Python client generated from $base/api/openapi.json runs examples/python/send_campaign.py"
client_dir="$work/client"
mkdir -p "$client_dir"
generated=$("$venv/bin/openapi-python-client" generate --url "$base/api/openapi.json" \
  --config examples/python/client-config.yaml --meta none \
  --output-path "$client_dir/relay_console_client" 2>&1)
echo "$generated"
if grep -qi "warning\|error\|skipping" <<< "$generated"; then
  echo "the client generator reported problems with the OpenAPI document" >&2
  exit 1
fi
# A user schemathesis never saw, from an address it never used: its fuzzing throttles
# failed logins of "contract" and of the loopback address.
echo "$password" | "$bin" create-superuser --username example --password-stdin > /dev/null
access=$(curl -sSf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -H 'X-Real-IP: 10.255.255.2' \
  -d "{\"username\":\"example\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
api_token=$(curl -sSf -X POST "$base/api/v1/tokens" -H 'content-type: application/json' \
  -H 'X-Real-IP: 10.255.255.2' \
  -H "Authorization: Bearer $access" \
  -d "{\"name\":\"example script\",\"password\":\"$password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
RELAY_BASE="$base" RELAY_TOKEN="$api_token" PYTHONPATH="$client_dir" \
  "$venv/bin/python" examples/python/send_campaign.py \
    api/tests/fixtures/recipients/variables_deuda.csv "Descuento en su deuda" "$work/outcomes.csv"
sent=$(python3 -c 'import csv,sys; rows=csv.DictReader(open(sys.argv[1], encoding="utf-8-sig"), delimiter=";"); print(sum(r["Estado"] == "enviado" for r in rows))' "$work/outcomes.csv")
if [ "$sent" != 3 ]; then
  echo "expected the 3 recipients of variables_deuda.csv sent, found $sent:" >&2
  cat "$work/outcomes.csv" >&2
  exit 1
fi
echo "ok - the generated client sent 3 of 3 recipients and downloaded their outcomes"
