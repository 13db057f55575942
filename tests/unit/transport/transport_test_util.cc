#include "unit/transport/transport_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace regent::transport::testing {

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  constexpr auto kPoll = 5ms;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const int64_t max_polls = limit / kPoll + 1;
  for (int64_t i = 0; i <= max_polls; ++i) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPoll);
  }
  return done();
}

void RecordingHandler::on_messages(std::vector<raft::Message> messages) {
  std::lock_guard lock(mu_);
  ++calls_;
  batches_.push_back(std::move(messages));
}

void RecordingHandler::on_unreachable(raft::NodeId peer) {
  std::lock_guard lock(mu_);
  ++calls_;
  ++unreachable_[peer];
}

void RecordingHandler::on_peer_down(raft::NodeId peer) {
  std::lock_guard lock(mu_);
  ++calls_;
  ++down_[peer];
}

void RecordingHandler::on_removed_by(raft::NodeId peer) {
  std::lock_guard lock(mu_);
  ++calls_;
  ++removed_by_[peer];
}

void RecordingHandler::on_snapshot_sent(raft::NodeId peer, bool ok) {
  std::lock_guard lock(mu_);
  ++calls_;
  snapshots_sent_.emplace_back(peer, ok);
}

std::vector<raft::Message> RecordingHandler::messages() const {
  std::lock_guard lock(mu_);
  std::vector<raft::Message> all;
  for (const auto& batch : batches_) all.insert(all.end(), batch.begin(), batch.end());
  return all;
}

std::vector<raft::Message> RecordingHandler::messages_from(raft::NodeId from) const {
  std::vector<raft::Message> some;
  for (raft::Message& message : messages()) {
    if (message.from == from) some.push_back(std::move(message));
  }
  return some;
}

size_t RecordingHandler::message_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& batch : batches_) n += batch.size();
  return n;
}

std::vector<size_t> RecordingHandler::batch_sizes() const {
  std::lock_guard lock(mu_);
  std::vector<size_t> sizes;
  for (const auto& batch : batches_) sizes.push_back(batch.size());
  return sizes;
}

namespace {
int count_of(const std::map<raft::NodeId, int>& counts, raft::NodeId peer) {
  auto it = counts.find(peer);
  return it == counts.end() ? 0 : it->second;
}
}  // namespace

int RecordingHandler::unreachable(raft::NodeId peer) const {
  std::lock_guard lock(mu_);
  return count_of(unreachable_, peer);
}

int RecordingHandler::down(raft::NodeId peer) const {
  std::lock_guard lock(mu_);
  return count_of(down_, peer);
}

int RecordingHandler::removed_by(raft::NodeId peer) const {
  std::lock_guard lock(mu_);
  return count_of(removed_by_, peer);
}

std::vector<std::pair<raft::NodeId, bool>> RecordingHandler::snapshots_sent() const {
  std::lock_guard lock(mu_);
  return snapshots_sent_;
}

int RecordingHandler::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

void CapturingLogger::log(LogLevel level, std::string_view message) {
  static const bool echo = std::getenv("REGENT_TEST_LOG") != nullptr;
  std::lock_guard lock(mu_);
  if (echo) std::cerr << static_cast<int>(level) << " " << message << "\n";
  lines_.emplace_back(level, std::string(message));
}

int CapturingLogger::count(std::string_view needle, LogLevel level) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [line_level, line] : lines_) {
    if (line_level >= level && line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

std::string CapturingLogger::dump() const {
  std::lock_guard lock(mu_);
  std::string all;
  for (const auto& [level, line] : lines_) {
    all += std::to_string(static_cast<int>(level)) + " " + line + "\n";
  }
  return all;
}

ReservedPort::ReservedPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

ReservedPort::~ReservedPort() { ::close(fd_); }

Options member_options(raft::NodeId self, std::string listen, std::vector<PeerAddress> peers,
                       uint64_t cluster_id) {
  Options options;
  options.cluster_id = cluster_id;
  options.self = self;
  options.listen_address = std::move(listen);
  options.peers = std::move(peers);
  options.min_backoff = 10ms;
  options.max_backoff = 200ms;
  return options;
}

void start_member(Member& member, const Options& options) {
  member.id = options.self;
  auto started = Transport::start(options, member.handler, member.logger);
  ASSERT_TRUE(started.has_value()) << started.error();
  member.transport = std::move(started).value();
}

std::vector<std::unique_ptr<Member>> start_members(const std::vector<raft::NodeId>& ids,
                                                   const std::function<void(Options&)>& adjust) {
  std::vector<std::unique_ptr<ReservedPort>> ports;
  for (size_t i = 0; i < ids.size(); ++i) ports.push_back(std::make_unique<ReservedPort>());
  std::vector<std::unique_ptr<Member>> members;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<PeerAddress> peers;
    for (size_t j = 0; j < ids.size(); ++j) {
      if (j != i) peers.push_back({.id = ids[j], .address = ports[j]->address()});
    }
    Options options = member_options(ids[i], ports[i]->address(), std::move(peers));
    adjust(options);
    auto member = std::make_unique<Member>();
    start_member(*member, options);
    members.push_back(std::move(member));
  }
  return members;
}

bool all_connected(const std::vector<std::unique_ptr<Member>>& members) {
  return eventually([&] {
    for (const auto& member : members) {
      for (const auto& peer : members) {
        if (peer != member && !member->transport->connected(peer->id)) return false;
      }
    }
    return true;
  });
}

raft::Message numbered(raft::NodeId from, raft::NodeId to, raft::Index index,
                       size_t payload_bytes) {
  raft::Message message{.type = raft::MessageType::kAppend,
                        .to = to,
                        .from = from,
                        .term = 3,
                        .log_term = 3,
                        .index = index,
                        .commit = index / 2};
  message.entries.push_back(raft::Entry{
      .term = 3, .index = index + 1, .data = std::string(payload_bytes, char('a' + index % 26))});
  return message;
}

raft::Message snapshot_message(raft::NodeId from, raft::NodeId to, size_t bytes) {
  raft::Message message{.type = raft::MessageType::kSnapshot, .to = to, .from = from, .term = 7};
  message.snapshot.metadata.index = 1000;
  message.snapshot.metadata.term = 6;
  message.snapshot.metadata.conf_state.voters = {1, 2, 3};
  message.snapshot.metadata.conf_state.learners = {4};
  message.snapshot.data.resize(bytes);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < bytes; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    message.snapshot.data[i] = static_cast<char>(x);
  }
  return message;
}

std::vector<raft::Index> indexes(const std::vector<raft::Message>& messages) {
  std::vector<raft::Index> out;
  for (const raft::Message& message : messages) out.push_back(message.index);
  return out;
}

std::vector<raft::Index> one_to(raft::Index n) {
  std::vector<raft::Index> out(n);
  std::iota(out.begin(), out.end(), raft::Index{1});
  return out;
}

}  // namespace regent::transport::testing
