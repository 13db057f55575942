// Computes the configuration (and Progress map) that results from a membership change, checking
// that the change is legal. The protocol applies the result only once it validated.
//
// Rules (etcd's confchange, after Raft thesis §4.3 and Ongaro's joint consensus):
//  - simple(): at most one voter may be added or removed (the old and new majorities overlap),
//    and only outside a joint configuration.
//  - enter_joint(): any set of changes; the outgoing half becomes the old voters. Not allowed when
//    already joint. A node that was a voter and becomes a learner is kept as a voter in the
//    outgoing half and recorded in learners_next.
//  - leave_joint(): only in a joint configuration; learners_next become learners; the outgoing
//    half is dropped; members that are in neither half nor learners lose their Progress.
//  - No change may leave the incoming voter set empty ("removed all voters").
//  - Newly added members get Progress{next = max(last_index, 1), match = 0, recent_active = true}
//  so
//    that check-quorum does not immediately count them as inactive.
#pragma once

#include <string>
#include <vector>

#include "common/expected.h"
#include "raft/conf_change.h"
#include "raft/tracker/progress_tracker.h"

namespace regent::raft::confchange {

struct Outcome {
  tracker::Config config;
  tracker::ProgressMap progress;
};

using Result = Expected<Outcome, std::string>;

class Changer {
 public:
  // `tracker` is read, never modified, and must outlive the Changer. `last_index` seeds new
  // members' Progress.
  Changer(const tracker::ProgressTracker& tracker, Index last_index)
      : tracker_(tracker), last_index_(last_index) {}

  Result enter_joint(bool auto_leave, const std::vector<ConfChangeSingle>& changes) const;
  Result leave_joint() const;
  Result simple(const std::vector<ConfChangeSingle>& changes) const;

 private:
  const tracker::ProgressTracker& tracker_;
  Index last_index_;
};

// Builds the configuration described by a ConfState (from a snapshot, or at start-up) by
// replaying it as changes against an empty tracker: first the outgoing voters (if joint), then
// entering the joint config with the incoming voters, learners and learners_next.
Result restore(const tracker::ProgressTracker& empty_tracker, Index last_index,
               const ConfState& cs);

}  // namespace regent::raft::confchange
