// Watches: a stream of changes to a key or range, from a revision on, that survives the loss of
// the member serving it.
//
// Invariants:
//  - Events are delivered in revision order, each exactly once: after a stream breaks the
//    watch is created again on another endpoint from the last delivered revision + 1 (or, before
//    any event, from the revision at which the first stream was created), so nothing is missed
//    and nothing repeated. One revision's events always arrive in one response.
//  - The watch ends by itself only when it cannot continue: the revision it must resume from
//    was compacted (Error::is_compacted(), with compact_revision), or the server cancelled it
//    for a reason other than a lost leader. The end is reported once (on_end, or next()).
//  - Streams carry etcd's "hasleader" metadata, so a member that loses its leader ends them and
//    the watch moves to a member that has one.
//  - Pull mode buffers at most `max_pending` responses; beyond that the stream is not read
//    until next() makes room (gRPC flow control then holds the server back).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/types.h"

namespace regent::client {

struct WatchOptions {
  std::string range_end;
  bool prefix = false;
  bool from_key = false;
  int64_t start_revision = 0;  // 0: changes after the watch is created.
  bool prev_kv = false;
  bool progress_notify = false;
  bool no_put = false;
  bool no_delete = false;
  size_t max_pending = 1024;
};

struct Event {
  enum class Type { kPut = 0, kDelete = 1 };
  Type type = Type::kPut;
  KeyValue kv;  // For a delete: the key, with mod_revision the revision of the delete.
  std::optional<KeyValue> prev_kv;
};

struct WatchResponse {
  ResponseHeader header;
  std::vector<Event> events;  // Empty for a progress notification.
};

class Watcher {
 public:
  using OnEvents = std::function<void(const WatchResponse&)>;
  using OnEnd = std::function<void(const Error&)>;

  // Pull mode: responses are taken with next().
  static std::unique_ptr<Watcher> start(std::shared_ptr<Client> client, std::string key,
                                        WatchOptions options = {});
  // Push mode: on_events runs on the watch's thread for each response; on_end runs once if the
  // watch ends by itself (not after cancel()). Neither may destroy the Watcher.
  static std::unique_ptr<Watcher> start(std::shared_ptr<Client> client, std::string key,
                                        WatchOptions options, OnEvents on_events,
                                        OnEnd on_end = nullptr);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // The next response (pull mode). An error when ctx ends (the watch goes on), or when the watch
  // has ended (then every later call returns the same error).
  Result<WatchResponse> next(const Context& ctx = Context());
  // Waits until a server first confirmed the watch: changes made after this are seen.
  Result<void> wait_created(const Context& ctx = Context());
  // Stops the watch; next() then fails with Cancelled.
  void cancel();

  int64_t next_revision() const;
  size_t resumes() const;  // Streams re-created after a break (for tests and logs).

 private:
  Watcher(std::shared_ptr<Client> client, std::string key, WatchOptions options, OnEvents on_events,
          OnEnd on_end);
  void run();
  // One stream on endpoint i; returns false when the watch has ended.
  bool run_stream(size_t i);
  // The auth token for a stream on endpoint i ("" for none needed); nullopt when none could be
  // had (the watch has then ended if the server refused to authenticate).
  std::optional<std::string> stream_token(size_t i);
  bool has_ended() const;
  bool deliver(WatchResponse response);
  void end(Error error);

  const std::shared_ptr<Client> client_;
  const std::string key_;
  const WatchOptions options_;
  const OnEvents on_events_;
  const OnEnd on_end_;
  Context stop_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WatchResponse> pending_;
  std::optional<Error> ended_;
  bool created_ = false;
  int64_t next_revision_ = 0;
  size_t resumes_ = 0;
  // A stream was cancelled for a stale token and has not been created since: a second such
  // cancel ends the watch rather than authenticating in a loop. Touched by the watch thread only.
  bool refreshed_token_ = false;
  std::thread thread_;
};

}  // namespace regent::client
