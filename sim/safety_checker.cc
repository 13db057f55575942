#include "sim/safety_checker.h"

#include <fmt/format.h>

namespace regent::sim {

using raft::Entry;
using raft::Index;
using raft::Role;

namespace {
bool leads(const MemberView& m) { return m.up && m.raft->role() == Role::kLeader; }
}  // namespace

std::string SafetyChecker::observe(const std::vector<MemberView>& members, bool full) {
  if (auto p = check_election_safety(members); !p.empty()) return p;
  if (auto p = check_leader_append_only(members, full); !p.empty()) return p;
  if (auto p = check_log_matching(members, full); !p.empty()) return p;
  return check_state_machine_safety(members);
}

// Also checks leader completeness for leaderships seen for the first time.
std::string SafetyChecker::check_election_safety(const std::vector<MemberView>& members) {
  for (const MemberView& m : members) {
    if (!leads(m)) continue;
    auto [it, inserted] = leader_of_term_.emplace(m.raft->term(), m.id);
    if (!inserted && it->second != m.id) {
      return fmt::format("election safety: {} and {} both led term {}", it->second, m.id,
                         m.raft->term());
    }
    if (inserted) {
      if (auto p = check_leader_completeness(m); !p.empty()) return p;
    }
  }
  return "";
}

std::string SafetyChecker::check_leader_append_only(const std::vector<MemberView>& members,
                                                    bool full) {
  for (const MemberView& m : members) {
    if (!leads(m)) continue;
    const raft::RaftLog& log = m.raft->log();
    auto& before = leader_logs_[{m.id, m.raft->term()}];
    const size_t from = full || before.size() < kWindow ? 0 : before.size() - kWindow;
    for (size_t i = from; i < before.size(); ++i) {
      const Entry& e = before[i];
      if (e.index < log.first_index()) continue;  // Compacted: it was committed.
      if (e.index > log.last_index() || log.zero_term_on_error(e.index) != e.term) {
        return fmt::format("leader append-only: leader {} of term {} lost or changed entry {}",
                           m.id, m.raft->term(), e.index);
      }
    }
    const Index next = before.empty() ? log.first_index() : before.back().index + 1;
    if (next <= log.last_index()) {
      auto added = log.slice(next, log.last_index() + 1, raft::kNoLimit);
      if (added.has_value()) before.insert(before.end(), added->begin(), added->end());
    }
  }
  return "";
}

std::string SafetyChecker::check_log_matching(const std::vector<MemberView>& members, bool full) {
  std::vector<bool> changed(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    const raft::RaftLog& log = members[i].raft->log();
    auto shape = std::make_tuple(log.first_index(), log.last_index(), log.last_term());
    auto& known = log_shape_[members[i].id];
    changed[i] = known != shape;
    known = shape;
  }
  for (size_t i = 0; i < members.size(); ++i) {
    for (size_t j = i + 1; j < members.size(); ++j) {
      if (!members[i].up || !members[j].up) continue;
      if (!full && !changed[i] && !changed[j]) continue;
      const raft::RaftLog& a = members[i].raft->log();
      const raft::RaftLog& b = members[j].raft->log();
      const Index lo = std::max(a.first_index(), b.first_index());
      const Index hi = std::min(a.last_index(), b.last_index());
      // The highest shared index with equal terms: everything below it must be equal too.
      Index match = 0;
      for (Index k = hi; k >= lo && k > 0; --k) {
        if (a.zero_term_on_error(k) == b.zero_term_on_error(k)) {
          match = k;
          break;
        }
      }
      if (match < lo) continue;
      bool same = true;
      if (full) {
        auto ea = a.slice(lo, match + 1, raft::kNoLimit);
        auto eb = b.slice(lo, match + 1, raft::kNoLimit);
        same = ea.has_value() && eb.has_value() && *ea == *eb;
      } else {
        // Between events, terms suffice (an entry is identified by index and term); the full
        // check at the end of a run compares the entries themselves.
        for (Index k = match; k >= lo && k + kWindow > match && same; --k) {
          same = a.zero_term_on_error(k) == b.zero_term_on_error(k);
        }
      }
      if (!same) {
        return fmt::format("log matching: {} and {} agree on the term at {} but differ before it",
                           members[i].id, members[j].id, match);
      }
    }
  }
  return "";
}

std::string SafetyChecker::check_state_machine_safety(const std::vector<MemberView>& members) {
  for (const MemberView& m : members) {
    const auto& applied = *m.applied;
    size_t& seen = applied_seen_[m.id];
    if (seen > applied.size()) seen = 0;  // The member restarted and replays from the start.
    for (; seen < applied.size(); ++seen) {
      const Entry& e = applied[seen];
      auto [it, inserted] = applied_.emplace(e.index, Committed{e, m.raft->term()});
      if (!inserted && it->second.entry != e) {
        return fmt::format(
            "state machine safety: member {} applied a different entry at {} (term {} vs {})", m.id,
            e.index, e.term, it->second.entry.term);
      }
      if (!inserted) continue;
      // Newly known to be committed: every leader of a later term must hold it.
      for (const MemberView& l : members) {
        if (!leads(l) || l.raft->term() <= it->second.commit_term_bound) continue;
        if (e.index < l.raft->log().first_index()) continue;
        if (l.raft->log().zero_term_on_error(e.index) != e.term) {
          return fmt::format("leader completeness: leader {} of term {} lacks committed entry {}",
                             l.id, l.raft->term(), e.index);
        }
      }
    }
  }
  return "";
}

std::string SafetyChecker::check_leader_completeness(const MemberView& leader) {
  const raft::RaftLog& log = leader.raft->log();
  for (auto it = applied_.lower_bound(log.first_index()); it != applied_.end(); ++it) {
    if (leader.raft->term() <= it->second.commit_term_bound) continue;
    if (log.zero_term_on_error(it->first) != it->second.entry.term) {
      return fmt::format("leader completeness: leader {} of term {} lacks committed entry {}",
                         leader.id, leader.raft->term(), it->first);
    }
  }
  return "";
}

}  // namespace regent::sim
