#include <algorithm>

#include "client/election.h"
#include "client/internal/authenticate.h"
#include "client/internal/connections.h"
#include "client/internal/convert.h"
#include "v3electionpb/v3election.grpc.pb.h"

namespace regent::client {

using Clock = Context::Clock;
using std::chrono::milliseconds;

std::unique_ptr<ElectionObserver> ElectionObserver::start(std::shared_ptr<Client> client,
                                                          std::string name, OnLeader on_leader) {
  std::unique_ptr<ElectionObserver> o(
      new ElectionObserver(std::move(client), std::move(name), std::move(on_leader)));
  o->thread_ = std::thread([raw = o.get()] { raw->run(); });
  return o;
}

ElectionObserver::ElectionObserver(std::shared_ptr<Client> client, std::string name,
                                   OnLeader on_leader)
    : client_(std::move(client)), name_(std::move(name)), on_leader_(std::move(on_leader)) {}

ElectionObserver::~ElectionObserver() { cancel(); }

void ElectionObserver::cancel() {
  stop_.cancel();
  if (thread_.joinable()) thread_.join();
}

void ElectionObserver::run() {
  auto& connections = client_->connections();
  auto backoff = milliseconds(100);
  // Ends when cancelled; every round waits out a backoff.
  while (!stop_.cancelled()) {
    const size_t i = connections.preferred();
    if (connections.wait_connected(i, Clock::now() + client_->options().dial_timeout, stop_)) {
      run_stream(i);
    }
    if (stop_.cancelled()) return;
    connections.note_failure(i);
    if (stop_.sleep_until(Clock::now() + backoff)) return;
    backoff = std::min(backoff * 2, milliseconds(1000));
  }
}

void ElectionObserver::run_stream(size_t i) {
  grpc::ClientContext cc;
  // A member that loses its leader ends the stream, so the observer moves to one that has one.
  cc.AddMetadata("hasleader", "true");
  auto& connections = client_->connections();
  // Without a token (Authenticate failed) the next round tries again after its backoff.
  auto token = internal::attach_token(connections, i, stop_, cc);
  if (!token) return;
  Context::Hook hook = stop_.on_cancel([&cc] { cc.TryCancel(); });
  auto stub = v3electionpb::Election::NewStub(connections.channel(i));
  v3electionpb::LeaderRequest request;
  request.set_name(name_);
  auto stream = stub->Observe(&cc, request);
  v3electionpb::LeaderResponse response;
  while (stream->Read(&response)) {
    if (!response.has_kv()) continue;
    KeyValue kv = internal::from_pb(response.kv());
    // A resumed stream starts with the leader already reported.
    if (kv.key == last_.key && kv.create_revision == last_.create_revision &&
        kv.mod_revision == last_.mod_revision) {
      continue;
    }
    last_ = kv;
    on_leader_(kv);
  }
  cc.TryCancel();
  internal::note_stream_end(connections, *token, stream->Finish());
}

}  // namespace regent::client
