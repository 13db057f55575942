// The member's status page: GET / (and /ui) serve a page that is in the binary (no fetch leaves
// the member), and its script reads GET /regent/status every second: this member's view of the
// cluster (members and roles, term, commit and applied indexes, on the leader each member's lag,
// the leader changes it saw with their causes, leases, errors), the elections and locks held
// (held_candidacies.h; their TTL left asked of the leader) and the alarms as etcd's Alarm API
// lists them. A page opened on any member shows the leader's
// view once it follows the link the page offers to the leader's own page.
#pragma once

#include <grpcpp/channel.h>

#include <string>
#include <string_view>

#include "server/http/member_view.h"

namespace regent::server::http {

std::string_view status_page_html();
// The JSON the page reads: see the file's comment. `channel` is the server's in-process one.
std::string status_json(const MemberView& member, grpc::Channel& channel);

}  // namespace regent::server::http
