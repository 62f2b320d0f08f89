#!/usr/bin/env bash
# One phase of `just test`, timed: `scripts/phase.sh <name> <command...>` runs the command and
# keeps its time in target/test-phases.tsv; `--start` begins a run afresh, `--report` prints
# every phase's time and the total. A failing phase prints the times so far too.
set -uo pipefail
cd "$(dirname "$0")/.."
log=target/test-phases.tsv

report() {
  echo "time per phase:"
  awk -F'\t' '{ printf "  %-22s %5d s  %s\n", $1, $2, ($3 == 0 ? "" : "FAILED"); total += $2 }
    END { printf "  %-22s %5d s (%d min)\n", "total", total, total / 60 }' "$log"
}

case "${1:-}" in
  --start) mkdir -p target && : > "$log"; exit 0 ;;
  --report) report; exit 0 ;;
  "") echo "usage: scripts/phase.sh --start | --report | <name> <command...>" >&2; exit 2 ;;
esac
name=$1
shift
start=$(date +%s)
"$@"
status=$?
printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - start))" "$status" >> "$log"
[ "$status" -eq 0 ] || report >&2
exit "$status"
