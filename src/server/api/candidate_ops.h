// The writes elections and locks make, as txns through the log (etcd's concurrency recipes), and
// the waiting campaign or lock call that both services run.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "server/api/service_context.h"
#include "server/election/candidate_queue.h"

namespace regent::server {

// `<prefix><lease in hex>`: one key per lease under a prefix, as etcd names them.
std::string candidate_key(const std::string& prefix, int64_t lease);

// Creates the candidate's key with `value` under `lease` unless it exists; answers with the key
// as it is now (its create revision is the candidate's place in the queue).
void join_queue(const ServiceContext& ctx, std::string key, std::string value, int64_t lease,
                std::function<void(Expected<kv::KeyValue, Failure>)> done);

// Deletes `key` if it is still the one created at `create_revision` (a resign, an unlock, a
// cancelled campaign); a later candidate's key of the same name is left alone.
void leave_queue(const ServiceContext& ctx, const std::string& key, int64_t create_revision,
                 std::function<void(Expected<void, Failure>)> done);

// Puts `value` into `key` if it is still the one created at `create_revision`; fails with
// etcd's "election: not leader" otherwise.
void proclaim(const ServiceContext& ctx, const std::string& key, int64_t create_revision,
              int64_t lease, std::string value, std::function<void(Expected<void, Failure>)> done);

// A unary call that joins a queue and answers once its key heads it (Campaign, Lock). If the
// client cancels first, its key is removed again, as etcd's Campaign does on cancellation.
// Owns itself: it lives until gRPC is done with the call.
class QueueCall final : public grpc::ServerUnaryReactor {
 public:
  // Fills the response once the turn came; runs under the call's lock, before Finish.
  using Answer = std::function<void(const kv::KeyValue& own)>;

  static QueueCall* start(const ServiceContext& ctx, CandidateQueues& queues, std::string prefix,
                          int64_t lease, std::string value, Answer answer);

  void OnCancel() override;
  void OnDone() override;

 private:
  struct State;
  QueueCall(const ServiceContext& ctx, CandidateQueues& queues);
  void joined(Expected<kv::KeyValue, Failure> own, std::string prefix);

  const ServiceContext& ctx_;
  CandidateQueues& queues_;
  std::shared_ptr<State> state_;
};

}  // namespace regent::server
