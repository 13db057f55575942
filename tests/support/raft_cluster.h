// An in-memory cluster of RawNodes for tests and benchmarks.
//
// Each member persists into its own MemoryStorage and follows RawNode's Ready contract exactly
// (persist, send, apply, advance), so tests exercise the real ordering rules, not a shortcut.
// Messages travel through one queue; filters drop them to model partitions and loss. Every loop
// is bounded: stabilize() gives up after max_rounds and reports it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "raft/log/memory_storage.h"
#include "raft/raw_node.h"

namespace regent::raft::testing {

struct MemberState {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
  std::vector<Entry> applied;  // Every committed entry this member applied, in order.
  std::vector<ReadState> reads;
  bool down = false;  // Crashed: receives nothing, processes nothing.
  // After a restart the state machine is rebuilt from the snapshot by replaying the log; entries
  // up to here were applied before the crash and are replayed without being recorded again.
  Index replay_until = 0;
};

class Cluster {
 public:
  using Tweak = std::function<void(Config&)>;
  using Filter = std::function<bool(const Message&)>;  // true: drop the message

  // Voters and learners of the initial configuration; every member starts empty with it.
  explicit Cluster(std::vector<NodeId> voters, Tweak tweak = {}, std::vector<NodeId> learners = {});

  RawNode& node(NodeId id) { return *members_.at(id).node; }
  const Raft& raft(NodeId id) const { return members_.at(id).node->raft(); }
  MemberState& member(NodeId id) { return members_.at(id); }
  MemoryStorage& storage(NodeId id) { return *members_.at(id).storage; }
  std::vector<NodeId> ids() const;

  // Adds a member that is not yet in anyone's configuration (to be added by a conf change). It
  // starts with an empty log and learns the configuration from the leader.
  void add_member(NodeId id);

  // Processes readies and delivers messages until nothing moves. Returns false if it did not
  // settle within max_rounds (a livelock in the protocol or the test).
  bool stabilize(size_t max_rounds = 10000);
  // One round: process every member's Ready once, then deliver what was queued before.
  // Returns whether anything happened.
  bool step_round();
  void tick(NodeId id, int ticks = 1);
  void tick_all(int ticks = 1);
  // Ticks every member (one tick at a time, stabilizing in between) until `id` leads.
  bool elect(NodeId id, int max_ticks = 100);

  // Returns the leader among the members that are up, if exactly one believes it leads at the
  // highest term among leaders.
  std::optional<NodeId> leader() const;

  void isolate(NodeId id);
  void cut(NodeId a, NodeId b);  // Both directions.
  void heal();                   // Removes isolation, cuts and custom filters.
  void add_filter(Filter f) { filters_.push_back(std::move(f)); }
  // A crash: unpersisted state is lost (the storage keeps only what was written), the member is
  // rebuilt from its storage and applied index.
  void crash(NodeId id);
  void restart(NodeId id);

  // Every message delivered so far (tests assert on traffic).
  const std::vector<Message>& delivered() const { return delivered_; }
  void clear_delivered() { delivered_.clear(); }

  // Proposes on `id` and stabilizes. Returns the raft error.
  Error propose(NodeId id, const std::string& data);

  // Data of the normal, non-empty entries `id` applied.
  std::vector<std::string> applied_data(NodeId id) const;

 private:
  Config make_config(NodeId id) const;
  void process_ready(NodeId id);
  bool dropped(const Message& m) const;

  Tweak tweak_;
  std::map<NodeId, MemberState> members_;
  std::vector<Message> queue_;
  std::vector<Message> delivered_;
  std::set<NodeId> isolated_;
  std::set<std::pair<NodeId, NodeId>> cuts_;
  std::vector<Filter> filters_;
};

}  // namespace regent::raft::testing
