#include "nemesis.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "client/maintenance.h"
#include "disk_fault.h"
#include "op_log.h"
#include "synced_image.h"

namespace regent::chaos {

namespace {
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string name_of(int i) { return fmt::format("n{}", i + 1); }
}  // namespace

const std::vector<std::string>& known_nemeses() {
  static const std::vector<std::string> kinds = {"kill",  "pause", "partition", "bridge",
                                                 "clock", "disk",  "power",     "churn"};
  return kinds;
}

Nemesis::Nemesis(NetWorld& world, Cluster& cluster, std::vector<std::string> kinds, uint64_t seed)
    : world_(world), cluster_(cluster), kinds_(std::move(kinds)), rng_(seed) {}

bool Nemesis::sleep_until(Clock::time_point t, const std::atomic<bool>& stop) {
  while (Clock::now() < t) {
    if (stop.load()) return false;
    note_crashed_members();
    std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(100), t - Clock::now()));
  }
  return !stop.load();
}

void Nemesis::run(Clock::time_point until, const std::atomic<bool>& stop) {
  if (kinds_.empty()) {
    sleep_until(until, stop);
    return;
  }
  for (;;) {
    // Quiet time, so that the cluster recovers and the checkers see it serve between faults.
    if (!sleep_until(std::min(until, Clock::now() + milliseconds(rng_.between(2000, 4000))),
                     stop) ||
        Clock::now() >= until) {
      return;
    }
    const std::string kind = kinds_[rng_.uniform(kinds_.size())];
    FaultEvent event{.start_us = run_micros(), .kind = kind};
    if (kind == "kill") event.detail = kill();
    if (kind == "pause") event.detail = pause();
    if (kind == "partition") event.detail = partition();
    if (kind == "bridge") event.detail = bridge();
    if (kind == "clock") event.detail = clock();
    if (kind == "disk") event.detail = disk();
    if (kind == "power") event.detail = power();
    if (kind == "churn") event.detail = churn();
    fmt::print("[{:7.1f}s] nemesis: {} {}\n", event.start_us / 1e6, kind, event.detail);
    std::fflush(stdout);
    const auto hold_until = std::min(until, Clock::now() + milliseconds(rng_.between(3000, 7000)));
    bool cut = true;
    while (Clock::now() < hold_until && !stop.load()) {
      sleep_until(std::min(hold_until, Clock::now() + milliseconds(1000)), stop);
      if (flapping_.empty()) continue;
      cut = !cut;
      (void)world_.heal();
      if (cut) cut_between(flapping_);
    }
    heal_all();
    event.end_us = run_micros();
    schedule_.push_back(std::move(event));
    if (stop.load() || Clock::now() >= until) return;
  }
}

void Nemesis::heal_all() {
  flapping_.clear();
  for (int i = 0; i < cluster_.size(); ++i) {
    const std::string& file = cluster_.member(i).config().clock_file;
    if (!file.empty()) std::ofstream(file) << "+0\n";
  }
  if (auto r = world_.heal(); !r) harness_failure("heal failed: " + r.error());
  note_crashed_members();
  const bool added_back = add_back_removed();
  for (int i = 0; i < cluster_.size(); ++i) {
    MemberProcess& m = cluster_.member(i);
    m.resume();
    if (i == removed_ && !added_back) continue;  // Not a member: starting it would be refused.
    if (!m.running()) {
      if (auto r = m.start(); !r)
        harness_failure(fmt::format("restart {}: {}", name_of(i), r.error()));
    }
  }
}

void Nemesis::harness_failure(std::string what) {
  ++harness_failures_;
  notes_.push_back("harness: " + what);
}

void Nemesis::note_crashed_members() {
  for (int i = 0; i < cluster_.size(); ++i) {
    if (cluster_.member(i).exited()) {
      notes_.push_back(fmt::format("{} exited on its own at {:.1f}s (see its log)", name_of(i),
                                   run_micros() / 1e6));
      fmt::print("[{:7.1f}s] {} exited on its own\n", run_micros() / 1e6, name_of(i));
    }
  }
}

