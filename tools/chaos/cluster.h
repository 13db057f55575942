// The cluster under test: its members' processes, one client per member (so that an operation
// goes to the member the workload chose, never failing over), and the questions the nemesis
// asks of it (who leads).
//
// Invariants:
//  - clients_[i] talks to member i only; `any_` to every member, with failover (final reads).
//  - Member ids are learnt from the members' own Status answers, never guessed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "common/expected.h"
#include "member.h"
#include "net_world.h"

namespace regent::chaos {

struct ClusterConfig {
  std::string server;
  // Absolute (options.cc makes it so): the unsynced-loss library compares the data
  // directories made under it with the real paths of the files it sees opened.
  std::string run_dir;
  std::vector<std::string> member_env;
  std::vector<std::string> member_flags;
  bool fake_clock = false;  // Preload libfaketime (the clock nemesis).
  // Preload this library (synced/unsynced_loss_preload.cc) to keep each member's synced image
  // (the power nemesis); empty: none.
  std::string unsynced_loss_library;
};

class Cluster {
 public:
  Cluster(NetWorld& world, ClusterConfig config);
  ~Cluster();

  Expected<void, std::string> start();
  // Waits until every running, unpaused member answers a linearizable read (bounded).
  bool wait_healthy(std::chrono::seconds timeout);
  void stop_all();

  int size() const { return static_cast<int>(members_.size()); }
  MemberProcess& member(int i) { return *members_.at(static_cast<size_t>(i)); }
  std::shared_ptr<client::Client> client(int i) const {
    return clients_.at(static_cast<size_t>(i));
  }
  std::shared_ptr<client::Client> any_client() const { return any_; }

  // The member the majority of answering members name as leader, if any (each asked with a short
  // deadline).
  std::optional<int> leader();

 private:
  NetWorld& world_;
  ClusterConfig config_;
  std::vector<std::unique_ptr<MemberProcess>> members_;
  std::vector<std::shared_ptr<client::Client>> clients_;
  std::shared_ptr<client::Client> any_;
  std::map<uint64_t, int> index_of_id_;
};

}  // namespace regent::chaos
