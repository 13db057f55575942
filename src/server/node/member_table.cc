#include "server/node/member_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace regent::server {

namespace {

Failure make(StatusCode code, std::string message) { return {code, std::move(message)}; }

const regentpb::Member* find(const std::vector<regentpb::Member>& members, uint64_t id) {
  for (const regentpb::Member& m : members) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

// Whether a member other than `self` already has one of `urls`.
bool peer_url_taken(const std::vector<regentpb::Member>& members, const regentpb::Member& self) {
  for (const regentpb::Member& m : members) {
    if (m.id() == self.id()) continue;
    for (const std::string& url : m.peer_urls()) {
      if (std::find(self.peer_urls().begin(), self.peer_urls().end(), url) !=
          self.peer_urls().end()) {
        return true;
      }
    }
  }
  return false;
}

size_t learners(const std::vector<regentpb::Member>& members) {
  return static_cast<size_t>(std::count_if(
      members.begin(), members.end(), [](const regentpb::Member& m) { return m.is_learner(); }));
}

}  // namespace

Failure member_not_found() { return make(StatusCode::NOT_FOUND, "etcdserver: member not found"); }
Failure member_id_exists() {
  return make(StatusCode::FAILED_PRECONDITION, "etcdserver: member ID already exist");
}
Failure peer_url_exists() {
  return make(StatusCode::FAILED_PRECONDITION, "etcdserver: Peer URLs already exists");
}
Failure member_not_learner() {
  return make(StatusCode::FAILED_PRECONDITION, "etcdserver: can only promote a learner member");
}
Failure learner_not_ready() {
  return make(StatusCode::FAILED_PRECONDITION,
              "etcdserver: can only promote a learner member which is in sync with leader");
}
Failure too_many_learners() {
  return make(StatusCode::FAILED_PRECONDITION, "etcdserver: too many learner members in cluster");
}
Failure unhealthy_cluster() {
  return make(StatusCode::UNAVAILABLE, "etcdserver: unhealthy cluster");
}
Failure bad_member_urls() {
  return make(StatusCode::INVALID_ARGUMENT, "etcdserver: given member URLs are invalid");
}

Expected<void, Failure> check_member_change(const std::vector<regentpb::Member>& members,
                                            const regentpb::MemberChange& change) {
  const regentpb::Member& m = change.member();
  const regentpb::Member* known = find(members, m.id());
  switch (change.kind()) {
    case regentpb::MemberChange::ADD:
      if (m.id() == 0 || m.peer_urls().empty()) return unexpected(bad_member_urls());
      // The URLs first: two adds of one URL in the same second get the same id, and the URL is
      // what the operator can act on.
      if (peer_url_taken(members, m)) return unexpected(peer_url_exists());
      if (known) return unexpected(member_id_exists());
      if (m.is_learner() && learners(members) >= kMaxLearners) {
        return unexpected(too_many_learners());
      }
      return {};
    case regentpb::MemberChange::REMOVE:
      if (!known) return unexpected(member_not_found());
      return {};
    case regentpb::MemberChange::PROMOTE:
      if (!known) return unexpected(member_not_found());
      if (!known->is_learner()) return unexpected(member_not_learner());
      return {};
    case regentpb::MemberChange::UPDATE:
      if (m.peer_urls().empty()) return unexpected(bad_member_urls());
      if (!known) return unexpected(member_not_found());
      if (peer_url_taken(members, m)) return unexpected(peer_url_exists());
      return {};
    default:
      break;
  }
  return unexpected(Failure{StatusCode::INVALID_ARGUMENT, "etcdserver: unknown membership change"});
}

void apply_member_change_to(std::vector<regentpb::Member>& members,
                            const regentpb::MemberChange& change) {
  const regentpb::Member& m = change.member();
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const regentpb::Member& known) { return known.id() == m.id(); });
  switch (change.kind()) {
    case regentpb::MemberChange::ADD: {
      regentpb::Member added = m;
      added.clear_client_urls();  // Published by the member itself once it runs.
      members.insert(std::upper_bound(members.begin(), members.end(), added,
                                      [](const regentpb::Member& a, const regentpb::Member& b) {
                                        return a.id() < b.id();
                                      }),
                     std::move(added));
      return;
    }
    case regentpb::MemberChange::REMOVE:
      if (it != members.end()) members.erase(it);
      return;
    case regentpb::MemberChange::PROMOTE:
      if (it != members.end()) it->set_is_learner(false);
      return;
    case regentpb::MemberChange::UPDATE:
      if (it != members.end()) *it->mutable_peer_urls() = m.peer_urls();
      return;
    default:
      return;
  }
}

std::optional<raft::ConfChange> raft_change_of(const regentpb::MemberChange& change) {
  raft::ConfChange cc;
  const raft::NodeId id = change.member().id();
  switch (change.kind()) {
    case regentpb::MemberChange::ADD:
      cc.changes.push_back({change.member().is_learner() ? raft::ConfChangeType::kAddLearnerNode
                                                         : raft::ConfChangeType::kAddNode,
                            id});
      return cc;
    case regentpb::MemberChange::REMOVE:
      cc.changes.push_back({raft::ConfChangeType::kRemoveNode, id});
      return cc;
    case regentpb::MemberChange::PROMOTE:
      // Adding a learner as a voter promotes it (etcd's ConfChangeAddNode on a learner).
      cc.changes.push_back({raft::ConfChangeType::kAddNode, id});
      return cc;
    default:
      return std::nullopt;
  }
}

std::string check_member_table(const std::vector<regentpb::Member>& members) {
  std::set<std::string> urls;
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].id() == 0) return "a member has id 0";
    if (i > 0 && members[i - 1].id() >= members[i].id()) {
      return fmt::format("member ids not sorted or repeated at {:x}", members[i].id());
    }
    for (const std::string& url : members[i].peer_urls()) {
      if (!urls.insert(url).second) return fmt::format("peer URL {} listed twice", url);
    }
  }
  if (learners(members) > kMaxLearners) return "more learners than allowed";
  return {};
}

}  // namespace regent::server
