// Pending linearizable reads on the leader (Raft thesis §6.4, ReadIndex).
//
// A read is registered with the commit index at the time it arrived; it becomes safe once a
// quorum has answered a heartbeat that carried its context, proving this node was still leader
// after the read arrived. Reads are released in arrival order: confirming one confirms every read
// queued before it (they were sent with earlier heartbeats to the same quorum).
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "raft/types.h"

namespace regent::raft {

enum class ReadOnlyOption {
  // Confirm leadership with a heartbeat round for every batch of reads.
  kSafe,
  // Trust the leader lease: with check-quorum on, a leader that has heard from a quorum within the
  // election timeout serves reads at once. Correct only if clocks do not drift beyond the bound.
  kLeaseBased,
};

// A read that became safe: the host may answer it once its applied index reaches `index`.
struct ReadState {
  Index index = 0;
  std::string context;
  bool operator==(const ReadState&) const = default;
};

class ReadOnly {
 public:
  struct Request {
    Index index = 0;
    NodeId from = kNone;  // Who asked: this node, or a follower to answer remotely.
    std::string context;
    std::set<NodeId> acks;
  };

  // Registers a read at commit index `index`. A duplicate context is ignored.
  void add_request(Index index, NodeId from, std::string context);
  // Records that `id` answered the heartbeat carrying `context`. Returns the acknowledgers so far,
  // or nullptr if the context is unknown (already released, or never registered here).
  const std::set<NodeId>* recv_ack(NodeId id, const std::string& context);
  // Releases every request up to and including the one with `context`, in arrival order.
  std::vector<Request> advance(const std::string& context);
  // The most recent pending context (what the next heartbeat should carry), or "" if none.
  std::string last_pending_context() const;
  size_t pending() const { return queue_.size(); }
  void clear();

 private:
  std::map<std::string, Request> pending_;
  std::deque<std::string> queue_;
};

}  // namespace regent::raft
