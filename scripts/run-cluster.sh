#!/usr/bin/env bash
# Starts a local 3-member Regent cluster on 127.0.0.1 and keeps it running until Ctrl-C, then
# stops every member with SIGTERM (a leader hands over first) and waits for each to exit.
#
#   scripts/run-cluster.sh [REGENTD] [DATA_DIR]
#
# Client ports 2379, 22379, 32379; peer ports 2380, 22380, 32380; data and logs under DATA_DIR
# (default ./data). Restarting with the same DATA_DIR brings the same cluster back.
set -euo pipefail

regentd=${1:-build/release/regentd}
data=${2:-data}
names=(infra1 infra2 infra3)
client_ports=(2379 22379 32379)
peer_ports=(2380 22380 32380)

if [[ ! -x "$regentd" ]]; then
  echo "run-cluster: $regentd not found; run 'make build' first" >&2
  exit 1
fi
for port in "${client_ports[@]}" "${peer_ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run-cluster: port $port on 127.0.0.1 is in use (another cluster or etcd running?)" >&2
    exit 1
  fi
done
mkdir -p "$data"

initial=""
for i in 0 1 2; do
  initial+="${initial:+,}${names[$i]}=http://127.0.0.1:${peer_ports[$i]}"
done

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "run-cluster: stopping members (SIGTERM)..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in "${!pids[@]}"; do
    status=0
    wait "${pids[$i]}" || status=$?
    echo "run-cluster: ${names[$i]} exited with status $status"
  done
}
trap stop_all INT TERM EXIT

for i in 0 1 2; do
  name=${names[$i]}
  "$regentd" --name "$name" --data-dir "$data/$name" \
    --listen-client-urls "http://127.0.0.1:${client_ports[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${client_ports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
    --initial-cluster "$initial" --initial-cluster-token regent-local \
    >>"$data/$name.log" 2>&1 &
  pids+=($!)
done

endpoints=$(printf 'http://127.0.0.1:%s,' "${client_ports[@]}")
endpoints=${endpoints%,}
# Wait (at most 20 s) until a member reports a leader.
ready=0
for _ in $(seq 1 100); do
  for i in 0 1 2; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "run-cluster: ${names[$i]} exited; its log ($data/${names[$i]}.log) ends with:" >&2
      tail -n 5 "$data/${names[$i]}.log" >&2
      exit 1
    fi
  done
  if command -v etcdctl >/dev/null &&
     ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --dial-timeout=1s --command-timeout=2s \
       endpoint status >/dev/null 2>&1 &&
     ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --command-timeout=2s put /regent/ready "$(date -u +%FT%TZ)" \
       >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.2
done
if (( ! ready )); then
  echo "run-cluster: no leader after 20 s; see the logs under $data/" >&2
  exit 1
fi

cat <<MSG
Regent is running: 3 members on 127.0.0.1 (pids ${pids[*]}), data and logs under $data/.

  endpoints: $endpoints

Try:
  export ETCDCTL_API=3 ENDPOINTS=$endpoints
  etcdctl --endpoints \$ENDPOINTS put greeting hello
  etcdctl --endpoints \$ENDPOINTS get greeting -w json
  etcdctl --endpoints \$ENDPOINTS endpoint status -w table
  etcdctl --endpoints \$ENDPOINTS member list -w table
  etcdctl --endpoints \$ENDPOINTS get --prefix / --keys-only

Ctrl-C stops every member.
MSG
wait "${pids[@]}" || true
