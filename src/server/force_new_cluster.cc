#include "server/force_new_cluster.h"

#include <set>

#include "raft/conf_change.h"
#include "regentpb/request.pb.h"

namespace regent::server {

namespace {

// Every member the configuration may hold once the committed entries are applied: the snapshot's
// and every one added since. A removal of one no longer there is refused at apply, harmlessly.
Expected<std::set<raft::NodeId>, std::string> members_after_commit(
    const storage::DiskStorage& storage, const raft::ConfState& at_snapshot, raft::Index commit) {
  std::set<raft::NodeId> ids = at_snapshot.voters;
  ids.insert(at_snapshot.learners.begin(), at_snapshot.learners.end());
  const raft::Index first = storage.first_index();
  if (commit < first) return ids;
  auto entries = storage.entries(first, commit + 1, UINT64_MAX);
  if (!entries) return unexpected(std::string("cannot read the committed log"));
  for (const raft::Entry& e : *entries) {
    if (e.type != raft::EntryType::kConfChange) continue;
    auto cc = raft::decode_conf_change(e.data);
    if (!cc)
      return unexpected(fmt::format("the membership change at index {} is unreadable", e.index));
    if (cc->changes.size() > 1 || cc->transition != raft::ConfChangeTransition::kAuto) {
      return unexpected(
          fmt::format("the log holds a joint configuration change (index {})", e.index));
    }
    for (const raft::ConfChangeSingle& c : cc->changes) {
      if (c.type != raft::ConfChangeType::kRemoveNode) ids.insert(c.node_id);
    }
  }
  return ids;
}

raft::Entry removal(raft::NodeId id, raft::Index index, raft::Term term) {
  regentpb::InternalRequest request;
  request.mutable_member_change()->set_kind(regentpb::MemberChange::REMOVE);
  request.mutable_member_change()->mutable_member()->set_id(id);
  raft::ConfChange cc;
  cc.changes.push_back({raft::ConfChangeType::kRemoveNode, id});
  cc.context = request.SerializeAsString();
  return raft::Entry{.term = term,
                     .index = index,
                     .type = raft::EntryType::kConfChange,
                     .data = raft::encode_conf_change(cc)};
}

}  // namespace

Expected<size_t, std::string> force_new_cluster(storage::DiskStorage& storage, raft::NodeId self,
                                                Logger& logger) {
  auto [hard_state, conf_state] = storage.initial_state();
  if (!conf_state.voters_outgoing.empty()) {
    return unexpected(std::string(
        "--force-new-cluster: the member's configuration is joint (a change was under way)"));
  }
  auto members = members_after_commit(storage, conf_state, hard_state.commit);
  if (!members) return unexpected("--force-new-cluster: " + members.error());
  members->erase(self);
  const raft::Index dropped = storage.last_index() - hard_state.commit;
  std::vector<raft::Entry> removals;
  raft::Index index = hard_state.commit;
  for (raft::NodeId id : *members) removals.push_back(removal(id, ++index, hard_state.term));
  if (removals.empty()) return 0;  // A cluster of one already.
  hard_state.commit = index;
  // Entries overlapping the log replace its tail: the uncommitted entries go.
  if (auto written = storage.write(removals, hard_state, std::nullopt); !written) {
    return unexpected(written.error().message);
  }
  if (auto synced = storage.sync(); !synced) return unexpected(synced.error().message);
  logger.warn(
      "--force-new-cluster: member {:x} is now a cluster of one; {} member(s) removed through "
      "the log, {} uncommitted entr{} dropped. Add members again with `member add`, each on an "
      "empty data dir",
      self, removals.size(), dropped, dropped == 1 ? "y" : "ies");
  return removals.size();
}

}  // namespace regent::server
