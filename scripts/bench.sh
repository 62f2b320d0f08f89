#!/usr/bin/env bash
# `just bench`: every benchmark of SPEC §8 this build covers, printed beside its target.
# Release build; generated input files are kept in target/bench between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-test-services.sh >/dev/null 2>&1 || true
# The report-load baselines use the database command-line clients.
for tool in psql sqlite3; do
  command -v $tool >/dev/null || { echo "bench needs '$tool' (Debian: apt-get install postgresql-client sqlite3)" >&2; exit 1; }
done

cargo build --release -p relay-bench -p relay-sim -p relay-console
./frontend/build.sh
bin=target/release
out=target/bench
mkdir -p "$out"

gen() { # kind rows file
  [ -s "$3" ] || python3 api/tests/fixtures/gen_csv.py "$1" "$2" > "$3"
}
gen recipients 100000 "$out/recipients-100k.csv"
gen recipients 1000000 "$out/recipients-1m.csv"
gen report 1000000 "$out/report-1m.csv"

echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| what | database | size | time | result | memory |"
echo "|---|---|---|---|---|---|"
for db in sqlite postgres; do
  $bin/relay-bench import --file "$out/recipients-100k.csv" --db $db --target-seconds 1.5
  $bin/relay-bench import --file "$out/recipients-1m.csv" --db $db --target-seconds 15
done

$bin/relay-sim --listen 127.0.0.1:0 --api-key bench --account-id 9518 --latency-ms 20 > "$out/relay-sim.log" 2>&1 &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null' EXIT
sim_url=
for _ in $(seq 100); do # the simulator prints its address once it listens
  sim_url=$(grep -o 'http://[0-9.:]*' "$out/relay-sim.log" | head -1 || true)
  [ -n "$sim_url" ] && break
  sleep 0.1
done
[ -n "$sim_url" ] || { echo "the simulator did not start:" >&2; cat "$out/relay-sim.log" >&2; exit 1; }
for db in sqlite postgres; do
  $bin/relay-bench dispatch --file "$out/recipients-100k.csv" --db $db --sim "$sim_url/" \
    --latency-ms 20 --concurrency "${BENCH_CONCURRENCY:-40}" --rate "${BENCH_RATE:-1500}"
done

# Report load: ours (COPY / batched inserts, typed) beside psql \copy / sqlite3 .import of the same file.
for db in postgres sqlite; do
  $bin/relay-bench load --file "$out/report-1m.csv" --db $db
done

# The SPA: what a browser downloads (brotli, as served over HTTPS) and the first screen.
# shellcheck disable=SC1091 # written by frontend/build.sh
. target/spa-sizes.env
verdict=$([ "$first_br" -le "$first_br_max" ] && [ "$first_gz" -le "$first_gz_max" ] && echo "meets" || echo "MISSES")
echo "| SPA first screen (sign-in + Envíos) | shell, JS, main WASM, CSS | $first_br bytes brotli, $first_gz bytes gzip | | ceiling $first_br_max / $first_gz_max: $verdict (aim 150 / 200 KB) | |"
echo "| SPA, every page | all chunks | $total_br bytes brotli, $total_gz bytes gzip | | reported, not capped | |"
node frontend/e2e/first_screen.mjs $bin/relay-console
