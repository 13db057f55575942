#include "server/host/corruption_check.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "regentpb/peer.grpc.pb.h"
#include "server/cluster_config.h"

namespace regent::server {

namespace {

using Clock = std::chrono::steady_clock;

// On the member's peer port (PeerInfo.HashKV), as etcd's check asks its peers' /members/hashkv:
// no client credentials or auth role involved.
std::optional<MemberHash> ask(const regentpb::Member& member, int64_t revision,
                              const std::shared_ptr<grpc::ChannelCredentials>& peer_dial) {
  for (const std::string& url : member.peer_urls()) {
    auto address = url_to_address(url);
    if (!address) continue;
    auto stub = regentpb::PeerInfo::NewStub(grpc::CreateChannel(*address, peer_dial));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + CorruptionChecker::kPeerDeadline);
    etcdserverpb::HashKVRequest request;
    request.set_revision(revision);
    etcdserverpb::HashKVResponse response;
    if (!stub->HashKV(&context, request, &response).ok()) continue;
    return MemberHash{.id = member.id(),
                      .revision = response.header().revision(),
                      .compact_revision = response.compact_revision(),
                      .hash = response.hash()};
  }
  return std::nullopt;
}

}  // namespace

std::vector<raft::NodeId> members_differing(raft::NodeId self, const MemberHash& own,
                                            const MemberHash& own_after,
                                            const std::vector<MemberHash>& peers) {
  std::vector<raft::NodeId> differing;
  if (own_after.hash != own.hash && own_after.revision == own.revision &&
      own_after.compact_revision == own.compact_revision) {
    differing.push_back(self);
  }
  for (const MemberHash& p : peers) {
    // A follower is never ahead of its leader, in revision or in compaction; at the same
    // compaction, the same history hashes the same.
    if (p.revision > own_after.revision || p.compact_revision > own_after.compact_revision ||
        (p.compact_revision == own.compact_revision && p.hash != own.hash)) {
      differing.push_back(p.id);
    }
  }
  return differing;
}

CorruptionChecker::CorruptionChecker(raft::NodeId self, RaftNode& node, const StateMachine& machine,
                                     std::shared_ptr<grpc::ChannelCredentials> peer_dial,
                                     Logger& logger)
    : self_(self),
      node_(node),
      machine_(machine),
      logger_(logger),
      peer_dial_(std::move(peer_dial)) {}

CorruptionChecker::~CorruptionChecker() { stop(); }

std::optional<MemberHash> CorruptionChecker::own_hash(int64_t revision) const {
  auto result = machine_.read([&](const kv::Store& s) { return s.hash_kv(revision); });
  if (!result) return std::nullopt;
  return MemberHash{.id = self_,
                    .revision = result->revision,
                    .compact_revision = result->compact_revision,
                    .hash = result->hash};
}

std::vector<MemberHash> CorruptionChecker::ask_peers(int64_t revision) const {
  std::vector<MemberHash> answers;
  for (const regentpb::Member& m : machine_.members()) {
    if (m.id() == self_) continue;
    if (auto h = ask(m, revision, peer_dial_)) answers.push_back(*h);
  }
  return answers;
}

Expected<void, std::string> CorruptionChecker::initial_check(
    std::chrono::milliseconds wait_for_apply) {
  // What this member committed before it stopped is applied first, so that the revision it asks
  // about is the one its own log gives.
  const Clock::time_point give_up = Clock::now() + wait_for_apply;
  const raft::Index committed = node_.status().commit;
  while (node_.status().applied < committed && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int64_t revision = machine_.revision();
  const std::optional<MemberHash> own = own_hash(revision);
  if (!own) return {};  // Compacted at its own revision: nothing to compare.
  size_t compared = 0;
  for (const MemberHash& peer : ask_peers(revision)) {
    if (peer.compact_revision != own->compact_revision) continue;
    ++compared;
    if (peer.hash != own->hash) {
      return unexpected(fmt::format(
          "found data inconsistency with peers: this member's store hash at revision {} is {:x}, "
          "member {:x}'s is {:x} (compacted at {} on both); this member's state differs from the "
          "cluster's: replace it (member remove, then add a new member on an empty data dir)",
          revision, own->hash, peer.id, peer.hash, own->compact_revision));
    }
  }
  logger_.info("initial corruption check: store hash {:x} at revision {} matches {} peer(s)",
               own->hash, revision, compared);
  return {};
}

void CorruptionChecker::check_once() {
  if (!node_.status().is_leader) return;
  const int64_t revision = machine_.revision();
  const std::optional<MemberHash> own = own_hash(revision);
  if (!own) return;
  const std::vector<MemberHash> peers = ask_peers(revision);
  const std::optional<MemberHash> after = own_hash(revision);
  if (!after) return;  // Compacted meanwhile: the question no longer has an answer here.
  for (raft::NodeId id : members_differing(self_, *own, *after, peers)) {
    logger_.error(
        "corruption check: member {:x}'s store differs from the leader's at revision {}; raising "
        "a CORRUPT alarm",
        id, revision);
    regentpb::InternalRequest alarm;
    alarm.mutable_alarm()->set_action(etcdserverpb::AlarmRequest::ACTIVATE);
    alarm.mutable_alarm()->set_memberid(id);
    alarm.mutable_alarm()->set_alarm(etcdserverpb::CORRUPT);
    node_.propose(std::move(alarm), [](Expected<WriteResponse, Failure>) {});
  }
}

void CorruptionChecker::start(std::chrono::milliseconds interval) {
  if (interval.count() <= 0) return;
  thread_ = std::thread([this, interval] { run(interval); });
}

void CorruptionChecker::run(std::chrono::milliseconds interval) {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    check_once();
    lock.lock();
  }
}

void CorruptionChecker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace regent::server
