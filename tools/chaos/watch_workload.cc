#include "watch_workload.h"

#include <fmt/format.h>

#include <thread>

#include "client/kv.h"
#include "client/watch.h"

namespace regent::chaos {

namespace {
const std::string kWatchPrefix = "rgchaos/watch/";
// Violations printed per span (all are counted): one missing event usually means many.
constexpr int kPerSpan = 3;
}  // namespace

WatchWorkload::~WatchWorkload() { stop_watchers(); }

void WatchWorkload::stop_watchers() {
  std::vector<std::thread> restarts;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    restarts.swap(restarts_);
  }
  for (auto& t : restarts) t.join();
  std::vector<std::unique_ptr<client::Watcher>> watchers;
  {
    std::lock_guard lock(mu_);
    watchers.swap(watchers_);
  }
  watchers.clear();
}

void WatchWorkload::start_span(int watcher, int64_t from) {
  auto span = std::make_unique<Span>();
  span->watcher = watcher;
  span->start = from;
  Span* raw = span.get();
  {
    std::lock_guard lock(mu_);
    spans_.push_back(std::move(span));
  }
  auto on_events = [this, raw](const client::WatchResponse& r) {
    std::lock_guard lock(mu_);
    for (const auto& e : r.events) {
      raw->events.push_back({e.kv.mod_revision, e.kv.key, e.kv.value});
    }
  };
  auto on_end = [this, raw, watcher](const client::Error& e) {
    std::lock_guard lock(mu_);
    raw->ended = e.describe();
    // Compacted: the server says which revisions are gone; follow on from the oldest kept. On a
    // thread of its own, since a watch's callback may not start or end watches.
    if (e.is_compacted() && e.compact_revision > 0 && !stopping_) {
      restarts_.emplace_back(
          [this, watcher, from = e.compact_revision] { start_span(watcher, from); });
    }
  };
  auto w = client::Watcher::start(cluster_.any_client(), kWatchPrefix,
                                  client::WatchOptions{.prefix = true, .start_revision = from},
                                  on_events, on_end);
  std::unique_ptr<client::Watcher> discard;  // Ended after mu_ is released.
  std::lock_guard lock(mu_);
  if (stopping_) {
    raw->ended = "stopped while starting";
    discard = std::move(w);
    return;
  }
  watchers_.push_back(std::move(w));
}

