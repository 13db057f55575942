#include "client/session.h"

#include "client/lease.h"

namespace regent::client {

Result<std::shared_ptr<Session>> Session::create(std::shared_ptr<Client> client,
                                                 SessionOptions options, const Context& ctx) {
  if (options.ttl.count() <= 0 && options.lease == 0) {
    return fail(Code::kInvalidArgument, "a session needs a positive TTL");
  }
  Lease leases(client);
  const auto sent = Clock::now();
  int64_t id = options.lease;
  std::chrono::seconds ttl = options.ttl;
  if (id == 0) {
    auto granted = leases.grant(options.ttl.count(), 0, ctx);
    if (!granted) return fail(granted.error());
    id = granted->id;
    ttl = std::chrono::seconds(granted->ttl);
  } else {
    // An existing lease: one renewal tells its TTL and starts the proof of life.
    auto renewed = leases.keep_alive_once(id, ctx);
    if (!renewed) return fail(renewed.error());
    ttl = std::chrono::seconds(renewed->ttl);
  }
  std::shared_ptr<Session> session(new Session(client, id, ttl));
  Session* raw = session.get();
  auto on_lost = std::move(options.on_lost);
  session->keep_alive_ = std::make_unique<KeepAlive>(
      client, id, ttl, sent + ttl, KeepAliveOptions{.on_lost = [raw, on_lost](const Error& e) {
        raw->done_.cancel();
        if (on_lost) on_lost(e);
      }});
  return session;
}

Session::Session(std::shared_ptr<Client> client, int64_t lease, std::chrono::seconds ttl)
    : client_(std::move(client)), lease_(lease), ttl_(ttl) {}

Session::~Session() {
  if (!closed_.load()) close(Context::with_timeout(std::chrono::seconds(1)));
}

Result<void> Session::close(const Context& ctx) {
  if (closed_.exchange(true)) return {};
  keep_alive_->stop();
  done_.cancel();
  if (keep_alive_->lost_error()) return {};  // Gone already: nothing to revoke.
  auto revoked = Lease(client_).revoke(lease_, ctx);
  if (!revoked && !revoked.error().is_lease_not_found()) return fail(revoked.error());
  return {};
}

void Session::orphan() {
  if (closed_.exchange(true)) return;
  keep_alive_->stop();
  done_.cancel();
}

}  // namespace regent::client
