// GET /metrics: Prometheus' text exposition format (version 0.0.4), written here (Debian has no
// maintained C++ client), with etcd's metric names and meanings where etcd has them.
//
// Invariants: every value is read from the member when scraped, never a constant standing in
// for one; each family is written once, HELP and TYPE first; counters only grow over the
// member's life (they restart from zero with the process, as Prometheus expects).
#pragma once

#include <string>

#include "server/http/member_view.h"

namespace regent::server::http {

// The exposition's content type.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const MemberView& member);

}  // namespace regent::server::http
