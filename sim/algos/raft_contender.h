// Raft, through the project's real consensus core (raft::RawNode over raft::MemoryStorage), with
// the register as its replicated log: a write is a proposed entry, acknowledged once it is
// committed (on a majority) and applied here. The Ready contract is followed as regentd does:
// persist, then send the messages that promise what was persisted, then apply, then advance.
// The storage stands for a disk that syncs every write, so a crash loses only memory (the
// durability of unsynced writes is the node simulator's subject, sim/world.h, not this one's).
//
// Invariant: only writes this member proposed are acknowledged by it, each once, and only when
// it applies the committed entry carrying it.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "raft/log/memory_storage.h"
#include "raft/raw_node.h"
#include "sim/algos/contender.h"

namespace regent::sim::algos {

class RaftContender final : public Contender {
 public:
  RaftContender(MemberId id, const Members& members, const Timing& timing, uint64_t seed);

  void tick() override;
  void receive(const Envelope& e) override;
  std::vector<Envelope> take_outbox() override;
  void crash() override;
  void restart() override;

  bool believes_leader() const override;
  MemberId leader_view() const override;
  std::optional<uint64_t> quorum_term() const override;

  void write(uint64_t write_id) override;
  std::vector<uint64_t> take_acks() override;
  const std::vector<uint64_t>& history() const override { return history_; }

 private:
  raft::Config config() const;
  // Runs every Ready the core has (bounded), as the Ready contract orders.
  void drain();
  void send(std::vector<raft::Message>& messages);

  MemberId id_;
  Timing timing_;
  uint64_t seed_;
  uint64_t incarnation_ = 0;  // A restarted core draws new election timeouts.
  raft::MemoryStorage storage_;
  std::unique_ptr<raft::RawNode> node_;
  std::vector<uint64_t> history_;  // Applied writes, rebuilt from the log on restart.
  std::set<uint64_t> proposed_;    // Writes this incarnation proposed and has not acknowledged.
  std::vector<uint64_t> acks_;
  std::vector<Envelope> outbox_;
};

}  // namespace regent::sim::algos
