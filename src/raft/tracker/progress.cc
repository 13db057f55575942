#include "raft/tracker/progress.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/assert.h"

namespace regent::raft::tracker {

std::string_view to_string(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "StateProbe";
    case ProgressState::kReplicate:
      return "StateReplicate";
    case ProgressState::kSnapshot:
      return "StateSnapshot";
  }
  return "StateUnknown";
}

void Progress::reset_state(ProgressState s) {
  probe_sent = false;
  pending_snapshot = 0;
  state = s;
  inflights.reset();
}

void Progress::become_probe() {
  // Coming back from a snapshot, the follower holds at least the snapshot once it applied it;
  // probing from there avoids sending it the snapshot's entries again.
  const Index after_snapshot = state == ProgressState::kSnapshot ? pending_snapshot + 1 : 0;
  reset_state(ProgressState::kProbe);
  next = std::max(match + 1, after_snapshot);
}

void Progress::become_replicate() {
  reset_state(ProgressState::kReplicate);
  next = match + 1;
}

void Progress::become_snapshot(Index snapshot_index) {
  // A follower that matches beyond the snapshot does not need it.
  REGENT_ASSERT(snapshot_index >= match, "snapshot {} is behind match {}", snapshot_index, match);
  reset_state(ProgressState::kSnapshot);
  pending_snapshot = snapshot_index;
  next = snapshot_index + 1;
}

void Progress::sent_entries(Index last, uint64_t bytes) {
  switch (state) {
    case ProgressState::kReplicate:
      // Appends always start at next; an append that ends before it carried no entries.
      REGENT_ASSERT(last + 1 >= next, "sent entries up to {} below next {}", last, next);
      if (last >= next) {
        next = last + 1;
        inflights.add(last, bytes);
      }
      return;
    case ProgressState::kProbe:
      probe_sent = true;
      return;
    case ProgressState::kSnapshot:
      break;
  }
  REGENT_PANIC("sending entries to {} follower ({})", to_string(state), describe());
}

void Progress::sent_probe() {
  if (state == ProgressState::kProbe) probe_sent = true;
}

bool Progress::maybe_update(Index n) {
  bool updated = false;
  if (match < n) {
    match = n;
    probe_sent = false;
    updated = true;
    if (lost_log_until > 0 && match >= lost_log_until) lost_log_until = 0;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::maybe_decrease_to(Index rejected, Index match_hint) {
  if (state == ProgressState::kReplicate) {
    // Everything up to match is known to be in the follower's log, so a rejection at or below
    // it answers an append older than the latest acknowledgement.
    if (rejected <= match) return false;
    // The pipelined appends after match are lost; resend from just after match.
    next = match + 1;
    return true;
  }
  // Outside kReplicate one append is outstanding at a time, starting at next; a rejection of
  // anything else answers an older probe.
  if (next - 1 != rejected) return false;
  // The hint lets the leader skip entries the follower certainly lacks; never go back to or
  // below match, which the follower already holds.
  next = std::max(std::min(rejected, match_hint + 1), match + 1);
  probe_sent = false;
  return true;
}

bool Progress::is_paused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

std::string Progress::describe() const {
  std::string out = fmt::format("{} match={} next={}", to_string(state), match, next);
  if (is_learner) out += " learner";
  if (is_paused()) out += " paused";
  if (pending_snapshot > 0) out += fmt::format(" pendingSnap={}", pending_snapshot);
  if (lost_log_until > 0) out += fmt::format(" lostLogUntil={}", lost_log_until);
  if (inflights.count() > 0) out += fmt::format(" inflight={}", inflights.count());
  return out;
}

}  // namespace regent::raft::tracker
