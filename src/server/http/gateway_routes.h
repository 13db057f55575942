// The JSON gateway's paths: etcd 3.4's google.api.http annotations (rpc.proto, v3election.proto,
// v3lock.proto), every one a POST with the whole request as its body, served under /v3/ and,
// as etcd 3.4 also does, /v3beta/.
//
// Where etcd binds two methods to one path (/v3/maintenance/hash: Hash and HashKV), the one its
// gateway registers last answers, as there: HashKV.
#pragma once

#include <string_view>

namespace regent::server::http {

enum class CallKind {
  kUnary,
  kBidiStream,    // Watch, LeaseKeepAlive: each request of the body sent, responses streamed.
  kServerStream,  // Election.Observe: one request, responses streamed.
};

struct GatewayRoute {
  std::string_view path;    // After the version prefix: "kv/range".
  std::string_view method;  // Full protobuf name: "etcdserverpb.KV.Range".
  CallKind kind = CallKind::kUnary;
};

// The part of `path` after "/v3/" or "/v3beta/"; empty if it has neither prefix.
std::string_view gateway_suffix(std::string_view path);
// The route of that part; nullptr if the gateway has none.
const GatewayRoute* find_route(std::string_view suffix);

}  // namespace regent::server::http
