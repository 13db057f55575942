#include "client/watch.h"

#include <fmt/format.h>

#include <algorithm>

#include "client/internal/authenticate.h"
#include "client/internal/call.h"
#include "client/internal/connections.h"
#include "client/internal/convert.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::client {

using Clock = Context::Clock;
using std::chrono::milliseconds;

std::unique_ptr<Watcher> Watcher::start(std::shared_ptr<Client> client, std::string key,
                                        WatchOptions options) {
  return start(std::move(client), std::move(key), std::move(options), nullptr, nullptr);
}

std::unique_ptr<Watcher> Watcher::start(std::shared_ptr<Client> client, std::string key,
                                        WatchOptions options, OnEvents on_events, OnEnd on_end) {
  std::unique_ptr<Watcher> w(new Watcher(std::move(client), std::move(key), std::move(options),
                                         std::move(on_events), std::move(on_end)));
  w->thread_ = std::thread([raw = w.get()] { raw->run(); });
  return w;
}

Watcher::Watcher(std::shared_ptr<Client> client, std::string key, WatchOptions options,
                 OnEvents on_events, OnEnd on_end)
    : client_(std::move(client)),
      key_(std::move(key)),
      options_(std::move(options)),
      on_events_(std::move(on_events)),
      on_end_(std::move(on_end)),
      next_revision_(options_.start_revision) {}

Watcher::~Watcher() { cancel(); }

void Watcher::cancel() {
  stop_.cancel();
  {
    std::lock_guard lock(mu_);
    if (!ended_) ended_ = Error{.code = Code::kCancelled, .message = "watch canceled"};
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t Watcher::next_revision() const {
  std::lock_guard lock(mu_);
  return next_revision_;
}

size_t Watcher::resumes() const {
  std::lock_guard lock(mu_);
  return resumes_;
}

Result<WatchResponse> Watcher::next(const Context& ctx) {
  std::unique_lock lock(mu_);
  // Bounded by ctx: each wake-up either returns or re-checks a deadline that only gets closer.
  for (;;) {
    if (!pending_.empty()) {
      WatchResponse r = std::move(pending_.front());
      pending_.pop_front();
      cv_.notify_all();  // Room for the reader.
      return r;
    }
    if (ended_) return fail(*ended_);
    if (ctx.done()) return fail(internal::context_error(ctx));
    const auto wake = std::min(ctx.deadline().value_or(Clock::time_point::max()),
                               Clock::now() + milliseconds(50));
    cv_.wait_until(lock, wake);
  }
}

Result<void> Watcher::wait_created(const Context& ctx) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (created_) return {};
    if (ended_) return fail(*ended_);
    if (ctx.done()) return fail(internal::context_error(ctx));
    const auto wake = std::min(ctx.deadline().value_or(Clock::time_point::max()),
                               Clock::now() + milliseconds(50));
    cv_.wait_until(lock, wake);
  }
}

bool Watcher::deliver(WatchResponse response) {
  if (on_events_) {
    on_events_(response);
    return true;
  }
  std::unique_lock lock(mu_);
  while (pending_.size() >= std::max<size_t>(1, options_.max_pending) && !stop_.cancelled()) {
    cv_.wait_for(lock, milliseconds(50));
  }
  if (stop_.cancelled()) return false;
  pending_.push_back(std::move(response));
  cv_.notify_all();
  return true;
}

void Watcher::end(Error error) {
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = error;
  }
  cv_.notify_all();
  if (on_end_ && !stop_.cancelled()) on_end_(error);
}

void Watcher::run() {
  auto& connections = client_->connections();
  auto backoff = milliseconds(100);
  // Ends when cancelled or when the watch cannot continue; every round waits out a backoff.
  for (size_t round = 0; !stop_.cancelled(); ++round) {
    const size_t i = connections.preferred();
    const auto dial_deadline = Clock::now() + client_->options().dial_timeout;
    const bool connected = connections.wait_connected(i, dial_deadline, stop_);
    if (connected && !run_stream(i)) return;
    if (stop_.cancelled()) return;
    connections.note_failure(i);
    {
      std::lock_guard lock(mu_);
      if (round > 0 || created_) ++resumes_;
    }
    if (stop_.sleep_until(Clock::now() + backoff)) return;
    backoff = std::min(backoff * 2, milliseconds(1000));
  }
}

