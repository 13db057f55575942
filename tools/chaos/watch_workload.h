// watch: writers put unique values under a prefix through random members, and now and then
// compact the history; watchers (the client's Watcher, which resumes on another member after a
// break) follow the prefix from one start revision to the end. Checked, per watcher: revisions
// only grow, none repeated; every acknowledged put inside the span it watched is seen, with its
// value; nothing is seen that no writer put; and all watchers saw the same event at each
// revision. A watch ended by compaction starts again at the oldest revision kept (a gap the
// server announced, so not a violation), as a new span.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "client/watch.h"
#include "workload.h"

namespace regent::chaos {

class WatchWorkload : public Workload {
 public:
  static constexpr int kWatchers = 3;

  WatchWorkload(Cluster& cluster, OpLog& log) : cluster_(cluster), log_(log) {}
  ~WatchWorkload() override;
  std::string name() const override { return "watch"; }
  void step(int worker, Prng& rng) override;
  void finish() override;
  CheckResult check() override;

 private:
  struct Seen {
    int64_t revision = 0;
    std::string key;
    std::string value;
  };
  // One watcher's continuous span: from `start` on, every event it delivered.
  struct Span {
    int watcher = 0;
    int64_t start = 0;
    std::vector<Seen> events;
    std::string ended;  // Why it ended early ("" while running or cancelled at the end).
  };
  struct Put {
    std::string key;
    std::string value;
    Outcome outcome = Outcome::kOk;
    int64_t revision = 0;  // Ok puts: the revision the answer named.
  };

  // What check() knows of the puts: each by its (unique) value, the ok ones by revision.
  struct PutIndex {
    std::map<std::string, const Put*> by_value;
    std::map<int64_t, const Put*> ok_by_revision;
  };
  using Agreed = std::map<int64_t, std::pair<std::string, std::string>>;  // revision: key, value
  PutIndex index_puts(CheckResult& out) const;
  // One span: its events in order and accounted for, then every acknowledged put it covered.
  void check_span(const Span& span, const PutIndex& puts, Agreed& agreed, CheckResult& out) const;
  void start_watchers();
  void start_span(int watcher, int64_t from);
  // Stops restarts, joins the threads that made them and ends every watcher (outside mu_: their
  // callbacks take it).
  void stop_watchers();

  Cluster& cluster_;
  OpLog& log_;
  std::atomic<uint64_t> next_{0};
  std::once_flag started_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Span>> spans_;
  std::vector<std::unique_ptr<client::Watcher>> watchers_;
  std::vector<std::thread> restarts_;  // Spans started again after a compaction.
  bool stopping_ = false;
  std::vector<Put> puts_;
  int64_t first_revision_ = 0;
  int64_t last_revision_ = 0;  // The final put's, once finish() made one.
};

}  // namespace regent::chaos
