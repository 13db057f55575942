#!/usr/bin/env bash
# docs/RELIABILITY.md's table from real runs: regent-chaos once per nemesis (every workload each
# time), against one server, and one markdown row per nemesis x workload with the figures each
# run's report gives (operations, violations, acknowledged writes lost). Needs root.
#
#   scripts/chaos-matrix.sh SERVER SECONDS SEED [NEMESIS...]   (default: every nemesis, then all)
#
# SERVER is a path or "etcd"; runs go under build/release/chaos-runs/matrix-<server>-<nemesis>.
# MEMBERS=5 in the environment runs 5-member clusters (default 3).
# Prints the rows on stdout; the reports stay in the run directories.
set -euo pipefail

server="${1:?server}"; seconds="${2:?seconds}"; seed="${3:?seed}"; shift 3
nemeses=("$@")
if (( ${#nemeses[@]} == 0 )); then nemeses=(kill pause partition bridge clock disk power all); fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/release"
members="${MEMBERS:-3}"
name="$(basename "$server")"

mkdir -p "$build/chaos-runs"
for nemesis in "${nemeses[@]}"; do
  dir="$build/chaos-runs/matrix-$name-$members-$nemesis-seed$seed"
  rm -rf "$dir"
  status=0
  "$build/regent-chaos" --server "$server" --members "$members" --time "$seconds" --nemesis "$nemesis" \
    --workload all --seed "$seed" --dir "$dir" > "$dir.out" 2>&1 || status=$?
  if [[ ! -f "$dir/report.txt" ]]; then
    echo "| $name ($members) | $nemesis | (no report: exit $status, see $dir.out) | | | |"
    continue
  fi
  faults=$(grep -c '^  \[ *[0-9.]*s - ' "$dir/report.txt" || true)
  grep '^  result ' "$dir/report.txt" | while read -r _ workload ops ok failed unknown v lost; do
    echo "| $name ($members) | $nemesis ($faults) | $workload | $ops | $ok / $failed / $unknown | $v | $lost |"
  done
done
