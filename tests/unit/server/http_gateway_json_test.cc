// The JSON gateway's mapping and errors (server/http/gateway_json.h, gateway_routes.h): etcd
// 3.4's grpc-gateway shapes, status codes and paths.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "etcdserverpb/rpc.pb.h"
#include "server/http/gateway.h"
#include "server/http/gateway_json.h"
#include "server/http/gateway_routes.h"

namespace regent::server::http {
namespace {

TEST(HttpGatewayJsonTest, StatusOfEachGrpcCodeIsGrpcGatewayV1s) {
  struct Case {
    grpc::StatusCode code;
    int http;
  };
  const std::vector<Case> cases = {
      {grpc::StatusCode::OK, 200},
      {grpc::StatusCode::CANCELLED, 408},
      {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::NOT_FOUND, 404},
      {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::PERMISSION_DENIED, 403},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::FAILED_PRECONDITION, 412},
      {grpc::StatusCode::ABORTED, 409},
      {grpc::StatusCode::OUT_OF_RANGE, 400},
      {grpc::StatusCode::UNIMPLEMENTED, 501},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DATA_LOSS, 500},
      {grpc::StatusCode::UNAUTHENTICATED, 401},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.code));
    EXPECT_EQ(http_status_from_grpc(c.code), c.http);
  }
}

TEST(HttpGatewayJsonTest, UnaryErrorHasErrorMessageAndCode) {
  const Reply r = error_reply(
      grpc::Status(grpc::StatusCode::NOT_FOUND, "etcdserver: requested lease not found"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"etcdserver: requested lease not found",)"
                    R"("message":"etcdserver: requested lease not found","code":5})");
}

TEST(HttpGatewayJsonTest, ErrorMessagesAreEscaped) {
  const Reply r = error_reply(400, grpc::StatusCode::INVALID_ARGUMENT, "a \"quoted\"\nline");
  EXPECT_EQ(r.body, R"({"error":"a \"quoted\"\nline","message":"a \"quoted\"\nline","code":3})");
}

