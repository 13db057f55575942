#include "client/mutex.h"

#include "client/internal/call.h"
#include "client/internal/candidacy.h"
#include "client/internal/connections.h"
#include "v3lockpb/v3lock.grpc.pb.h"

namespace regent::client {

using internal::CallPolicy;
using internal::Retry;

Mutex::Mutex(std::shared_ptr<Session> session, std::string name)
    : session_(std::move(session)), name_(std::move(name)) {}

Result<void> Mutex::lock(const Context& ctx) {
  v3lockpb::LockRequest request;
  request.set_name(name_);
  request.set_lease(session_->lease());
  auto held = internal::wait_for_turn(
      *session_, ctx, internal::candidate_key(name_, session_->lease()),
      [&](const Context& call_ctx) -> Result<std::string> {
        v3lockpb::LockResponse response;
        auto done = internal::call(
            session_->client()->connections(), call_ctx,
            CallPolicy{.retry = Retry::kIdempotent, .blocking = true},
            [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
              return v3lockpb::Lock::NewStub(channel)->Lock(&cc, request, &response);
            });
        if (!done) return fail(done.error());
        return response.key();
      });
  if (!held) return fail(held.error());
  std::lock_guard lock(mu_);
  key_ = held->key;
  revision_ = held->create_revision;
  return {};
}

Result<void> Mutex::unlock(const Context& ctx) {
  std::string key;
  {
    std::lock_guard lock(mu_);
    key = key_;
  }
  if (key.empty()) return {};
  v3lockpb::UnlockRequest request;
  request.set_key(key);
  v3lockpb::UnlockResponse response;
  auto done = internal::call(
      session_->client()->connections(), ctx, CallPolicy{.retry = Retry::kIdempotent},
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
        return v3lockpb::Lock::NewStub(channel)->Unlock(&cc, request, &response);
      });
  if (!done) return fail(done.error());
  std::lock_guard lock(mu_);
  key_.clear();
  revision_ = 0;
  return {};
}

bool Mutex::held() const {
  std::lock_guard lock(mu_);
  return !key_.empty();
}

std::string Mutex::key() const {
  std::lock_guard lock(mu_);
  return key_;
}

int64_t Mutex::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

}  // namespace regent::client
