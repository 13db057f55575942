// GET /health and GET /version as etcd 3.4 answers them.
//
// /health is {"health":"true"} (200) only when the member knows a leader, raises no alarm, and
// (unless ?serializable=true) a linearizable read through the loop completes within a second;
// otherwise {"health":"false"} with 503. /version names the etcd versions whose API this
// member speaks, in the plain "x.y.z" form Patroni and python-etcd parse as integers.
#pragma once

#include "server/http/gateway_json.h"
#include "server/http/member_view.h"

namespace regent::server::http {

inline constexpr const char* kServerVersion = "3.4.0";
inline constexpr const char* kClusterVersion = "3.4.0";

Reply health(const MemberView& member, bool serializable);
Reply version();

}  // namespace regent::server::http
