// Readable GoogleTest failure messages for the consensus core's enums and configurations.
// Found by argument-dependent lookup, so they live in the types' namespaces.
#pragma once

#include <ostream>
#include <set>

#include "raft/errors.h"
#include "raft/raft.h"
#include "raft/tracker/progress.h"
#include "raft/types.h"

namespace regent::raft {

inline void PrintTo(Error e, std::ostream* os) { *os << to_string(e); }
inline void PrintTo(Role r, std::ostream* os) { *os << to_string(r); }
inline void PrintTo(const ConfState& cs, std::ostream* os) {
  auto ids = [&](const char* name, const std::set<NodeId>& s) {
    *os << name << "=(";
    for (NodeId id : s) *os << (id == *s.begin() ? "" : " ") << id;
    *os << ") ";
  };
  ids("voters", cs.voters);
  ids("outgoing", cs.voters_outgoing);
  ids("learners", cs.learners);
  ids("learners_next", cs.learners_next);
  *os << (cs.auto_leave ? "autoleave" : "");
}

namespace tracker {
inline void PrintTo(ProgressState s, std::ostream* os) { *os << to_string(s); }
}  // namespace tracker

}  // namespace regent::raft
