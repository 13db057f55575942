// Checks Raft's five safety properties (Raft paper §5.2-5.4, Figure 3) over a set of members.
//
// Call observe() after every step; it remembers what it needs across steps (who led which term,
// each leader's log, every entry ever applied, across crashes) and returns a description of the
// first violation, or "" if all hold. Used by the unit tests' in-memory cluster and by the
// simulator alike, through MemberView.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "raft/raft.h"

namespace regent::sim {

struct MemberView {
  raft::NodeId id = raft::kNone;
  const raft::Raft* raft = nullptr;
  bool up = true;  // A crashed member's in-memory state is stale; only its applied log counts.
  const std::vector<raft::Entry>* applied = nullptr;  // Every entry it applied, in order.
};

// Incremental, so that it can run after every simulated event: a committed entry is checked
// against the leaders once, when first applied; a new leader's log is checked in full once; the
// append-only and log-matching checks look at a recent window (kWindow entries) unless `full`.
class SafetyChecker {
 public:
  static constexpr raft::Index kWindow = 64;

  std::string observe(const std::vector<MemberView>& members, bool full = false);

 private:
  std::string check_election_safety(const std::vector<MemberView>& members);
  std::string check_leader_append_only(const std::vector<MemberView>& members, bool full);
  std::string check_log_matching(const std::vector<MemberView>& members, bool full);
  std::string check_leader_completeness(const MemberView& leader);
  std::string check_state_machine_safety(const std::vector<MemberView>& members);

  std::map<raft::Term, raft::NodeId> leader_of_term_;
  // Per leadership (leader, term): the entries it held when last observed.
  std::map<std::pair<raft::NodeId, raft::Term>, std::vector<raft::Entry>> leader_logs_;
  // Every entry any member applied, by index, with an upper bound on the term in which it was
  // committed (the applier's term when first seen). Leader completeness binds only leaders of
  // later terms: a stale leader of an older term may lack entries committed after it was cut off.
  struct Committed {
    raft::Entry entry;
    raft::Term commit_term_bound = 0;
  };
  std::map<raft::Index, Committed> applied_;
  std::map<raft::NodeId, size_t> applied_seen_;  // How much of each member's log was checked.
  // Each member's log shape (first index, last index, last term) when last checked: pairs whose
  // logs did not change need no new log-matching check.
  std::map<raft::NodeId, std::tuple<raft::Index, raft::Index, raft::Term>> log_shape_;
};

}  // namespace regent::sim
