// Shared pieces of the transport tests: a Handler and a Logger that record what they are told,
// bounded waits, ports, and members started on 127.0.0.1.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/logger.h"
#include "raft/message.h"
#include "transport/transport.h"

namespace regent::transport::testing {

using namespace std::chrono_literals;

// Every wait in these tests ends by this, pass or fail; on a busy machine things take a while.
inline constexpr std::chrono::milliseconds kWaitLimit = 15s;

// Polls `done` every few milliseconds until it holds or `limit` passes; whether it held.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = kWaitLimit);

class RecordingHandler final : public Handler {
 public:
  void on_messages(std::vector<raft::Message> messages) override;
  void on_unreachable(raft::NodeId peer) override;
  void on_snapshot_sent(raft::NodeId peer, bool ok) override;
  void on_peer_down(raft::NodeId peer) override;
  void on_removed_by(raft::NodeId peer) override;

  // Every message received, in order of arrival.
  std::vector<raft::Message> messages() const;
  // Those from `from`.
  std::vector<raft::Message> messages_from(raft::NodeId from) const;
  size_t message_count() const;
  // The size of each on_messages call, in order.
  std::vector<size_t> batch_sizes() const;
  int unreachable(raft::NodeId peer) const;
  int down(raft::NodeId peer) const;
  int removed_by(raft::NodeId peer) const;
  std::vector<std::pair<raft::NodeId, bool>> snapshots_sent() const;
  // Handler calls of any kind so far.
  int calls() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<raft::Message>> batches_;
  std::map<raft::NodeId, int> unreachable_;
  std::map<raft::NodeId, int> down_;
  std::map<raft::NodeId, int> removed_by_;
  std::vector<std::pair<raft::NodeId, bool>> snapshots_sent_;
  int calls_ = 0;
};

// Keeps every line; echoes them to stderr when REGENT_TEST_LOG is set.
class CapturingLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view message) override;
  bool enabled(LogLevel) const override { return true; }

  // Lines at `level` or above that contain `needle`.
  int count(std::string_view needle, LogLevel level = LogLevel::kDebug) const;
  std::string dump() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
};

// A port on 127.0.0.1 that the kernel will hand to nobody else while this object lives: it is
// bound with SO_REUSEADDR and never listened on, so a transport (which also sets SO_REUSEADDR)
// can still bind and listen on it, while a connection to it before then is refused.
class ReservedPort {
 public:
  ReservedPort();
  ~ReservedPort();
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

inline std::string local_address(int port) { return "127.0.0.1:" + std::to_string(port); }

// A member's transport with its own handler and logger.
struct Member {
  raft::NodeId id = raft::kNone;
  RecordingHandler handler;
  CapturingLogger logger;
  std::unique_ptr<Transport> transport;
};

inline constexpr uint64_t kClusterId = 0xc1u;

// Options for `self` listening on `listen`, with `peers`; quick backoff for tests.
Options member_options(raft::NodeId self, std::string listen, std::vector<PeerAddress> peers,
                       uint64_t cluster_id = kClusterId);

// Starts `member` with `options`, failing the test if it cannot.
void start_member(Member& member, const Options& options);

// Starts members with these ids that know each other, on reserved ports.
std::vector<std::unique_ptr<Member>> start_members(
    const std::vector<raft::NodeId>& ids,
    const std::function<void(Options&)>& adjust = [](Options&) {});

// Whether every member's stream to every other one is up, within kWaitLimit.
bool all_connected(const std::vector<std::unique_ptr<Member>>& members);

// An append from `from` to `to` whose index tells the order it was sent in.
raft::Message numbered(raft::NodeId from, raft::NodeId to, raft::Index index,
                       size_t payload_bytes = 8);

// A kSnapshot message carrying `bytes` bytes of data that depend on every position.
raft::Message snapshot_message(raft::NodeId from, raft::NodeId to, size_t bytes);

// Indexes of `messages`, in order.
std::vector<raft::Index> indexes(const std::vector<raft::Message>& messages);
std::vector<raft::Index> one_to(raft::Index n);

}  // namespace regent::transport::testing
