#include "server/api/candidate_ops.h"

#include <fmt/format.h>

#include "server/grpc_status.h"
#include "server/node/kv_convert.h"

namespace regent::server {

namespace {

etcdserverpb::Compare created_at(const std::string& key, int64_t create_revision) {
  etcdserverpb::Compare c;
  c.set_key(key);
  c.set_target(etcdserverpb::Compare::CREATE);
  c.set_result(etcdserverpb::Compare::EQUAL);
  c.set_create_revision(create_revision);
  return c;
}

// Proposes a txn and hands its applied response to `done`.
void propose_txn(const ServiceContext& ctx, etcdserverpb::TxnRequest txn,
                 std::function<void(Expected<kv::TxnResponse, Failure>)> done) {
  regentpb::InternalRequest request;
  *request.mutable_txn() = std::move(txn);
  ctx.node->propose(std::move(request),
                    [done = std::move(done)](Expected<WriteResponse, Failure> outcome) {
                      if (!outcome) return done(unexpected(outcome.error()));
                      done(std::get<kv::TxnResponse>(*outcome));
                    });
}

}  // namespace

std::string candidate_key(const std::string& prefix, int64_t lease) {
  return fmt::format("{}{:x}", prefix, lease);
}

void join_queue(const ServiceContext& ctx, std::string key, std::string value, int64_t lease,
                std::function<void(Expected<kv::KeyValue, Failure>)> done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = created_at(key, 0);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  put->set_lease(lease);
  txn.add_failure()->mutable_request_range()->set_key(key);
  propose_txn(ctx, std::move(txn),
              [key, value, lease, done = std::move(done)](Expected<kv::TxnResponse, Failure> r) {
                if (!r) return done(unexpected(r.error()));
                if (r->succeeded) {
                  return done(kv::KeyValue{.key = key,
                                           .create_revision = r->revision,
                                           .mod_revision = r->revision,
                                           .version = 1,
                                           .value = value,
                                           .lease = lease});
                }
                const auto& got = std::get<kv::RangeResponse>(r->responses.at(0).response);
                if (got.kvs.empty()) {  // Cannot happen: the compare saw it in the same txn.
                  return done(unexpected(
                      Failure{StatusCode::INTERNAL, "etcdserver: candidate key vanished"}));
                }
                done(got.kvs.front());
              });
}

void leave_queue(const ServiceContext& ctx, const std::string& key, int64_t create_revision,
                 std::function<void(Expected<void, Failure>)> done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = created_at(key, create_revision);
  txn.add_success()->mutable_request_delete_range()->set_key(key);
  propose_txn(ctx, std::move(txn), [done = std::move(done)](Expected<kv::TxnResponse, Failure> r) {
    if (!r) return done(unexpected(r.error()));
    done({});
  });
}

void proclaim(const ServiceContext& ctx, const std::string& key, int64_t create_revision,
              int64_t lease, std::string value, std::function<void(Expected<void, Failure>)> done) {
  etcdserverpb::TxnRequest txn;
  *txn.add_compare() = created_at(key, create_revision);
  auto* put = txn.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(std::move(value));
  put->set_lease(lease);
  propose_txn(ctx, std::move(txn), [done = std::move(done)](Expected<kv::TxnResponse, Failure> r) {
    if (!r) return done(unexpected(r.error()));
    if (!r->succeeded) {
      return done(
          unexpected(Failure{StatusCode::FAILED_PRECONDITION, "etcdserver: election: not leader"}));
    }
    done({});
  });
}

// --- QueueCall ---------------------------------------------------------------------------------

// What outlives the reactor: callbacks from the loop and the queue hold it, and find out through
// `reactor` (null once gRPC is done) whether anyone is still listening.
struct QueueCall::State {
  std::mutex mu;
  QueueCall* reactor = nullptr;
  bool finished = false;
  uint64_t handle = 0;
  std::optional<kv::KeyValue> own;  // Once joined.
  Answer answer;
};

QueueCall::QueueCall(const ServiceContext& ctx, CandidateQueues& queues)
    : ctx_(ctx), queues_(queues), state_(std::make_shared<State>()) {
  state_->reactor = this;
}

QueueCall* QueueCall::start(const ServiceContext& ctx, CandidateQueues& queues, std::string prefix,
                            int64_t lease, std::string value, Answer answer) {
  auto* call = new QueueCall(ctx, queues);  // Deleted in OnDone.
  call->state_->answer = std::move(answer);
  std::string key = candidate_key(prefix, lease);
  std::shared_ptr<State> state = call->state_;
  join_queue(ctx, std::move(key), std::move(value), lease,
             [state, prefix = std::move(prefix)](Expected<kv::KeyValue, Failure> own) mutable {
               std::unique_lock lock(state->mu);
               if (state->reactor == nullptr) return;
               QueueCall* self = state->reactor;
               lock.unlock();
               self->joined(std::move(own), std::move(prefix));
             });
  return call;
}

void QueueCall::joined(Expected<kv::KeyValue, Failure> own, std::string prefix) {
  std::shared_ptr<State> state = state_;
  {
    std::lock_guard lock(state->mu);
    if (state->finished) {
      // Cancelled while the key was being created: take it away again.
      if (own) leave_queue(ctx_, own->key, own->create_revision, [](Expected<void, Failure>) {});
      return;
    }
    if (own) state->own = *own;
    state->finished = !own;
  }
  // Finish outside the lock: gRPC may run OnDone (which takes it) before Finish returns.
  if (!own) return Finish(to_grpc(own.error()));
  const uint64_t handle = queues_.wait_turn(
      std::move(prefix), own->key, own->create_revision, [state](Expected<void, Failure> turn) {
        QueueCall* reactor = nullptr;
        {
          std::lock_guard lock(state->mu);
          if (state->finished || state->reactor == nullptr) return;
          state->finished = true;
          reactor = state->reactor;
          if (turn) state->answer(*state->own);
        }
        reactor->Finish(turn ? grpc::Status::OK : to_grpc(turn.error()));
      });
  std::lock_guard lock(state->mu);
  state->handle = handle;
}

void QueueCall::OnCancel() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->finished) return;
    state_->finished = true;
    if (state_->handle != 0) queues_.cancel(state_->handle);
    if (state_->own) {
      leave_queue(ctx_, state_->own->key, state_->own->create_revision,
                  [](Expected<void, Failure>) {});
    }
  }
  Finish(grpc::Status::CANCELLED);
}

void QueueCall::OnDone() {
  {
    std::lock_guard lock(state_->mu);
    state_->reactor = nullptr;
  }
  delete this;
}

}  // namespace regent::server
