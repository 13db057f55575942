#include "server/http/health.h"

#include <future>

#include "common/json.h"

namespace regent::server::http {

namespace {

// etcd 3.4 gives its health check's read one second.
constexpr std::chrono::seconds kReadTimeout{1};

Reply answer(bool healthy) {
  return Reply{.status = healthy ? 200 : 503,
               .body = healthy ? R"({"health":"true"})" : R"({"health":"false"})"};
}

bool read_completes(RaftNode& node) {
  // Shared: the loop may answer after this function gave up waiting.
  auto done = std::make_shared<std::promise<bool>>();
  auto outcome = done->get_future();
  node.read_index([done](Expected<void, Failure> r) { done->set_value(r.has_value()); });
  return outcome.wait_for(kReadTimeout) == std::future_status::ready && outcome.get();
}

}  // namespace

Reply health(const MemberView& member, bool serializable) {
  const NodeStatus s = member.node->status();
  // As etcd's: any alarm raised in the cluster makes every member unhealthy; so does a member
  // that stopped after a disk failure.
  if (s.leader == raft::kNone || !s.errors.empty() || member.node->failed() ||
      member.machine->any_alarm()) {
    return answer(false);
  }
  if (serializable) return answer(true);
  return answer(read_completes(*member.node));
}

Reply version() {
  Json j;
  j.begin_object().key("etcdserver").string(kServerVersion);
  j.key("etcdcluster").string(kClusterVersion).end_object();
  return Reply{.status = 200, .body = j.str()};
}

}  // namespace regent::server::http
