// The nemesis: crashes and restarts, partitions (symmetric, asymmetric, bridged), leadership
// transfers and membership churn, chosen by the seeded PRNG every nemesis interval.
#include <fmt/format.h>

#include <algorithm>

#include "sim/world.h"

namespace regent::sim {

using raft::NodeId;

void World::nemesis() {
  if (!faults_on_) return;
  std::vector<NodeId> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  // Half the time the fault aims at the leader: that is where the hard cases are (a deposed
  // leader holding entries nobody else has, figure 8 of the Raft paper).
  const auto lead = leader();
  const bool at_leader = lead && prng_.chance(1, 2);
  Node& n = *nodes_.at(at_leader ? *lead : ids[prng_.uniform(ids.size())]);
  switch (prng_.uniform(8)) {
    case 0:
    case 1:
      if (opt_.crashes && n.up && prng_.chance(opt_.crash_in_sync_percent, 100)) {
        n.crash_armed = true;  // Strikes during the node's next fsync (kCrashInSync).
        trace(fmt::format("crash {} armed for its next fsync", n.id));
      } else if (opt_.crashes && n.up) {
        if (leader() == n.id) leader_lost_at_ = now_;
        crash(n);
      }
      break;
    case 2:
    case 3:
      if (!n.up && !n.retired) {
        // At most one member's disk is damaged, so a majority can always go on.
        if (opt_.damage_percent > 0 && !damaged_any_ && prng_.chance(opt_.damage_percent, 100)) {
          damage_synced_data(n);
        }
        restart(n);
        trace(fmt::format("restart {}", n.id));
      }
      break;
    case 4:
      if (opt_.partitions && at_leader) {
        isolate(n.id);
      } else if (opt_.partitions) {
        partition();
      }
      break;
    case 5:
      blocked_.clear();
      trace("heal network");
      if (opt_.campaign_on_leader_down && lead && prng_.chance(1, 2)) {
        // Connections broke and healed: a false report that a live leader is down.
        trace(fmt::format("false report: leader {} down", *lead));
        report_down(*lead);
      }
      break;
    case 6:
      if (opt_.transfers) {
        if (lead) {
          Node& l = *nodes_.at(*lead);
          const NodeId target = n.id;
          trace(fmt::format("transfer {} -> {}", *lead, target));
          l.core->transfer_leadership(
              target,
              [this, from = *lead, target](Expected<void, server::Failure> done) {
                trace(fmt::format("transfer {} -> {}: {}", from, target,
                                  done ? "done" : done.error().message));
              },
              host_time());
          perform(l);
        }
      }
      break;
    case 7:
      if (opt_.churn) churn();
      break;
  }
  schedule(now_ + opt_.nemesis_interval_us, Event{.kind = EventKind::kNemesis});
}

void World::partition() {
  blocked_.clear();
  std::vector<NodeId> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  // Shuffle deterministically, then cut into two sides.
  for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[prng_.uniform(i)]);
  const size_t cut = 1 + prng_.uniform(ids.size() - 1);
  const bool asymmetric = opt_.asymmetric && prng_.chance(1, 2);
  // A bridge: one node of the first side keeps its links to both sides.
  const bool bridged = opt_.bridges && cut >= 2 && prng_.chance(1, 2);
  for (size_t i = 0; i < cut; ++i) {
    if (bridged && i == 0) continue;
    for (size_t j = cut; j < ids.size(); ++j) {
      blocked_.insert({ids[j], ids[i]});                   // The far side cannot reach this side.
      if (!asymmetric) blocked_.insert({ids[i], ids[j]});  // And, unless asymmetric, back.
    }
  }
  std::string sides;
  for (size_t i = 0; i < ids.size(); ++i)
    sides += fmt::format("{}{}", i == cut ? " | " : " ", ids[i]);
  trace(fmt::format("partition [{} ]{}{}", sides, asymmetric ? " asymmetric" : "",
                    bridged ? fmt::format(" bridge {}", ids[0]) : ""));
}

void World::isolate(NodeId id) {
  blocked_.clear();
  for (const auto& [other, n] : nodes_) {
    if (other == id) continue;
    blocked_.insert({id, other});
    blocked_.insert({other, id});
  }
  trace(fmt::format("isolate {}", id));
}

void World::churn() {
  auto lead = leader();
  if (!lead) return;
  Node& l = *nodes_.at(*lead);
  const raft::ConfState cs = l.core->raft().tracker().conf_state();
  std::vector<NodeId> outside;
  for (const auto& [id, n] : nodes_) {
    if (!cs.voters.contains(id) && !cs.voters_outgoing.contains(id)) outside.push_back(id);
  }
  if (opt_.churn_with_records) return churn_with_records(l, cs, outside);
  raft::ConfChange cc;
  if (!outside.empty() && (cs.voters.size() <= 3 || prng_.chance(1, 2))) {
    cc.changes.push_back({raft::ConfChangeType::kAddNode, outside[prng_.uniform(outside.size())]});
  } else if (cs.voters.size() > 3) {
    std::vector<NodeId> voters(cs.voters.begin(), cs.voters.end());
    cc.changes.push_back({raft::ConfChangeType::kRemoveNode, voters[prng_.uniform(voters.size())]});
  } else {
    return;
  }
  const auto err = l.core->propose_conf_change(cc);
  trace(fmt::format("conf change {} {} on {}: {}",
                    cc.changes[0].type == raft::ConfChangeType::kAddNode ? "add" : "remove",
                    cc.changes[0].node_id, l.id, raft::to_string(err)));
  perform(l);
}

void World::churn_with_records(Node& l, const raft::ConfState& cs,
                               const std::vector<NodeId>& outside) {
  regentpb::MemberChange change;
  if (!outside.empty() && (cs.voters.size() <= 3 || prng_.chance(1, 2))) {
    const NodeId id = outside[prng_.uniform(outside.size())];
    change.set_kind(regentpb::MemberChange::ADD);
    change.mutable_member()->set_id(id);
    change.mutable_member()->add_peer_urls(fmt::format("http://sim-{}:2380", id));
  } else if (cs.voters.size() > 3) {
    std::vector<NodeId> voters(cs.voters.begin(), cs.voters.end());
    change.set_kind(regentpb::MemberChange::REMOVE);
    change.mutable_member()->set_id(voters[prng_.uniform(voters.size())]);
  } else {
    return;
  }
  const bool add = change.kind() == regentpb::MemberChange::ADD;
  const NodeId id = change.member().id();
  l.core->propose_member_change(
      std::move(change),
      [this, add, id, leader = l.id](Expected<server::WriteResponse, server::Failure> done) {
        if (done) ++member_changes_applied_;
        trace(fmt::format("member {} {} through {}: {}", add ? "add" : "remove", id, leader,
                          done ? std::string("applied") : done.error().message));
      },
      host_time());
  perform(l);
}

void World::heal_everything() {
  faults_on_ = false;
  blocked_.clear();
  for (auto& [id, n] : nodes_) {
    if (!n->up) restart(*n);
  }
  trace("faults stop: network healed, every node restarted");
}

}  // namespace regent::sim