TEST(HttpGatewayJsonTest, StreamErrorIsOneLineInGrpcGatewaysShape) {
  EXPECT_EQ(stream_error_line(grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader")),
            R"({"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader",)"
            R"("http_status":"Service Unavailable"}})"
            "\n");
}

TEST(HttpGatewayJsonTest, MalformedJsonIsRefusedWithWhereItIsWrong) {
  etcdserverpb::RangeRequest r;
  for (const char* body : {R"({"key":)", "not json", R"({"limit":"many"})", "[1,2]"}) {
    SCOPED_TRACE(body);
    auto parsed = parse_request(body, r);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_NE(parsed.error().find("etcdserverpb.RangeRequest"), std::string::npos);
    EXPECT_EQ(parsed.error().find('\n'), std::string::npos) << parsed.error();
  }
}

TEST(HttpGatewayJsonTest, EmptyBodyIsTheEmptyRequestAndUnknownFieldsAreIgnored) {
  etcdserverpb::RangeRequest r;
  r.set_limit(7);
  ASSERT_TRUE(parse_request("", r).has_value());
  EXPECT_EQ(r.limit(), 0);  // Cleared: nothing of an earlier request survives.
  ASSERT_TRUE(parse_request(R"({"key":"Zm9v","range_end":"Zm9w","future_field":1})", r));
  EXPECT_EQ(r.key(), "foo");
  EXPECT_EQ(r.range_end(), "fop");
  ASSERT_TRUE(parse_request(R"({"key":"Zm9v","rangeEnd":"Zm9w","limit":"3"})", r));  // camelCase
  EXPECT_EQ(r.range_end(), "fop");
  EXPECT_EQ(r.limit(), 3);
}

TEST(HttpGatewayJsonTest, ResponseUsesProtoNamesStringInt64sAndOmitsDefaults) {
  etcdserverpb::RangeResponse r;
  r.mutable_header()->set_cluster_id(18446744073709551615ull);
  r.mutable_header()->set_revision(5);
  auto* kv = r.add_kvs();
  kv->set_key("foo");
  kv->set_value("bar");
  kv->set_create_revision(5);
  r.set_count(1);
  EXPECT_EQ(print_response(r),
            R"({"header":{"cluster_id":"18446744073709551615","revision":"5"},)"
            R"("kvs":[{"key":"Zm9v","create_revision":"5","value":"YmFy"}],"count":"1"})");
  EXPECT_EQ(stream_result_line(etcdserverpb::WatchResponse()), "{\"result\":{}}\n");
}

TEST(HttpGatewayRoutesTest, EtcdPathsUnderBothPrefixes) {
  EXPECT_EQ(gateway_suffix("/v3/kv/range"), "kv/range");
  EXPECT_EQ(gateway_suffix("/v3beta/kv/range"), "kv/range");
  EXPECT_EQ(gateway_suffix("/v3alpha/kv/range"), "");  // etcd 3.4 answers 404 there too.
  EXPECT_EQ(gateway_suffix("/health"), "");
  struct Case {
    const char* suffix;
    const char* method;
  };
  const std::vector<Case> cases = {
      {"kv/range", "etcdserverpb.KV.Range"},
      {"kv/put", "etcdserverpb.KV.Put"},
      {"kv/deleterange", "etcdserverpb.KV.DeleteRange"},
      {"kv/txn", "etcdserverpb.KV.Txn"},
      {"kv/compaction", "etcdserverpb.KV.Compact"},
      {"watch", "etcdserverpb.Watch.Watch"},
      {"lease/grant", "etcdserverpb.Lease.LeaseGrant"},
      {"lease/revoke", "etcdserverpb.Lease.LeaseRevoke"},
      {"kv/lease/revoke", "etcdserverpb.Lease.LeaseRevoke"},
      {"lease/keepalive", "etcdserverpb.Lease.LeaseKeepAlive"},
      {"kv/lease/timetolive", "etcdserverpb.Lease.LeaseTimeToLive"},
      {"lease/leases", "etcdserverpb.Lease.LeaseLeases"},
      {"cluster/member/list", "etcdserverpb.Cluster.MemberList"},
      {"maintenance/status", "etcdserverpb.Maintenance.Status"},
      {"maintenance/hash", "etcdserverpb.Maintenance.HashKV"},  // etcd's last registration wins.
      {"election/campaign", "v3electionpb.Election.Campaign"},
      {"election/observe", "v3electionpb.Election.Observe"},
      {"lock/lock", "v3lockpb.Lock.Lock"},
      {"lock/unlock", "v3lockpb.Lock.Unlock"},
      {"auth/authenticate", "etcdserverpb.Auth.Authenticate"},
      {"auth/user/changepw", "etcdserverpb.Auth.UserChangePassword"},
      {"auth/role/revoke", "etcdserverpb.Auth.RoleRevokePermission"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.suffix);
    const GatewayRoute* r = find_route(c.suffix);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->method, c.method);
  }
  EXPECT_EQ(find_route("kv/rangex"), nullptr);
}

TEST(HttpGatewayRoutesTest, EveryRoutesMethodIsCompiledInWithItsStreaming) {
  for (const char* suffix :
       {"kv/range", "watch", "lease/keepalive", "election/observe", "lock/lock",
        "maintenance/transfer-leadership", "cluster/member/promote"}) {
    SCOPED_TRACE(suffix);
    const GatewayRoute* r = find_route(suffix);
    ASSERT_NE(r, nullptr);
    const auto* m = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
        std::string(r->method));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->server_streaming(), r->kind != CallKind::kUnary);
    EXPECT_EQ(m->client_streaming(), r->kind == CallKind::kBidiStream);
    // The request a body becomes is the method's own input.
    auto parsed = Gateway::parse(*r, "{}");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ((*parsed)->GetDescriptor(), m->input_type());
  }
  auto refused = Gateway::parse(*find_route("kv/put"), "{");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().status, 400);
}

}  // namespace
}  // namespace regent::server::http
