#include "server/http/metrics.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>

#include "server/disk_usage.h"
#include "server/http/held_candidacies.h"

namespace regent::server::http {

namespace {

class Exposition {
 public:
  void gauge(std::string_view name, std::string_view help, double value) {
    family(name, help, "gauge");
    fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
  }
  void counter(std::string_view name, std::string_view help, double value) {
    family(name, help, "counter");
    fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
  }
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram& h) {
    histograms(name, help, {{"", &h}});
  }
  // One histogram family: each entry is its labels (`a="x",b="y"`, or empty) and its histogram.
  void histograms(std::string_view name, std::string_view help,
                  const std::vector<std::pair<std::string, const LatencyHistogram*>>& series) {
    family(name, help, "histogram");
    for (const auto& [labels, h] : series) {
      const std::string sep = labels.empty() ? "" : ",";
      const std::string own = labels.empty() ? "" : "{" + labels + "}";
      uint64_t cumulative = 0;
      for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
        cumulative += h->bucket(i);
        fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels,
                       sep, h->bounds()[i], cumulative);
      }
      cumulative += h->bucket(LatencyHistogram::kBuckets);
      fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels,
                     sep, cumulative);
      fmt::format_to(std::back_inserter(out_), "{}_sum{} {}\n{}_count{} {}\n", name, own,
                     h->sum_seconds(), name, own, cumulative);
    }
  }
  // One family with labels: each entry is `{labels}` and its value.
  void labeled(std::string_view name, std::string_view help, std::string_view type,
               const std::vector<std::pair<std::string, double>>& series) {
    family(name, help, type);
    for (const auto& [labels, value] : series) {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  std::string take() { return std::move(out_); }

 private:
  void family(std::string_view name, std::string_view help, std::string_view type) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  std::string out_;
};

// Resident set size from /proc/self/statm (its second field, in pages); 0 if unreadable.
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return static_cast<double>(resident_pages) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

// What Regent's own watchers of the member report: leader changes by cause, peer round trips,
// watchers, elections and locks.
void write_watched(Exposition& e, const MemberView& member) {
  if (member.leaders != nullptr) {
    std::vector<std::pair<std::string, const LatencyHistogram*>> gaps;
    for (const auto& [cause, h] : member.leaders->gaps()) {
      gaps.emplace_back(fmt::format("cause=\"{}\"", cause), h);
    }
    e.histograms("regent_leader_gap_seconds",
                 "From this member losing its leader to its knowing the next one, by the cause of "
                 "the loss as this member saw it (transfer, leader_process_gone, lost_quorum, "
                 "election_timeout, unknown).",
                 gaps);
  }
  if (member.prober != nullptr) {
    std::vector<std::pair<std::string, const LatencyHistogram*>> rtts;
    for (const PeerProber::Peer& p : member.prober->peers()) {
      rtts.emplace_back(fmt::format("To=\"{:x}\"", p.id), p.round_trips);
    }
    e.histograms("etcd_network_peer_round_trip_time_seconds",
                 "Round-Trip-Time histogram between peers (a small request on the open "
                 "connection to each peer's port, every few seconds).",
                 rtts);
  }
  if (member.watches != nullptr) {
    const WatchHub::Stats w = member.watches->stats();
    e.gauge("regent_watchers",
            "Watchers on this member's watch streams (etcd's etcd_debugging_mvcc_watcher_total).",
            static_cast<double>(w.watchers));
    e.gauge("regent_watch_streams",
            "Open watch streams on this member (etcd's etcd_debugging_mvcc_watch_stream_total).",
            static_cast<double>(w.streams));
  }
  if (member.queues != nullptr) {
    size_t locks = 0;
    size_t elections = 0;
    for (const Candidacy& c : held_candidacies(*member.machine, *member.queues)) {
      ++(c.is_lock ? locks : elections);
    }
    e.gauge("regent_elections_held",
            "Elections with a leader in the store (a key <name>/<lease hex> with a value).",
            static_cast<double>(elections));
    e.gauge("regent_locks_held", "Locks held in the store (a key <name>/<lease hex>, empty).",
            static_cast<double>(locks));
  }
}

}  // namespace

