#include "server/http/gateway_routes.h"

#include <array>

namespace regent::server::http {

namespace {

constexpr std::array kRoutes = {
    GatewayRoute{"kv/range", "etcdserverpb.KV.Range"},
    GatewayRoute{"kv/put", "etcdserverpb.KV.Put"},
    GatewayRoute{"kv/deleterange", "etcdserverpb.KV.DeleteRange"},
    GatewayRoute{"kv/txn", "etcdserverpb.KV.Txn"},
    GatewayRoute{"kv/compaction", "etcdserverpb.KV.Compact"},
    GatewayRoute{"watch", "etcdserverpb.Watch.Watch", CallKind::kBidiStream},
    GatewayRoute{"lease/grant", "etcdserverpb.Lease.LeaseGrant"},
    GatewayRoute{"lease/revoke", "etcdserverpb.Lease.LeaseRevoke"},
    GatewayRoute{"kv/lease/revoke", "etcdserverpb.Lease.LeaseRevoke"},
    GatewayRoute{"lease/keepalive", "etcdserverpb.Lease.LeaseKeepAlive", CallKind::kBidiStream},
    GatewayRoute{"lease/timetolive", "etcdserverpb.Lease.LeaseTimeToLive"},
    GatewayRoute{"kv/lease/timetolive", "etcdserverpb.Lease.LeaseTimeToLive"},
    GatewayRoute{"lease/leases", "etcdserverpb.Lease.LeaseLeases"},
    GatewayRoute{"kv/lease/leases", "etcdserverpb.Lease.LeaseLeases"},
    GatewayRoute{"cluster/member/add", "etcdserverpb.Cluster.MemberAdd"},
    GatewayRoute{"cluster/member/remove", "etcdserverpb.Cluster.MemberRemove"},
    GatewayRoute{"cluster/member/update", "etcdserverpb.Cluster.MemberUpdate"},
    GatewayRoute{"cluster/member/list", "etcdserverpb.Cluster.MemberList"},
    GatewayRoute{"cluster/member/promote", "etcdserverpb.Cluster.MemberPromote"},
    GatewayRoute{"maintenance/alarm", "etcdserverpb.Maintenance.Alarm"},
    GatewayRoute{"maintenance/status", "etcdserverpb.Maintenance.Status"},
    GatewayRoute{"maintenance/defragment", "etcdserverpb.Maintenance.Defragment"},
    GatewayRoute{"maintenance/hash", "etcdserverpb.Maintenance.HashKV"},
    GatewayRoute{"maintenance/transfer-leadership", "etcdserverpb.Maintenance.MoveLeader"},
    GatewayRoute{"election/campaign", "v3electionpb.Election.Campaign"},
    GatewayRoute{"election/proclaim", "v3electionpb.Election.Proclaim"},
    GatewayRoute{"election/leader", "v3electionpb.Election.Leader"},
    GatewayRoute{"election/observe", "v3electionpb.Election.Observe", CallKind::kServerStream},
    GatewayRoute{"election/resign", "v3electionpb.Election.Resign"},
    GatewayRoute{"lock/lock", "v3lockpb.Lock.Lock"},
    GatewayRoute{"lock/unlock", "v3lockpb.Lock.Unlock"},
    GatewayRoute{"auth/enable", "etcdserverpb.Auth.AuthEnable"},
    GatewayRoute{"auth/disable", "etcdserverpb.Auth.AuthDisable"},
    GatewayRoute{"auth/status", "etcdserverpb.Auth.AuthStatus"},
    GatewayRoute{"auth/authenticate", "etcdserverpb.Auth.Authenticate"},
    GatewayRoute{"auth/user/add", "etcdserverpb.Auth.UserAdd"},
    GatewayRoute{"auth/user/get", "etcdserverpb.Auth.UserGet"},
    GatewayRoute{"auth/user/list", "etcdserverpb.Auth.UserList"},
    GatewayRoute{"auth/user/delete", "etcdserverpb.Auth.UserDelete"},
    GatewayRoute{"auth/user/changepw", "etcdserverpb.Auth.UserChangePassword"},
    GatewayRoute{"auth/user/grant", "etcdserverpb.Auth.UserGrantRole"},
    GatewayRoute{"auth/user/revoke", "etcdserverpb.Auth.UserRevokeRole"},
    GatewayRoute{"auth/role/add", "etcdserverpb.Auth.RoleAdd"},
    GatewayRoute{"auth/role/get", "etcdserverpb.Auth.RoleGet"},
    GatewayRoute{"auth/role/list", "etcdserverpb.Auth.RoleList"},
    GatewayRoute{"auth/role/delete", "etcdserverpb.Auth.RoleDelete"},
    GatewayRoute{"auth/role/grant", "etcdserverpb.Auth.RoleGrantPermission"},
    GatewayRoute{"auth/role/revoke", "etcdserverpb.Auth.RoleRevokePermission"},
};

}  // namespace

std::string_view gateway_suffix(std::string_view path) {
  for (std::string_view prefix : {std::string_view("/v3/"), std::string_view("/v3beta/")}) {
    if (path.substr(0, prefix.size()) == prefix) return path.substr(prefix.size());
  }
  return {};
}

const GatewayRoute* find_route(std::string_view suffix) {
  for (const GatewayRoute& r : kRoutes) {
    if (r.path == suffix) return &r;
  }
  return nullptr;
}

}  // namespace regent::server::http
