// The harness's private network: one namespace per host (each member, and the clients), joined
// by veth links to a bridge in a hub namespace of its own. Nothing is created in the machine's
// own namespace, so nothing leaves the machine and removing the namespaces removes everything
// (links, addresses, iptables rules).
//
// Invariants:
//  - Every name the world creates starts with kPrefix; remove_leftovers() touches only such
//    names, and only while this process holds the harness lock (one world at a time).
//  - Member i (0-based) is at 10.77.0.(11+i), the clients at 10.77.0.100: a private range.
//  - A cut is an iptables DROP in the receiving host's INPUT chain for one sender's address: it
//    applies to peer traffic only, so clients always reach every member (as Jepsen's
//    partitions cut the database nodes from each other, not from the clients).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/expected.h"

namespace regent::chaos {

inline constexpr const char* kPrefix = "rgchaos";

struct Host {
  std::string netns;
  std::string ip;
};

class NetWorld {
 public:
  static Expected<std::unique_ptr<NetWorld>, std::string> create(int members);
  // Deletes every namespace named kPrefix-* (left by a harness that was SIGKILLed), after killing
  // the processes still inside them. Returns what it removed, for the log.
  static std::vector<std::string> remove_leftovers();
  ~NetWorld();
  NetWorld(const NetWorld&) = delete;
  NetWorld& operator=(const NetWorld&) = delete;

  int members() const { return static_cast<int>(hosts_.size()); }
  const Host& member(int i) const { return hosts_.at(static_cast<size_t>(i)); }
  const Host& clients() const { return clients_; }

  // Host `to` no longer receives packets from host `from` (one direction).
  Expected<void, std::string> cut(int to, int from);
  // Every cut removed.
  Expected<void, std::string> heal();
  // The calling thread (and every thread and child it creates afterwards) joins the clients'
  // namespace. Call before any gRPC channel exists.
  Expected<void, std::string> enter_clients() const;

 private:
  NetWorld() = default;
  Expected<void, std::string> add_host(const Host& host, const std::string& link);
  void destroy();

  std::string hub_;
  std::vector<Host> hosts_;
  Host clients_;
  std::vector<std::string> namespaces_;  // Created, in order; deleted in reverse.
  std::vector<bool> has_cuts_;
};

}  // namespace regent::chaos
