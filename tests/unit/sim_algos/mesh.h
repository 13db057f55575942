// A lossless, instant network for unit tests of the Bully and Ring cores: every member ticks in
// turn, and the messages of a tick are delivered (with those they cause) before the next one.
// Members can be killed (they neither tick nor receive) and revived (a fresh core that starts an
// election, as a restarted process does).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/algos/group.h"

namespace regent::sim::algos::testing {

template <class Core, class Config>
class Mesh {
  using Message =
      typename std::decay_t<decltype(std::declval<Core&>().take_messages())>::value_type;

 public:
  // Ids 1..n, with the default timeouts.
  explicit Mesh(size_t n) {
    for (MemberId id = 1; id <= n; ++id) ids_.push_back(id);
    for (MemberId id : ids_) cores_.emplace(id, Core(Config{.group = {.id = id, .members = ids_}}));
  }

  Core& core(MemberId id) { return cores_.at(id); }

  void start_all() {
    for (MemberId id : ids_) {
      if (!dead_.contains(id)) cores_.at(id).start_election();
    }
    deliver();
  }

  void kill(MemberId id) { dead_.insert(id); }
  void revive(MemberId id) {
    dead_.erase(id);
    cores_.insert_or_assign(id, Core(Config{.group = {.id = id, .members = ids_}}));
    cores_.at(id).start_election();
    deliver();
  }

  void run(int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (MemberId id : ids_) {
        if (!dead_.contains(id)) cores_.at(id).tick();
      }
      deliver();
    }
  }

  // The live members that believe they lead.
  std::set<MemberId> leaders() {
    std::set<MemberId> out;
    for (MemberId id : ids_) {
      if (!dead_.contains(id) && cores_.at(id).is_leader()) out.insert(id);
    }
    return out;
  }

  // Every live member's view of the leader.
  std::set<MemberId> views() {
    std::set<MemberId> out;
    for (MemberId id : ids_) {
      if (!dead_.contains(id)) out.insert(cores_.at(id).leader());
    }
    return out;
  }

  size_t delivered() const { return delivered_; }

 private:
  // Bounded: a protocol that keeps talking without ticks is a bug the test must report.
  void deliver() {
    for (int round = 0; round < 1000; ++round) {
      std::vector<Message> batch;
      for (MemberId id : ids_) {
        if (dead_.contains(id)) continue;
        cores_.at(id).check_invariants();
        for (auto& m : cores_.at(id).take_messages()) batch.push_back(m);
      }
      if (batch.empty()) return;
      for (const auto& m : batch) {
        if (dead_.contains(m.to)) continue;
        ++delivered_;
        cores_.at(m.to).step(m);
      }
    }
    ADD_FAILURE() << "messages kept flowing without any tick";
  }

  Members ids_;
  std::map<MemberId, Core> cores_;
  std::set<MemberId> dead_;
  size_t delivered_ = 0;
};

}  // namespace regent::sim::algos::testing