int Nemesis::pick_target(std::string* label) {
  if (rng_.chance(1, 2)) {
    if (auto leader = cluster_.leader()) {
      *label = name_of(*leader) + " (leader)";
      return *leader;
    }
  }
  const int i = static_cast<int>(rng_.uniform(static_cast<uint64_t>(cluster_.size())));
  *label = name_of(i);
  return i;
}

std::string Nemesis::kill() {
  // Sometimes a majority at once: every acknowledged write must survive that too (it is on
  // disk), though the cluster cannot serve until they are back.
  if (rng_.chance(1, 5)) {
    std::vector<int> order(static_cast<size_t>(cluster_.size()));
    for (int i = 0; i < cluster_.size(); ++i) order[static_cast<size_t>(i)] = i;
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_.uniform(i)]);
    std::string label = "majority";
    for (int k = 0; k < cluster_.size() / 2 + 1; ++k) {
      cluster_.member(order[static_cast<size_t>(k)]).kill9();
      label += " " + name_of(order[static_cast<size_t>(k)]);
    }
    return label;
  }
  std::string label;
  cluster_.member(pick_target(&label)).kill9();
  return label;
}

std::string Nemesis::pause() {
  std::string label;
  cluster_.member(pick_target(&label)).pause();
  return label;
}

void Nemesis::cut_between(const std::vector<std::vector<int>>& groups) {
  for (size_t a = 0; a < groups.size(); ++a) {
    for (size_t b = 0; b < groups.size(); ++b) {
      if (a == b) continue;
      for (int to : groups[a]) {
        for (int from : groups[b]) {
          if (auto r = world_.cut(to, from); !r) harness_failure("cut failed: " + r.error());
        }
      }
    }
  }
}

std::string Nemesis::describe_groups(const std::vector<std::vector<int>>& groups) const {
  std::string out;
  for (const auto& g : groups) {
    if (!out.empty()) out += " | ";
    out += "{";
    for (size_t i = 0; i < g.size(); ++i) out += (i ? "," : "") + name_of(g[i]);
    out += "}";
  }
  return out;
}

std::string Nemesis::partition() {
  const int n = cluster_.size();
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_.uniform(i)]);
  auto halves = [&] {
    std::vector<int> minority(order.begin(), order.begin() + n / 2);
    std::vector<int> majority(order.begin() + n / 2, order.end());
    return std::vector<std::vector<int>>{minority, majority};
  };
  switch (rng_.uniform(4)) {
    case 0: {
      auto groups = halves();
      cut_between(groups);
      return "halves " + describe_groups(groups);
    }
    case 1: {
      const auto leader = cluster_.leader();
      const int alone = leader ? *leader : order[0];
      std::vector<int> rest;
      for (int i = 0; i < n; ++i) {
        if (i != alone) rest.push_back(i);
      }
      cut_between({{alone}, rest});
      return fmt::format("{} isolated{}", name_of(alone), leader ? " (leader)" : "");
    }
    case 2: {
      std::string label;
      const int deaf = pick_target(&label);
      for (int i = 0; i < n; ++i) {
        if (i == deaf) continue;
        if (auto r = world_.cut(deaf, i); !r) harness_failure("cut failed: " + r.error());
      }
      return "one-way: " + label + " hears nobody, everybody hears it";
    }
    default: {
      flapping_ = halves();
      cut_between(flapping_);
      return "flapping " + describe_groups(flapping_);
    }
  }
}