void WatchWorkload::start_watchers() {
  client::KV kv(cluster_.any_client());
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (auto r = kv.get(kWatchPrefix, client::GetOptions{.prefix = true, .count_only = true})) {
      first_revision_ = r->header.revision + 1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  for (int w = 0; w < kWatchers; ++w) start_span(w, first_revision_);
}

void WatchWorkload::step(int /*worker*/, Prng& rng) {
  std::call_once(started_, [this] { start_watchers(); });
  const uint64_t n = next_.fetch_add(1);
  client::KV kv(
      cluster_.client(static_cast<int>(rng.uniform(static_cast<uint64_t>(cluster_.size())))));
  const uint64_t invoke = run_micros();
  if (n % 300 == 299) {
    // Compaction, so that watchers resumed after a break may find their revision gone.
    int64_t latest = 0;
    {
      std::lock_guard lock(mu_);
      for (const auto& p : puts_) latest = std::max(latest, p.revision);
    }
    if (latest > 200) {
      auto r = kv.compact(latest - 200);
      log_.record(name(), invoke, run_micros(), outcome_of_write(r), error_of(r));
    }
    return;
  }
  Put put{.key = fmt::format("{}{}", kWatchPrefix, n % 50), .value = std::to_string(n)};
  auto r = kv.put(put.key, put.value);
  put.outcome = outcome_of_write(r);
  if (r) put.revision = r->header.revision;
  log_.record(name(), invoke, run_micros(), put.outcome, error_of(r));
  std::lock_guard lock(mu_);
  puts_.push_back(std::move(put));
}

void WatchWorkload::finish() {
  if (first_revision_ == 0) return;  // No step ever ran.
  client::KV kv(cluster_.any_client());
  for (int attempt = 0; attempt < 20 && last_revision_ == 0; ++attempt) {
    Put put{.key = kWatchPrefix + "final", .value = "final"};
    auto r = kv.put(put.key, put.value);
    put.outcome = outcome_of_write(r);
    if (r) put.revision = last_revision_ = r->header.revision;
    std::lock_guard lock(mu_);
    puts_.push_back(std::move(put));
    if (!r) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  // Every span still running must reach the final put (bounded).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    bool all = true;
    {
      std::lock_guard lock(mu_);
      for (const auto& s : spans_) {
        all = all && (!s->ended.empty() ||
                      (!s->events.empty() && s->events.back().revision >= last_revision_));
      }
    }
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop_watchers();
}

WatchWorkload::PutIndex WatchWorkload::index_puts(CheckResult& out) const {
  PutIndex index;
  uint64_t duplicates = 0;
  for (const auto& p : puts_) {
    index.by_value[p.value] = &p;
    if (p.outcome != Outcome::kOk) continue;
    auto [it, fresh] = index.ok_by_revision.emplace(p.revision, &p);
    if (!fresh) {
      // One revision, one change: two acknowledged puts cannot both own it.
      out.violations.push_back(
          {name(),
           fmt::format("two acknowledged puts were answered with revision {}", p.revision),
           {fmt::format("put {} = {} ok, revision {}", it->second->key, it->second->value,
                        p.revision),
            fmt::format("put {} = {} ok, revision {}", p.key, p.value, p.revision)},
           false,
           ++duplicates <= 5});
    }
  }
  return index;
}

void WatchWorkload::check_span(const Span& span, const PutIndex& puts, Agreed& agreed,
                               CheckResult& out) const {
  int shown = 0;
  auto flag = [&](std::string what, std::vector<std::string> history) {
    out.violations.push_back(
        {name(), std::move(what), std::move(history), false, shown++ < kPerSpan});
  };
  const std::string who =
      fmt::format("watcher {} (span from revision {})", span.watcher, span.start);
  int64_t previous = span.start - 1;
  std::map<int64_t, const Seen*> seen;
  for (const auto& e : span.events) {
    if (e.revision <= previous) {
      flag(fmt::format("{} saw revision {} after {}: repeated or out of order", who, e.revision,
                       previous),
           {fmt::format("event {} {} = {}", e.revision, e.key, e.value)});
    }
    previous = std::max(previous, e.revision);
    seen[e.revision] = &e;
    auto put = puts.by_value.find(e.value);
    if (put == puts.by_value.end() || put->second->key != e.key) {
      flag(fmt::format("{} saw {} = {} at revision {}, which no writer put", who, e.key, e.value,
                       e.revision),
           {});
    } else if (put->second->outcome == Outcome::kOk && put->second->revision != e.revision) {
      flag(fmt::format("{} saw {} = {} at revision {}, but the put was answered with revision {}",
                       who, e.key, e.value, e.revision, put->second->revision),
           {});
    } else if (put->second->outcome == Outcome::kFailed) {
      flag(fmt::format("{} saw {} = {}, whose put failed", who, e.key, e.value), {});
    }
    auto [it, fresh] = agreed.emplace(e.revision, std::make_pair(e.key, e.value));
    if (!fresh && it->second != std::make_pair(e.key, e.value)) {
      flag(fmt::format("watchers disagree at revision {}: {} = {} and {} = {}", e.revision,
                       it->second.first, it->second.second, e.key, e.value),
           {});
    }
  }
  // The span watched [start, end]: to the final put, or to what it saw before it ended.
  const int64_t end = span.ended.empty() ? last_revision_ : previous;
  for (auto it = puts.ok_by_revision.lower_bound(span.start);
       it != puts.ok_by_revision.end() && it->first <= end; ++it) {
    const Put& put = *it->second;
    const std::string acked =
        fmt::format("put {} = {} ok, revision {}", put.key, put.value, it->first);
    auto s = seen.find(it->first);
    if (s == seen.end()) {
      flag(fmt::format("{} missed {} = {} at revision {} (acknowledged)", who, put.key, put.value,
                       it->first),
           {acked});
    } else if (s->second->key != put.key || s->second->value != put.value) {
      flag(fmt::format("{} saw {} = {} at revision {}, the revision of the acknowledged put "
                       "{} = {}",
                       who, s->second->key, s->second->value, it->first, put.key, put.value),
           {acked, fmt::format("event {} {} = {}", it->first, s->second->key, s->second->value)});
    }
  }
}

CheckResult WatchWorkload::check() {
  CheckResult out;
  std::lock_guard lock(mu_);
  const PutIndex puts = index_puts(out);
  Agreed agreed;
  size_t events = 0;
  for (const auto& span : spans_) {
    events += span->events.size();
    check_span(*span, puts, agreed, out);
  }
  out.notes.push_back(fmt::format("watch: {} spans, {} events delivered, {} puts", spans_.size(),
                                  events, puts_.size()));
  return out;
}

}  // namespace regent::chaos
