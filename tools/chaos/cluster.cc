#include "cluster.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "client/kv.h"
#include "client/maintenance.h"
#include "common/assert.h"
#include "synced_image.h"

namespace regent::chaos {

namespace {

// Debian's libfaketime, the thread-safe build (members are multi-threaded).
constexpr const char* kLibFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

std::shared_ptr<client::Client> connect(std::vector<std::string> endpoints) {
  client::ClientOptions o;
  o.endpoints = std::move(endpoints);
  // Short enough that a cut member costs a worker little time; an election takes about 1-2 s.
  o.dial_timeout = std::chrono::milliseconds(1000);
  o.request_timeout = std::chrono::milliseconds(3000);
  o.attempt_timeout = std::chrono::milliseconds(1500);
  auto c = client::Client::connect(std::move(o));
  REGENT_ASSERT(c.has_value(), "the harness's endpoints are well formed");
  return *c;
}

}  // namespace

Cluster::Cluster(NetWorld& world, ClusterConfig config)
    : world_(world), config_(std::move(config)) {
  std::filesystem::create_directories(config_.run_dir);  // For the members' clock and delay files.
  std::string initial;
  for (int i = 0; i < world_.members(); ++i) {
    initial += fmt::format("{}n{}=http://{}:2380", i ? "," : "", i + 1, world_.member(i).ip);
  }
  std::vector<std::string> endpoints;
  for (int i = 0; i < world_.members(); ++i) {
    MemberConfig mc;
    mc.server = config_.server;
    mc.name = fmt::format("n{}", i + 1);
    mc.ip = world_.member(i).ip;
    mc.netns = world_.member(i).netns;
    mc.data_dir = fmt::format("{}/{}.data", config_.run_dir, mc.name);
    mc.log_path = fmt::format("{}/{}.log", config_.run_dir, mc.name);
    mc.initial_cluster = initial;
    mc.extra_env = config_.member_env;
    mc.extra_flags = config_.member_flags;
    if (config_.fake_clock) {
      // Only the wall clock is faked: a real clock jump moves CLOCK_REALTIME, never
      // CLOCK_MONOTONIC. The file is read again every second, so the nemesis moves the clock by
      // rewriting it (clock_fault.h).
      mc.clock_file = fmt::format("{}/{}.faketime", config_.run_dir, mc.name);
      std::ofstream(mc.clock_file) << "+0\n";
      mc.preload.push_back(kLibFaketime);
      for (std::string v : {"FAKETIME_TIMESTAMP_FILE=" + mc.clock_file,
                            std::string("FAKETIME_DONT_FAKE_MONOTONIC=1"),
                            std::string("FAKETIME_CACHE_DURATION=1")}) {
        mc.extra_env.push_back(v);
      }
    }
    if (!config_.unsynced_loss_library.empty()) {
      mc.synced_image = fmt::format("{}/{}.synced", config_.run_dir, mc.name);
      mc.preload.push_back(config_.unsynced_loss_library);
      mc.extra_env.push_back(std::string(synced::kDataDirVariable) + "=" + mc.data_dir);
      mc.extra_env.push_back(std::string(synced::kImageDirVariable) + "=" + mc.synced_image);
      mc.sync_delay_file = fmt::format("{}/{}.sync-delay", config_.run_dir, mc.name);
      std::ofstream(mc.sync_delay_file) << "0\n";
      mc.extra_env.push_back(std::string(synced::kSyncDelayVariable) + "=" + mc.sync_delay_file);
    }
    members_.push_back(std::make_unique<MemberProcess>(mc));
    clients_.push_back(connect({members_.back()->client_url()}));
    endpoints.push_back(members_.back()->client_url());
  }
  any_ = connect(endpoints);
}

Cluster::~Cluster() { stop_all(); }

Expected<void, std::string> Cluster::start() {
  for (auto& m : members_) {
    if (auto r = m->start(); !r) return r;
  }
  return {};
}

void Cluster::stop_all() {
  for (auto& m : members_) m->stop();
}

bool Cluster::wait_healthy(std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (int i = 0; i < size() && all; ++i) {
      if (!member(i).running() || member(i).paused()) continue;
      client::KV kv(clients_[static_cast<size_t>(i)]);
      all = kv.get("rgchaos-health", {},
                   client::Context::with_timeout(std::chrono::milliseconds(1000)))
                .has_value();
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::optional<int> Cluster::leader() {
  std::map<uint64_t, int> votes;
  int answered = 0;
  for (int i = 0; i < size(); ++i) {
    if (!member(i).running() || member(i).paused()) continue;
    client::Maintenance m(clients_[static_cast<size_t>(i)]);
    auto s = m.status(0, client::Context::with_timeout(std::chrono::milliseconds(1000)));
    if (!s) continue;
    ++answered;
    index_of_id_[s->header.member_id] = i;
    if (s->leader != 0) ++votes[s->leader];
  }
  for (const auto& [id, n] : votes) {
    if (2 * n > answered && index_of_id_.count(id)) return index_of_id_[id];
  }
  return std::nullopt;
}

}  // namespace regent::chaos
