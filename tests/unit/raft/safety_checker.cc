#include "safety_checker.h"

#include <fmt/format.h>

namespace regent::raft::testing {

std::string SafetyChecker::observe(Cluster& c) {
  using Check = std::string (SafetyChecker::*)(Cluster&);
  for (Check check :
       {&SafetyChecker::check_election_safety, &SafetyChecker::check_leader_append_only,
        &SafetyChecker::check_log_matching, &SafetyChecker::check_state_machine_safety,
        &SafetyChecker::check_leader_completeness}) {
    std::string problem = (this->*check)(c);
    if (!problem.empty()) return problem;
  }
  return "";
}

std::string SafetyChecker::check_election_safety(Cluster& c) {
  for (NodeId id : c.ids()) {
    const Raft& r = c.raft(id);
    if (r.role() != Role::kLeader) continue;
    auto [it, inserted] = leader_of_term_.emplace(r.term(), id);
    if (!inserted && it->second != id) {
      return fmt::format("election safety: {} and {} both led term {}", it->second, id, r.term());
    }
  }
  return "";
}

std::string SafetyChecker::check_leader_append_only(Cluster& c) {
  for (NodeId id : c.ids()) {
    const Raft& r = c.raft(id);
    if (r.role() != Role::kLeader || c.member(id).down) continue;
    std::vector<Entry> now = r.log().all_entries();
    auto& before = leader_logs_[{id, r.term()}];
    for (const Entry& e : before) {
      if (e.index < r.log().first_index()) continue;  // Compacted: it was committed.
      if (e.index > r.log().last_index() || now[e.index - r.log().first_index()] != e) {
        return fmt::format("leader append-only: leader {} of term {} lost or changed entry {}", id,
                           r.term(), e.index);
      }
    }
    before = std::move(now);
  }
  return "";
}

std::string SafetyChecker::check_log_matching(Cluster& c) {
  const auto ids = c.ids();
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t j = i + 1; j < ids.size(); ++j) {
      const RaftLog& a = c.raft(ids[i]).log();
      const RaftLog& b = c.raft(ids[j]).log();
      const Index lo = std::max(a.first_index(), b.first_index());
      const Index hi = std::min(a.last_index(), b.last_index());
      // Find the highest shared index with equal terms; everything before it must be equal.
      Index match = 0;
      for (Index k = hi; k >= lo && k > 0; --k) {
        if (a.zero_term_on_error(k) == b.zero_term_on_error(k)) {
          match = k;
          break;
        }
      }
      if (match < lo) continue;
      auto ea = a.slice(lo, match + 1, kNoLimit);
      auto eb = b.slice(lo, match + 1, kNoLimit);
      if (!ea.has_value() || !eb.has_value() || *ea != *eb) {
        return fmt::format("log matching: {} and {} agree on the term at {} but differ before it",
                           ids[i], ids[j], match);
      }
    }
  }
  return "";
}

std::string SafetyChecker::check_state_machine_safety(Cluster& c) {
  for (NodeId id : c.ids()) {
    for (const Entry& e : c.member(id).applied) {
      auto [it, inserted] = applied_.emplace(e.index, e);
      if (!inserted && it->second != e) {
        return fmt::format("state machine safety: member {} applied a different entry at {}", id,
                           e.index);
      }
    }
  }
  return "";
}

std::string SafetyChecker::check_leader_completeness(Cluster& c) {
  for (NodeId id : c.ids()) {
    const Raft& r = c.raft(id);
    if (r.role() != Role::kLeader || c.member(id).down) continue;
    for (const auto& [index, e] : applied_) {
      if (index < r.log().first_index()) continue;  // Covered by the leader's snapshot.
      if (r.log().zero_term_on_error(index) != e.term) {
        return fmt::format("leader completeness: leader {} of term {} lacks committed entry {}", id,
                           r.term(), index);
      }
    }
  }
  return "";
}

}  // namespace regent::raft::testing
