#include "raft/read_only.h"

#include "common/assert.h"

namespace regent::raft {

void ReadOnly::add_request(Index index, NodeId from, std::string context) {
  if (pending_.contains(context)) return;
  queue_.push_back(context);
  pending_.emplace(context, Request{index, from, context, {}});
}

const std::set<NodeId>* ReadOnly::recv_ack(NodeId id, const std::string& context) {
  auto it = pending_.find(context);
  if (it == pending_.end()) return nullptr;
  it->second.acks.insert(id);
  return &it->second.acks;
}

std::vector<ReadOnly::Request> ReadOnly::advance(const std::string& context) {
  std::vector<Request> released;
  if (!pending_.contains(context)) return released;
  while (!queue_.empty()) {
    std::string ctx = std::move(queue_.front());
    queue_.pop_front();
    auto it = pending_.find(ctx);
    REGENT_ASSERT(it != pending_.end(), "read-only queue and map disagree");
    released.push_back(std::move(it->second));
    pending_.erase(it);
    if (ctx == context) break;
  }
  return released;
}

std::string ReadOnly::last_pending_context() const {
  return queue_.empty() ? std::string() : queue_.back();
}

void ReadOnly::clear() {
  pending_.clear();
  queue_.clear();
}

}  // namespace regent::raft
