// The alarms a cluster has raised (etcd's alarm store), part of the replicated state: raised and
// cleared by log entries, kept in snapshots, the same on every member at the same index. What an
// alarm refuses is decided when an entry is applied, so every member refuses the same writes
// (etcd's capped and corrupt appliers):
//  - NOSPACE (the space quota was exceeded on some member): puts, txns with a put in either
//    branch, and lease grants fail with "etcdserver: mvcc: database space exceeded"; reads,
//    deletes, compaction and lease revokes still work, so that an operator can make room, then
//    disarm.
//  - CORRUPT (a member's state differs from the others'): every write to the store fails with
//    "etcdserver: corrupt cluster"; the member named serves no reads either (node_core.cc).
// Membership changes, client URL publishing, lease checkpoints and alarm requests are never
// refused: an operator must be able to disarm, replace the bad member and carry on.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kv/errors.h"
#include "regentpb/request.pb.h"

namespace regent::server {

class AlarmSet {
 public:
  using Alarms = std::vector<etcdserverpb::AlarmMember>;

  // ACTIVATE and DEACTIVATE as etcd's applyAlarm answers them: the alarm raised (also when it
  // already was) or the one cleared (none if it was not raised); GET lists every alarm raised.
  Alarms apply(const etcdserverpb::AlarmRequest& request);
  // Why `request` must fail while these alarms are raised, if it must.
  std::optional<kv::Error> refusal(const regentpb::InternalRequest& request) const;

  const Alarms& list() const { return alarms_; }
  bool raised(etcdserverpb::AlarmType type) const;
  bool raised(etcdserverpb::AlarmType type, uint64_t member) const;
  // From a snapshot; sorted and deduplicated, since a snapshot's bytes are not trusted.
  void restore(Alarms alarms);

 private:
  Alarms alarms_;  // Sorted by (member, type), no duplicates.
};

// "memberID:<id> alarm:<TYPE>", as etcd's Status errors and etcdctl print an alarm.
std::string describe(const etcdserverpb::AlarmMember& alarm);

}  // namespace regent::server