std::string render_metrics(const MemberView& member) {
  const NodeStatus s = member.node->status();
  const RaftNode& node = *member.node;
  Exposition e;
  e.gauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.",
          s.leader != raft::kNone ? 1 : 0);
  e.gauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.",
          s.is_leader ? 1 : 0);
  e.counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.",
            static_cast<double>(node.leader_changes()));
  // etcd types these two gauges, under _total names that promtool accepts only on counters; the
  // Raft indexes never go back within a process, so they are counters here, with etcd's names.
  e.counter("etcd_server_proposals_committed_total",
            "The total number of consensus proposals committed (the Raft commit index).",
            static_cast<double>(s.commit));
  e.counter("etcd_server_proposals_applied_total",
            "The total number of consensus proposals applied (the Raft applied index).",
            static_cast<double>(s.applied));
  e.gauge("etcd_server_proposals_pending",
          "The current number of pending proposals to commit (client requests waiting).",
          static_cast<double>(node.pending()));
  e.counter("etcd_server_proposals_failed_total", "The total number of failed proposals seen.",
            static_cast<double>(node.proposals_failed()));
  // etcd's etcd_debugging_mvcc_keys_total: a gauge (compaction lowers it) with a _total name,
  // which `promtool check metrics` rejects; so under a name of Regent's.
  const auto [keys, leases] = member.machine->read(
      [](const kv::Store& store) { return std::pair(store.key_count(), store.leases().size()); });
  e.gauge("regent_mvcc_keys",
          "Number of keys with a kept history, deleted keys until compacted included (etcd's "
          "etcd_debugging_mvcc_keys_total).",
          static_cast<double>(keys));
  e.gauge("regent_leases", "Leases granted and not yet revoked or expired.",
          static_cast<double>(leases));
  if (s.is_leader) {
    // Only the leader knows: how far behind each other member's confirmed log is.
    std::vector<std::pair<std::string, double>> lag;
    std::vector<std::pair<std::string, double>> active;
    for (const NodeStatus::Follower& f : s.followers) {
      const std::string labels = fmt::format("follower=\"{:x}\",learner=\"{}\",state=\"{}\"", f.id,
                                             f.learner ? "true" : "false", f.state);
      lag.emplace_back(labels, static_cast<double>(s.lag(f)));
      active.emplace_back(labels, f.recently_active ? 1 : 0);
    }
    e.labeled("regent_follower_lag_entries",
              "Leader only: entries of the leader's log not yet confirmed on each member.", "gauge",
              lag);
    e.labeled("regent_follower_recently_active",
              "Leader only: 1 if the member answered within the last election timeout.", "gauge",
              active);
  }
  e.gauge("etcd_debugging_mvcc_current_revision", "The current revision of store.",
          static_cast<double>(member.machine->revision()));
  e.gauge("etcd_mvcc_db_total_size_in_bytes",
          "Bytes of the member's data directory (log segments and snapshots, less the log's "
          "preallocated tail), Regent's counterpart of etcd's database file.",
          static_cast<double>(state_disk_bytes(member.data_dir, s.reserved_disk_bytes)));
  e.gauge("etcd_mvcc_db_total_size_in_use_in_bytes",
          "The store's size in use: about what its kept keys, versions and leases take in a "
          "snapshot; what the space quota is checked against.",
          static_cast<double>(member.machine->bytes_in_use()));
  e.gauge("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes.",
          static_cast<double>(member.quota_bytes));
  e.histogram("etcd_disk_wal_fsync_duration_seconds",
              "The latency distributions of fsync called by WAL (each sync the Raft loop waits "
              "for).",
              node.wal_fsync_seconds());
  e.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", resident_bytes());
  write_watched(e, member);
  if (member.calls != nullptr) {
    std::vector<std::pair<std::string, double>> series;
    for (const CallCounters::Count& c : member.calls->counts()) {
      series.emplace_back(fmt::format("grpc_code=\"{}\",grpc_method=\"{}\",grpc_service=\"{}\","
                                      "grpc_type=\"{}\"",
                                      c.code, c.method, c.service, c.type),
                          static_cast<double>(c.handled));
    }
    e.labeled("grpc_server_handled_total",
              "Total number of RPCs completed on the server, regardless of success or failure.",
              "counter", series);
  }
  return e.take();
}

}  // namespace regent::server::http
