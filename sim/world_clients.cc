// Simulated clients of the replicated map. Each client runs one operation at a time against a
// node of its choice, records invocation and completion in the history, and gives up after a
// timeout, recording the outcome as unknown (the write may still happen later).
#include <fmt/format.h>

#include "common/assert.h"
#include "sim/requests.h"
#include "sim/world.h"

namespace regent::sim {

void World::client_start(uint64_t client) {
  // Pick a node: the current leader half the time (as a client that follows redirects would),
  // any node otherwise (forwarding and follower reads get exercised).
  std::vector<raft::NodeId> ids;
  for (const auto& [id, n] : nodes_) ids.push_back(id);
  raft::NodeId target = ids[prng_.uniform(ids.size())];
  if (auto lead = leader(); lead && prng_.chance(1, 2)) target = *lead;
  Node& n = *nodes_.at(target);

  const uint64_t request = next_request_++;
  Operation op;
  if (auto retry = retries_.find(client); retry != retries_.end()) {
    // The same request again, elsewhere: the last attempt was refused, so it cannot have
    // taken effect. Each attempt is its own operation in the history.
    op = retry->second.first;
    op.outcome = Outcome::kUnknown;
    op.complete_time = kNever;
    op.result.reset();
    op.swapped = false;
  } else {
    op = new_operation(client, request, n);
  }
  op.invoke_time = now_;
  history_.push_back(op);
  pending_.emplace(request, PendingOp{history_.size() - 1, target, n.incarnation});
  schedule(now_ + opt_.op_timeout_us, Event{.kind = EventKind::kClientTimeout, .id = request});

  if (!n.running()) {
    complete(request, Outcome::kFailed, std::nullopt, false);  // Connection refused.
    return;
  }
  if (op.type == OpType::kGet && bug_ == HostBug::kLocalReads) {
    complete(request, Outcome::kOk, read_value(*n.machine, op.key), false);
  } else if (op.type == OpType::kGet) {
    start_read(n, request, op.key);
  } else {
    start_write(n, request, op);
  }
  perform(n);
}

void World::start_read(Node& n, uint64_t request, const std::string& key) {
  const uint64_t incarnation = n.incarnation;
  std::vector<server::Done> one;
  one.push_back([this, id = n.id, incarnation, request, key](Expected<void, server::Failure> ok) {
    Node& node = *nodes_.at(id);
    if (!ok) return complete(request, Outcome::kFailed, std::nullopt, false);
    // Answered within the event that made it ready, so the node still runs this incarnation.
    REGENT_ASSERT(node.running() && node.incarnation == incarnation,
                  "node {} answered a read of an earlier incarnation", id);
    complete(request, Outcome::kOk, read_value(*node.machine, key), false);
  });
  n.core->read_index(std::move(one), host_time());
}

void World::start_write(Node& n, uint64_t request, const Operation& op) {
  n.core->propose(
      to_request(op, opt_.command_padding_bytes),
      [this, request](Expected<server::WriteResponse, server::Failure> done) {
        // Refused before it was proposed: certainly without effect. Any other error (a leader
        // change, a timeout) may come after the entry reached the log: its outcome is unknown.
        if (!done) {
          const std::string& why = done.error().message;
          const bool not_proposed = why == server::no_leader().message ||
                                    why == server::not_leader().message ||
                                    why == server::too_many_requests().message;
          return complete(request, not_proposed ? Outcome::kFailed : Outcome::kUnknown,
                          std::nullopt, false);
        }
        complete(request, Outcome::kOk, std::nullopt, swapped(*done));
      },
      host_time());
}

Operation World::new_operation(uint64_t client, uint64_t request, const Node& n) {
  Operation op;
  op.client = client;
  op.key = fmt::format("k{}", prng_.uniform(opt_.keys));
  const uint64_t dice = prng_.uniform(10);
  op.type = dice < 4 ? OpType::kGet : dice < 7 ? OpType::kPut : OpType::kCas;
  if (op.type != OpType::kGet) op.value = fmt::format("v{}", request);
  if (op.type == OpType::kCas && prng_.chance(3, 4)) {
    // Compare against what this node believes is current, so that many swaps succeed.
    if (n.running()) op.expected = read_value(*n.machine, op.key);
  } else if (op.type == OpType::kCas) {
    op.expected = fmt::format("v{}", prng_.uniform(request + 1));
  }
  return op;
}

void World::client_timeout(uint64_t request_id) {
  if (!pending_.contains(request_id)) return;
  complete(request_id, Outcome::kUnknown, std::nullopt, false);
}

void World::complete(uint64_t request_id, Outcome outcome, std::optional<std::string> result,
                     bool swapped) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return;
  Operation& op = history_[it->second.history_index];
  pending_.erase(it);
  op.outcome = outcome;
  op.complete_time = outcome == Outcome::kUnknown ? kNever : now_;
  op.result = std::move(result);
  op.swapped = swapped;
  // A refused request is retried (bounded); anything else moves the client to a new one.
  auto& [retry_op, attempts] = retries_[op.client];
  if (outcome == Outcome::kFailed && attempts < kMaxRetries) {
    retry_op = op;
    ++attempts;
  } else {
    retries_.erase(op.client);
  }
  if (outcome == Outcome::kOk) ++completed_ok_;
  if (outcome == Outcome::kOk && op.type != OpType::kGet) ++completed_writes_;
  trace(describe(op));
  schedule(now_ + prng_.between(1, opt_.think_us),
           Event{.kind = EventKind::kClientStart, .id = op.client});
}

}  // namespace regent::sim
