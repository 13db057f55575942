#include "client/internal/candidacy.h"

#include <fmt/format.h>

#include "client/internal/call.h"
#include "client/kv.h"

namespace regent::client::internal {

std::string candidate_key(const std::string& name, int64_t lease) {
  return fmt::format("{}/{:x}", name, lease);
}

Error session_gone(const Session& session) {
  if (auto lost = session.lost_error()) {
    return Error{.code = Code::kAborted,
                 .message = fmt::format("session expired: {}", lost->message),
                 .endpoint = lost->endpoint};
  }
  if (session.lost()) {
    return Error{.code = Code::kAborted,
                 .message = "session expired: no keep-alive succeeded within the lease's TTL"};
  }
  return Error{.code = Code::kAborted, .message = "session closed"};
}

namespace {

// Best effort, with its own short deadline: the caller's context may be what ended the wait.
void withdraw(const Session& session, const std::string& candidate) {
  Txn txn;
  txn.compare.push_back(Compare::lease(candidate, Compare::Relation::kEqual, session.lease()));
  txn.success.push_back(Op::delete_op(candidate));
  KV(session.client()).txn(txn, Context::with_timeout(std::chrono::seconds(1)));
}

}  // namespace

Result<KeyValue> wait_for_turn(const Session& session, const Context& ctx,
                               const std::string& candidate,
                               const std::function<Result<std::string>(const Context&)>& wait) {
  if (session.done_context().cancelled() || session.lost()) return fail(session_gone(session));
  Context both = ctx.deadline() ? Context().with_deadline(*ctx.deadline()) : Context();
  Result<std::string> key = [&] {
    Context::Hook by_caller = ctx.on_cancel([&both] { both.cancel(); });
    Context::Hook by_session = session.done_context().on_cancel([&both] { both.cancel(); });
    return wait(both);
  }();
  if (!key) {
    withdraw(session, candidate);
    if (session.done_context().cancelled() || session.lost()) return fail(session_gone(session));
    if (ctx.done()) return fail(context_error(ctx));
    return fail(key.error());
  }
  // etcd's server answers as soon as no older key remains, even if ours went with its lease;
  // the win counts only if the key is still there under our lease.
  auto read = KV(session.client()).get(*key, {}, ctx);
  if (!read) {
    withdraw(session, candidate);
    return fail(read.error());
  }
  if (read->kvs.empty() || read->kvs.front().lease != session.lease()) {
    return fail(Code::kAborted,
                fmt::format("key {} was deleted before its turn could be confirmed", *key));
  }
  return read->kvs.front();
}

}  // namespace regent::client::internal
