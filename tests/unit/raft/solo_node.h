// A single RawNode over its own MemoryStorage, for message-level tests in which the test plays
// every peer by hand through step(); plus a filter for the messages a Ready produced.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "raft/log/memory_storage.h"
#include "raft/raw_node.h"

namespace regent::raft::testing {

// One RawNode over its own MemoryStorage, bootstrapped like Cluster does (a snapshot at index 1
// holding the configuration). Tests play every peer by hand through step().
class Solo {
 public:
  explicit Solo(std::set<NodeId> voters = {1, 2, 3},
                const std::function<void(Config&)>& tweak = {}) {
    Snapshot boot;
    boot.metadata.index = 1;
    boot.metadata.term = 1;
    boot.metadata.conf_state.voters = std::move(voters);
    storage_.apply_snapshot(boot);
    storage_.set_hard_state(HardState{.term = 1, .vote = kNone, .commit = 1});
    Config cfg;
    cfg.id = 1;
    cfg.storage = &storage_;
    cfg.election_tick = 10;
    cfg.heartbeat_tick = 1;
    if (tweak) tweak(cfg);
    node_ = std::make_unique<RawNode>(cfg);
  }

  RawNode& node() { return *node_; }
  const Raft& raft() const { return node_->raft(); }
  MemoryStorage& storage() { return storage_; }

  Error step(Message m) {
    m.to = m.to == kNone ? 1 : m.to;
    return node_->step(m);
  }

  // Takes one Ready, persists it as a host would, and advances.
  Ready cycle() {
    Ready rd = node_->ready();
    if (rd.snapshot) storage_.apply_snapshot(*rd.snapshot);
    storage_.append(rd.entries);
    if (rd.hard_state) storage_.set_hard_state(*rd.hard_state);
    node_->advance();
    return rd;
  }

  // Processes every Ready (bounded) and returns all messages they held, in order.
  std::vector<Message> drain() {
    std::vector<Message> out;
    for (int i = 0; i < 100 && node_->has_ready(); ++i) {
      Ready rd = cycle();
      out.insert(out.end(), rd.messages.begin(), rd.messages.end());
      out.insert(out.end(), rd.messages_after_persist.begin(), rd.messages_after_persist.end());
    }
    EXPECT_FALSE(node_->has_ready()) << "Ready did not settle";
    return out;
  }

  // Makes node 1 a follower of `leader` at `term` whose log holds [2, last] of that term, with
  // `commit` committed.
  void follow(NodeId leader, Term term, Index last, Index commit) {
    Message m{.type = MessageType::kAppend, .from = leader, .term = term, .log_term = 1};
    m.index = 1;
    m.commit = commit;
    for (Index i = 2; i <= last; ++i) m.entries.push_back(Entry{.term = term, .index = i});
    ASSERT_EQ(step(m), Error::kOk);
    drain();
    ASSERT_EQ(raft().role(), Role::kFollower);
    ASSERT_EQ(raft().term(), term);
    ASSERT_EQ(raft().log().last_index(), last);
    ASSERT_EQ(raft().log().committed(), commit);
  }

  // Makes node 1 leader (pre-vote and vote granted by node 2) with its no-op persisted. With
  // `acked`, node 2 acknowledges the no-op, so its progress is in replicate and the no-op commits.
  void lead(bool acked) {
    ASSERT_EQ(node_->campaign(), Error::kOk);
    drain();
    if (raft().role() == Role::kPreCandidate) {
      // A granted pre-vote carries the term the pre-candidate would campaign in.
      step(Message{.type = MessageType::kPreVoteResponse, .from = 2, .term = raft().term() + 1});
      drain();
    }
    ASSERT_EQ(raft().role(), Role::kCandidate);
    step(Message{.type = MessageType::kVoteResponse, .from = 2, .term = raft().term()});
    drain();
    ASSERT_EQ(raft().role(), Role::kLeader);
    if (acked) {
      step(Message{.type = MessageType::kAppendResponse,
                   .from = 2,
                   .term = raft().term(),
                   .index = raft().log().last_index()});
      drain();
      ASSERT_EQ(raft().log().committed(), raft().log().last_index());
    }
  }

  std::vector<Entry> log_entries() const { return raft().log().all_entries(); }

 private:
  MemoryStorage storage_;
  std::unique_ptr<RawNode> node_;
};

inline std::vector<Message> of_type(const std::vector<Message>& msgs, MessageType type) {
  std::vector<Message> out;
  for (const Message& m : msgs) {
    if (m.type == type) out.push_back(m);
  }
  return out;
}

inline std::map<NodeId, std::string> progress_of(const RawNode& n) { return n.status().progress; }

// One line per message, for failure output and fuzz traces.
inline std::string describe(const Message& m) {
  std::string out = fmt::format(
      "{} {}->{} term={} log_term={} index={} commit={} reject={} hint={}", to_string(m.type),
      m.from, m.to, m.term, m.log_term, m.index, m.commit, m.reject, m.reject_hint);
  for (const Entry& e : m.entries) out += fmt::format(" [{}@{}]", e.index, e.term);
  if (m.type == MessageType::kSnapshot) {
    out += fmt::format(" snap={}@{}", m.snapshot.metadata.index, m.snapshot.metadata.term);
  }
  if (!m.context.empty()) out += " ctx=" + m.context;
  return out;
}

// Every message that is a promise (votes, append acks, the candidate's own vote request) waits
// for persistence; everything else may leave at once.
inline void expect_ready_ordering(const Ready& rd) {
  for (const Message& m : rd.messages) {
    EXPECT_FALSE(must_persist_before_sending(m.type))
        << to_string(m.type) << " in messages must wait for persistence";
  }
  for (const Message& m : rd.messages_after_persist) {
    EXPECT_TRUE(must_persist_before_sending(m.type))
        << to_string(m.type) << " needlessly waits for persistence";
  }
}

}  // namespace regent::raft::testing
