// Checks Raft's five safety properties (Raft paper §5.2-5.4, Figure 3) over a test Cluster.
//
// Call observe() after every step; it remembers what it needs across steps (who led which term,
// each leader's log, every entry ever applied) and returns a description of the first violation,
// or "" if all hold.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/raft_cluster.h"

namespace regent::raft::testing {

class SafetyChecker {
 public:
  std::string observe(Cluster& c);

 private:
  std::string check_election_safety(Cluster& c);
  std::string check_leader_append_only(Cluster& c);
  std::string check_log_matching(Cluster& c);
  std::string check_leader_completeness(Cluster& c);
  std::string check_state_machine_safety(Cluster& c);

  std::map<Term, NodeId> leader_of_term_;
  std::map<std::pair<NodeId, Term>, std::vector<Entry>> leader_logs_;
  std::map<Index, Entry> applied_;  // Every entry any member applied, by index.
};

}  // namespace regent::raft::testing
