// The list-append check: strict serializability of transactions over append-only lists, by a
// dependency-cycle search in the manner of Jepsen's Elle (as Jepsen checked etcd).
//
// Each key's value is a list that only grows, so the longest list read of it gives the order of
// the appends that were seen (its version order). From that order, edges between transactions:
//   ww  T1 appended the element just before T2's on some key;
//   wr  T2 read a list whose last element T1 appended;
//   rw  T1 read a list that T2's append extended next (T1 saw the state before T2's write);
//   rt  T1 completed before T2 was invoked (real time: what makes it *strict*).
// A cycle among these is a history no serial order explains. Also reported: reads that are not
// prefixes of one another (no single order), an element twice in a list, elements nobody
// appended, and elements of transactions that failed (aborted reads).
//
// Transactions of unknown outcome count only if an element they appended was read (then they
// happened); they get no real-time edges out, having no completion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "op_log.h"
#include "workload.h"

namespace regent::chaos {

struct MicroOp {
  std::string key;
  bool append = false;
  uint64_t element = 0;                       // append: the element.
  std::optional<std::vector<uint64_t>> read;  // read, when the transaction was ok.
};

struct AppendTxn {
  uint64_t id = 0;
  int worker = 0;
  uint64_t invoke_us = 0;
  uint64_t complete_us = 0;  // For an unknown one: when the client gave up.
  Outcome outcome = Outcome::kOk;
  std::vector<MicroOp> ops;
};

// The violations found (each with the transactions of its cycle or anomaly), and a note with the
// graph's size.
CheckResult check_append(const std::vector<AppendTxn>& txns);

std::string describe(const AppendTxn& t);

}  // namespace regent::chaos
