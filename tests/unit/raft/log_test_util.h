// Builders and printers shared by the tests of raft/log/ (MemoryStorage, Unstable, RaftLog).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "raft/log/storage.h"
#include "raft/types.h"

namespace regent::raft {

// gtest finds these by argument-dependent lookup; without them a failing comparison prints bytes.
inline void PrintTo(const Entry& e, std::ostream* os) {
  *os << "{index=" << e.index << " term=" << e.term;
  if (!e.data.empty()) *os << " data=\"" << e.data << "\"";
  *os << "}";
}

inline void PrintTo(StorageError e, std::ostream* os) { *os << to_string(e); }

namespace log_test {

// Argument order (index, term) as in the paper's figures, not the struct's field order.
inline Entry entry(Index index, Term term, std::string data = "") {
  Entry e;
  e.index = index;
  e.term = term;
  e.data = std::move(data);
  return e;
}

// Entries [from, to) whose term equals their index: every entry is then distinguishable.
inline std::vector<Entry> index_term_entries(Index from, Index to) {
  std::vector<Entry> ents;
  for (Index i = from; i < to; ++i) ents.push_back(entry(i, i));
  return ents;
}

inline Snapshot snapshot_at(Index index, Term term) {
  Snapshot snap;
  snap.metadata.index = index;
  snap.metadata.term = term;
  return snap;
}

}  // namespace log_test
}  // namespace regent::raft
