#!/usr/bin/env bash
# Fails if the pure consensus core (src/raft/) includes anything that brings in threads, clocks,
# files, sockets, ambient randomness, generated protobuf code, or a layer above it.
#
# Why: DESIGN.md requires raft/ to be a deterministic state machine driven only by tick(), step()
# and propose(), so that sim/ can replay any run from a seed. One stray <chrono> or <random> breaks
# that silently; this check breaks the build instead. Registered as the ctest test `layering`.
#
# Usage: scripts/check-layering.sh [repo-root]   (default: the repo this script lives in)
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
core="$root/src/raft"

# Extended regexes matched against what follows `#include`. Extend this list, not the code below.
forbidden=(
  '"(server|storage|transport|kv|client|sim|tools)/'  # layers above raft/ (DESIGN.md)
  '<grpc'                   # networking / RPC
  '"[^"]*\.pb\.h"'          # generated protobuf: the core uses plain structs
  '<thread>' '<mutex>' '<shared_mutex>' '<condition_variable>' '<future>'  # threads
  '<chrono>' '<ctime>'      # clocks: the core counts ticks
  '<random>'                # ambient randomness: a seeded PRNG is injected
  '<fstream>' '<filesystem>' '<iostream>'  # files and process-wide streams
)
pattern="^[[:space:]]*#[[:space:]]*include[[:space:]]*($(IFS='|'; echo "${forbidden[*]}"))"

if [[ ! -d "$core" ]]; then
  echo "layering: $core does not exist yet; nothing to check"
  exit 0
fi

# grep exits 0 on a match, 1 on none (the passing case), 2 on an error (which must not pass).
status=0
offending=$(cd "$root" && grep -rnE --include='*.h' --include='*.cc' --include='*.hpp' \
  --include='*.cpp' --include='*.inc' "$pattern" src/raft) || status=$?
case $status in
  0)
    echo "layering: src/raft/ must not use threads, clocks, files, sockets, ambient randomness"
    echo "or higher layers (DESIGN.md, 'Layers'). Offending includes:"
    echo "$offending"
    exit 1 ;;
  1)
    echo "layering: OK, src/raft/ includes nothing forbidden" ;;
  *)
    echo "layering: grep failed (exit $status)" >&2
    exit 2 ;;
esac
