#!/usr/bin/env bash
# Fails if a deterministic layer includes anything that brings in threads, clocks, files,
# sockets, ambient randomness, generated protobuf code, or a layer it may not use.
#
# Why: DESIGN.md requires raft/ (the consensus core) and kv/ (the replicated state machine) to be
# deterministic functions of their inputs, so that sim/ can replay any run from a seed and every
# member applying the same log reaches the same state. One stray <chrono> or <random> breaks that
# silently; this check breaks the build instead. Registered as the ctest test `layering`.
#
# Usage: scripts/check-layering.sh [repo-root]   (default: the repo this script lives in)
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

# Extended regexes matched against what follows `#include`. Extend these lists, not the code.
common_forbidden=(
  '<grpc'                   # networking / RPC
  '"[^"]*\.pb\.h"'          # generated protobuf: these layers use plain structs
  '<thread>' '<mutex>' '<shared_mutex>' '<condition_variable>' '<future>'  # threads
  '<chrono>' '<ctime>'      # clocks: the core counts ticks; kv is told what happened
  '<random>'                # ambient randomness: a seeded PRNG is injected
  '<fstream>' '<filesystem>' '<iostream>'  # files and process-wide streams
)
# Per layer, the other layers it must not include (DESIGN.md, "Layers").
declare -A layers_forbidden=(
  [raft]='"(server|storage|transport|kv|client|sim|tools)/'
  [kv]='"(server|storage|transport|raft|client|sim|tools)/'
)

failed=0
for layer in raft kv; do
  dir="$root/src/$layer"
  if [[ ! -d "$dir" ]]; then
    echo "layering: src/$layer does not exist yet; nothing to check"
    continue
  fi
  forbidden=("${layers_forbidden[$layer]}" "${common_forbidden[@]}")
  pattern="^[[:space:]]*#[[:space:]]*include[[:space:]]*($(IFS='|'; echo "${forbidden[*]}"))"
  # grep exits 0 on a match, 1 on none (the passing case), 2 on an error (which must not pass).
  status=0
  offending=$(cd "$root" && grep -rnE --include='*.h' --include='*.cc' --include='*.hpp' \
    --include='*.cpp' --include='*.inc' "$pattern" "src/$layer") || status=$?
  case $status in
    0)
      echo "layering: src/$layer/ must not use threads, clocks, files, sockets, ambient"
      echo "randomness or layers it may not use (DESIGN.md, 'Layers'):"
      echo "$offending"
      failed=1 ;;
    1)
      echo "layering: OK, src/$layer/ includes nothing forbidden" ;;
    *)
      echo "layering: grep failed (exit $status)" >&2
      exit 2 ;;
  esac
done

# The node core (src/server/node/) is deterministic too, and the simulator runs it: no gRPC, no
# threads of its own, no ambient randomness, no files but through storage/. It may use protobuf
# messages (the log's requests), <chrono> for the time it is told, and the state machine's
# reader lock (<shared_mutex>, <mutex>): readers on gRPC threads see it between applies.
node_forbidden='^[[:space:]]*#[[:space:]]*include[[:space:]]*(<grpc|"[^"]*\.grpc\.pb\.h"|<thread>|<condition_variable>|<future>|<random>|<fstream>|<filesystem>|<iostream>|"(transport|client|sim|tools|loadgen)/|"server/([^/]*"|(api|lease|election|watch|host)/))'
if [[ -d "$root/src/server/node" ]]; then
  status=0
  offending=$(cd "$root" && grep -rnE --include='*.h' --include='*.cc' "$node_forbidden" \
    src/server/node) || status=$?
  case $status in
    0)
      echo "layering: src/server/node/ must stay deterministic and free of gRPC (DESIGN.md):"
      echo "$offending"
      failed=1 ;;
    1)
      echo "layering: OK, src/server/node/ includes nothing forbidden" ;;
    *)
      echo "layering: grep failed (exit $status)" >&2
      exit 2 ;;
  esac
fi

# The rooms of src/server/ (docs/ARCHITECTURE.md): the gRPC services (api/) are built on the
# lessor (lease/), the election queues (election/), the watch hub (watch/) and the threads around
# the node core (host/), never the other way round, so that each room can be read and tested
# without the services.
rooms_pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*"server/api/'
for room in lease election watch host; do
  [[ -d "$root/src/server/$room" ]] || continue
  status=0
  offending=$(cd "$root" && grep -rnE --include='*.h' --include='*.cc' "$rooms_pattern" \
    "src/server/$room") || status=$?
  case $status in
    0)
      echo "layering: src/server/$room/ must not use the gRPC services of src/server/api/:"
      echo "$offending"
      failed=1 ;;
    1)
      echo "layering: OK, src/server/$room/ does not use src/server/api/" ;;
    *)
      echo "layering: grep failed (exit $status)" >&2
      exit 2 ;;
  esac
done

# The client library speaks the gRPC API only (DESIGN.md): neither it nor regentctl, built on
# it, may include a layer of the server side (except regentctl's offline/ part, which reaches no
# member: it reads and writes backup files and data directories, as etcdutl does). Nor may the load generator (src/loadgen/,
# tools/regent-bench/): it must measure etcd and regentd through the same API.
client_pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*"(server|storage|transport|raft|kv|sim)/'
for dir in src/client tools/regentctl src/loadgen tools/regent-bench; do
  [[ -d "$root/$dir" ]] || continue
  status=0
  offending=$(cd "$root" && grep -rnE --include='*.h' --include='*.cc' --exclude-dir=offline \
    "$client_pattern" "$dir") || status=$?
  case $status in
    0)
      echo "layering: $dir/ must reach the cluster through the gRPC API only:"
      echo "$offending"
      failed=1 ;;
    1)
      echo "layering: OK, $dir/ includes no server-side layer" ;;
    *)
      echo "layering: grep failed (exit $status)" >&2
      exit 2 ;;
  esac
done
exit $failed