std::string Nemesis::bridge() {
  // Jepsen's bridge: two halves that cannot see each other, and one member in both.
  const int n = cluster_.size();
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_.uniform(i)]);
  const int middle = order[0];
  std::vector<int> left, right;
  for (size_t i = 1; i < order.size(); ++i) (i % 2 ? left : right).push_back(order[i]);
  for (int a : left) {
    for (int b : right) {
      for (auto [to, from] : {std::pair{a, b}, std::pair{b, a}}) {
        if (auto r = world_.cut(to, from); !r) harness_failure("cut failed: " + r.error());
      }
    }
  }
  return fmt::format("{} | {} | {}, bridged by {}", describe_groups({left}), name_of(middle),
                     describe_groups({right}), name_of(middle));
}

}  // namespace regent::chaos

namespace regent::chaos {

std::string Nemesis::clock() {
  std::string label;
  const int i = pick_target(&label);
  const std::string& file = cluster_.member(i).config().clock_file;
  if (file.empty()) return label + ": not faked (members started without libfaketime)";
  static constexpr int kOffsets[] = {-3600, -120, -30, -5, 5, 30, 120, 3600};
  const int offset = kOffsets[rng_.uniform(std::size(kOffsets))];
  std::ofstream(file) << fmt::format("{:+d}\n", offset);
  return fmt::format("{} wall clock {:+d} s", label, offset);
}

std::string Nemesis::disk() {
  std::string label;
  const int i = pick_target(&label);
  MemberProcess& m = cluster_.member(i);
  m.kill9();
  const std::string dir = m.config().data_dir;
  const std::string saved = dir + ".before-fault";
  if (auto r = copy_dir(dir, saved); !r) {
    harness_failure(fmt::format("disk fault on {}: could not save its data: {}", label, r.error()));
    return label + ": could not save its data";
  }
  const bool snapshot = rng_.chance(1, 2);
  auto flipped = flip_bit_in_newest(dir, snapshot ? ".snap" : ".wal", rng_);
  if (!flipped && snapshot) flipped = flip_bit_in_newest(dir, ".wal", rng_);
  std::string detail = label + ": " + (flipped ? flipped.value() : flipped.error());
  if (auto r = m.start(); !r) return detail + "; restart failed: " + r.error();
  // Refusing is the right answer; give it a few seconds to decide.
  for (int t = 0; t < 50 && m.running(); ++t) {
    std::this_thread::sleep_for(milliseconds(100));
    if (m.exited()) {
      detail += "; it refused to start (see its log); its own data given back";
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      std::filesystem::rename(saved, dir, ec);
      if (auto r = m.start(); !r) detail += "; restart failed: " + r.error();
      notes_.push_back(fmt::format("disk fault on {}: refused to start, as it should", label));
      return detail;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(saved, ec);
  notes_.push_back(fmt::format("disk fault on {}: it started on the damaged directory ({})", label,
                               flipped ? flipped.value() : flipped.error()));
  return detail + "; it started on the damaged directory";
}

void Nemesis::set_sync_delay_us(uint64_t us) {
  for (int i = 0; i < cluster_.size(); ++i) {
    const std::string& file = cluster_.member(i).config().sync_delay_file;
    if (!file.empty()) std::ofstream(file) << us << "\n";
  }
}

std::string Nemesis::power() {
  // A slow disk (0-20 ms more per sync) for a moment first: it widens the window between a
  // write and its sync, which is where a power loss finds what was acknowledged too early.
  set_sync_delay_us(20'000);
  std::this_thread::sleep_for(milliseconds(rng_.between(1000, 2000)));
  // The member held back until heal: the leader half of the time, so that the others elect
  // without what only it had.
  std::string last_label;
  const int last = pick_target(&last_label);
  for (int i = 0; i < cluster_.size(); ++i) cluster_.member(i).send_kill();
  set_sync_delay_us(0);
  std::string rolled_back;
  for (int i = 0; i < cluster_.size(); ++i) {
    MemberProcess& m = cluster_.member(i);
    m.kill9();
    const std::string& image = m.config().synced_image;
    if (image.empty()) {
      harness_failure("power: members were started without the unsynced-loss library");
      continue;
    }
    // A server whose syncs the library never saw (Go's runtime calls the kernel itself) would
    // be rolled back to its start: that tests nothing, so it is only killed.
    if (!synced::observed(image)) {
      notes_.push_back(
          fmt::format("power: {} synced nothing the library saw since it started "
                      "(a server that does not sync through libc, as Go's runtime, "
                      "or a member out of the cluster); killed, not rolled back",
                      name_of(i)));
      continue;
    }
    if (auto r = synced::restore(image, m.config().data_dir); !r) {
      harness_failure(fmt::format("power: rolling {} back: {}", name_of(i), r.error()));
      continue;
    }
    rolled_back += (rolled_back.empty() ? "" : ",") + name_of(i);
  }
  for (int i = 0; i < cluster_.size(); ++i) {
    if (i == last) continue;
    if (auto r = cluster_.member(i).start(); !r) {
      harness_failure(fmt::format("power: restart {}: {}", name_of(i), r.error()));
    }
  }
  return fmt::format("all members; rolled back to their last sync: {}; {} back last",
                     rolled_back.empty() ? "none" : rolled_back, last_label);
}

}  // namespace regent::chaos

namespace regent::chaos {

std::string Nemesis::churn() {
  if (removed_ >= 0) return "skipped: a member is still out of the cluster";
  std::string label;
  const int i = pick_target(&label);
  MemberProcess& m = cluster_.member(i);
  client::Maintenance admin(cluster_.any_client());
  const auto ctx = [] { return client::Context::with_timeout(std::chrono::seconds(5)); };
  auto list = admin.member_list(ctx());
  if (!list) return label + ": member list failed: " + list.error().describe();
  uint64_t id = 0;
  for (const auto& member : list->members) {
    for (const auto& url : member.peer_urls) id = url == m.peer_url() ? member.id : id;
  }
  if (id == 0) return label + ": not in the member list";
  if (auto r = admin.member_remove(id, ctx()); !r) {
    notes_.push_back(fmt::format("churn: removing {} failed: {}", label, r.error().describe()));
    return label + ": remove failed: " + r.error().describe();
  }
  // A removed member stops by itself (both regentd and etcd); it is stopped here at once, so that
  // its exit is not taken for a crash.
  m.kill9();
  std::error_code ec;
  std::filesystem::remove_all(m.config().data_dir, ec);
  removed_ = i;
  return fmt::format("{} removed (id {:x}), data wiped", label, id);
}

bool Nemesis::add_back_removed() {
  if (removed_ < 0) return true;
  MemberProcess& m = cluster_.member(removed_);
  client::Maintenance admin(cluster_.any_client());
  // Bounded: a cluster that just healed may refuse a change for a few seconds (a new leader, or
  // etcd's strict reconfiguration check while a member catches up).
  std::string why;
  for (int attempt = 0; attempt < 15; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(milliseconds(1000));
    auto added = admin.member_add({m.peer_url()}, false,
                                  client::Context::with_timeout(std::chrono::seconds(5)));
    if (!added) {
      why = added.error().describe();
      continue;
    }
    auto list = admin.member_list(client::Context::with_timeout(std::chrono::seconds(5)));
    std::string initial;
    for (int j = 0; j < cluster_.size(); ++j) {
      bool listed = j == removed_;
      for (const auto& member : list ? list->members : std::vector<client::Member>{}) {
        for (const auto& url : member.peer_urls)
          listed = listed || url == cluster_.member(j).peer_url();
      }
      if (listed) {
        initial += fmt::format("{}{}={}", initial.empty() ? "" : ",",
                               cluster_.member(j).config().name, cluster_.member(j).peer_url());
      }
    }
    m.mutable_config().cluster_state = "existing";
    m.mutable_config().initial_cluster = initial;
    if (auto r = m.start(); !r)
      notes_.push_back("churn: starting the re-added member: " + r.error());
    removed_ = -1;
    return true;
  }
  notes_.push_back(fmt::format("churn: could not add n{} back: {}", removed_ + 1, why));
  return false;
}

}  // namespace regent::chaos
