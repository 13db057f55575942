// Corruption checks, as etcd's --experimental-initial-corrupt-check and
// --experimental-corrupt-check-time: the members compare their stores' hashes at the same
// revision (Maintenance.HashKV on each member's published client URL). Members that applied the
// same entries hold identical stores (state_machine.h), so a difference means one member's state
// went wrong (a disk that returned other bytes than were written, a bug) and must not be served.
//
//  - initial_check(), before the member serves clients: once this member has applied what it had
//    committed, each peer that answers is asked for its hash at this member's revision; if a peer
//    with the same compacted revision has another hash, the member refuses to start ("found data
//    inconsistency with peers"), as etcd.
//  - start(interval): on the leader only, every interval, the same question at the leader's
//    revision, with etcd's rules: a peer ahead of the leader's revision or compaction, or with
//    another hash at the same compaction, gets a CORRUPT alarm raised through the log (every
//    member then refuses writes, and the member named refuses reads: node/alarm_set.h); the
//    leader's own store changing under an unchanged revision raises one for the leader.
// A peer that cannot answer (down, behind the revision asked for, compacted past it) is skipped:
// the check proves a difference, never an absence of one.
#pragma once

#include <grpcpp/security/credentials.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "server/host/raft_node.h"
#include "server/node/state_machine.h"

namespace regent::server {

// A member's store hash at a revision, as its HashKV answered.
struct MemberHash {
  raft::NodeId id = raft::kNone;
  int64_t revision = 0;  // The member's current revision (the answer's header).
  int64_t compact_revision = 0;
  uint32_t hash = 0;
};

// etcd's leader rules (see above): the members whose state differs from the leader's hash `own`
// at revision `revision` (the leader's own id if its store changed under the same revision,
// `own_after` being its hash taken after asking).
std::vector<raft::NodeId> members_differing(raft::NodeId self, const MemberHash& own,
                                            const MemberHash& own_after,
                                            const std::vector<MemberHash>& peers);

class CorruptionChecker {
 public:
  static constexpr std::chrono::seconds kPeerDeadline{3};

  // `peer_dial`: what other members' peer ports are dialed with (TLS for https:// peers).
  CorruptionChecker(raft::NodeId self, RaftNode& node, const StateMachine& machine,
                    std::shared_ptr<grpc::ChannelCredentials> peer_dial, Logger& logger);
  ~CorruptionChecker();

  Expected<void, std::string> initial_check(std::chrono::milliseconds wait_for_apply);
  void start(std::chrono::milliseconds interval);
  void stop();

 private:
  std::optional<MemberHash> own_hash(int64_t revision) const;
  // Every other member's answer that came, at `revision`.
  std::vector<MemberHash> ask_peers(int64_t revision) const;
  void check_once();
  void run(std::chrono::milliseconds interval);

  const raft::NodeId self_;
  RaftNode& node_;
  const StateMachine& machine_;
  Logger& logger_;
  const std::shared_ptr<grpc::ChannelCredentials> peer_dial_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace regent::server
