#include "raft/config.h"

namespace regent::raft {

std::string Config::validate() const {
  if (id == kNone) return "cannot use none as id";
  if (heartbeat_tick <= 0) return "heartbeat tick must be greater than 0";
  if (election_tick <= heartbeat_tick) return "election tick must be greater than heartbeat tick";
  if (storage == nullptr) return "storage cannot be nil";
  if (max_inflight_msgs == 0) return "max inflight messages must be greater than 0";
  if (max_inflight_bytes != 0 && max_inflight_bytes < max_size_per_msg) {
    return "max inflight bytes must be >= max message size";
  }
  if (read_only_option == ReadOnlyOption::kLeaseBased && !check_quorum) {
    return "check quorum must be enabled when the read-only option is lease-based";
  }
  if (campaign_on_leader_down && !(pre_vote && check_quorum)) {
    return "campaigning on leader down needs pre-vote and check quorum";
  }
  if (campaign_on_leader_down && read_only_option == ReadOnlyOption::kLeaseBased) {
    return "campaigning on leader down cannot be used with lease-based reads";
  }
  return "";
}

}  // namespace regent::raft