namespace {

etcdserverpb::WatchRequest create_request(const std::string& key, const WatchOptions& o,
                                          int64_t start_revision) {
  etcdserverpb::WatchRequest request;
  auto* create = request.mutable_create_request();
  create->set_key(key.empty() && (o.prefix || o.from_key) ? std::string(1, '\0') : key);
  create->set_range_end(internal::range_end_for(key, o.range_end, o.prefix, o.from_key));
  create->set_start_revision(start_revision);
  create->set_prev_kv(o.prev_kv);
  create->set_progress_notify(o.progress_notify);
  if (o.no_put) create->add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
  if (o.no_delete) create->add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
  return request;
}

WatchResponse from_pb(const etcdserverpb::WatchResponse& pb) {
  WatchResponse r{.header = internal::from_pb(pb.header())};
  for (const auto& e : pb.events()) {
    Event event{
        .type = e.type() == mvccpb::Event::DELETE ? Event::Type::kDelete : Event::Type::kPut,
        .kv = internal::from_pb(e.kv())};
    if (e.has_prev_kv()) event.prev_kv = internal::from_pb(e.prev_kv());
    r.events.push_back(std::move(event));
  }
  return r;
}

// A server's cancel that another member may not repeat: anything but a lost leader.
bool final_cancel(const etcdserverpb::WatchResponse& r) {
  return r.compact_revision() > 0 || r.cancel_reason().find("no leader") == std::string::npos;
}

// A cancel that asks for a fresh token: its reason is one of etcd's errors for which clientv3
// re-authenticates (internal::auth_retry_for), alone or in gRPC's "rpc error: code = ... desc =
// ..." form; the code is not told apart, since a cancel reason carries none reliably.
bool stale_token_cancel(internal::Connections& connections, const etcdserverpb::WatchResponse& r) {
  if (!connections.tokens().configured()) return false;
  for (std::string_view text :
       {"etcdserver: invalid auth token", "etcdserver: revision of auth store is old",
        "etcdserver: user name is empty"}) {
    if (r.cancel_reason().find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> Watcher::stream_token(size_t i) {
  auto& connections = client_->connections();
  auto token =
      connections.tokens().current(internal::authenticate_on(connections, i, std::nullopt, stop_));
  if (token) return *token;
  // An unreachable member is left for the next round; a refusal (wrong password, too many
  // attempts) would be repeated by every member, so it ends the watch with etcd's words.
  const Code code = token.error().code;
  if (code != Code::kUnavailable && code != Code::kDeadlineExceeded && !stop_.cancelled()) {
    end(token.error());
  }
  return std::nullopt;
}

bool Watcher::has_ended() const {
  std::lock_guard lock(mu_);
  return ended_.has_value();
}

bool Watcher::run_stream(size_t i) {
  auto& connections = client_->connections();
  grpc::ClientContext cc;
  cc.AddMetadata("hasleader", "true");
  auto token = stream_token(i);
  if (!token) return !has_ended();
  if (!token->empty()) cc.AddMetadata(internal::kTokenMetadataKey, *token);
  Context::Hook hook = stop_.on_cancel([&cc] { cc.TryCancel(); });
  auto stub = etcdserverpb::Watch::NewStub(connections.channel(i));
  auto stream = stub->Watch(&cc);
  int64_t start = 0;
  {
    std::lock_guard lock(mu_);
    start = next_revision_;
  }
  if (!stream->Write(create_request(key_, options_, start))) {
    internal::note_stream_end(connections, *token, stream->Finish());
    return true;
  }
  etcdserverpb::WatchResponse pb;
  while (stream->Read(&pb)) {
    if (pb.canceled() && !refreshed_token_ && stale_token_cancel(connections, pb)) {
      // etcd checks a watch's token when it is created, and cancels it with the token's
      // error; as clientv3 does, the watch resumes once with a fresh token.
      refreshed_token_ = true;
      connections.tokens().forget(*token);
      break;
    }
    if (pb.canceled() && final_cancel(pb)) {
      Error e{.code = pb.compact_revision() > 0 ? Code::kOutOfRange : Code::kCancelled,
              .message =
                  pb.cancel_reason().empty() ? "watch canceled by the server" : pb.cancel_reason(),
              .endpoint = connections.endpoint(i),
              .compact_revision = pb.compact_revision()};
      if (pb.compact_revision() > 0 && !e.is_compacted()) {
        e.message = "etcdserver: mvcc: required revision has been compacted";
      }
      cc.TryCancel();
      stream->Finish().IgnoreError();
      end(std::move(e));
      return false;
    }
    if (pb.canceled()) break;  // Lost its leader: resume elsewhere.
    if (pb.created()) {
      refreshed_token_ = false;
      connections.note_success(i);
      {
        std::lock_guard lock(mu_);
        if (next_revision_ == 0) next_revision_ = pb.header().revision() + 1;
        created_ = true;
      }
      cv_.notify_all();
      if (pb.events_size() == 0) continue;
    }
    WatchResponse r = from_pb(pb);
    {
      std::lock_guard lock(mu_);
      if (!r.events.empty()) {
        next_revision_ = r.events.back().kv.mod_revision + 1;
      } else {
        // A progress notification: every change up to this revision has been sent.
        next_revision_ = std::max(next_revision_, r.header.revision + 1);
      }
    }
    if (!deliver(std::move(r))) break;
  }
  cc.TryCancel();
  internal::note_stream_end(connections, *token, stream->Finish());
  return true;
}

}  // namespace regent::client
