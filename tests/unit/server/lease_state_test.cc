// Lease entries through the state machine (the log's protobuf in, the store's answers out, etcd's
// gRPC codes for its failures), leases in the state machine's image, and etcd's minimum TTL.
#include <gtest/gtest.h>

#include "server/api/lease_service.h"
#include "server/node/state_machine.h"

namespace regent::server {
namespace {

regentpb::InternalRequest grant(int64_t id, int64_t ttl) {
  regentpb::InternalRequest r;
  r.mutable_lease_grant()->set_id(id);
  r.mutable_lease_grant()->set_ttl(ttl);
  return r;
}

regentpb::InternalRequest revoke(int64_t id) {
  regentpb::InternalRequest r;
  r.mutable_lease_revoke()->set_id(id);
  return r;
}

regentpb::InternalRequest put(const std::string& key, int64_t lease) {
  regentpb::InternalRequest r;
  r.mutable_put()->set_key(key);
  r.mutable_put()->set_value("v");
  r.mutable_put()->set_lease(lease);
  return r;
}

Failure failure_of(const WriteResult& r) {
  EXPECT_FALSE(r.has_value());
  return r ? Failure{} : from_kv(r.error());
}

TEST(LeaseState, GrantPutRevokeAndCheckpointApplyAndAnswer) {
  StateMachine sm;
  auto g = sm.apply(grant(-4, 30));
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(std::get<kv::LeaseGrantResponse>(*g),
            (kv::LeaseGrantResponse{.revision = 1, .id = -4, .ttl = 30}));
  ASSERT_TRUE(sm.apply(put("a", -4)).has_value());
  ASSERT_TRUE(sm.apply(put("b", -4)).has_value());
  regentpb::InternalRequest cp;
  auto* c = cp.mutable_lease_checkpoint()->add_checkpoints();
  c->set_id(-4);
  c->set_remaining_ttl(12);
  auto cr = sm.apply(cp);
  ASSERT_TRUE(cr.has_value());
  EXPECT_EQ(std::get<kv::LeaseCheckpointResponse>(*cr).revision, 3);
  EXPECT_EQ(sm.read([](const kv::Store& s) { return s.leases().find(-4)->remaining_ttl; }), 12);

  // Leases travel in the image.
  StateMachine copy;
  ASSERT_TRUE(copy.restore(sm.image()).has_value());
  EXPECT_EQ(copy.image(), sm.image());

  auto r = sm.apply(revoke(-4));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<kv::LeaseRevokeResponse>(*r).revision, 4);  // Two keys, one revision.
  EXPECT_EQ(sm.revision(), 4);
  EXPECT_EQ(sm.read([](const kv::Store& s) { return s.range({.key = "a"})->kvs.size(); }), 0u);
}

TEST(LeaseState, FailuresCarryEtcdsCodesAndMessages) {
  StateMachine sm;
  ASSERT_TRUE(sm.apply(grant(9, 30)).has_value());
  Failure f = failure_of(sm.apply(put("k", 10)));
  EXPECT_EQ(f.code, StatusCode::NOT_FOUND);
  EXPECT_EQ(f.message, "etcdserver: requested lease not found");
  f = failure_of(sm.apply(revoke(10)));
  EXPECT_EQ(f.code, StatusCode::NOT_FOUND);
  f = failure_of(sm.apply(grant(9, 30)));
  EXPECT_EQ(f.code, StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(f.message, "etcdserver: lease already exists");
  f = failure_of(sm.apply(grant(11, kv::kMaxLeaseTtl + 1)));
  EXPECT_EQ(f.code, StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(f.message, "etcdserver: too large lease TTL");
  EXPECT_EQ(sm.revision(), 1);
}

TEST(LeaseState, TheMinimumTtlIsOneAndAHalfElectionTimeoutsRoundedUp) {
  using std::chrono::milliseconds;
  EXPECT_EQ(min_lease_ttl(milliseconds(100), 10), 2);  // 1.5 s.
  EXPECT_EQ(min_lease_ttl(milliseconds(100), 20), 3);
  EXPECT_EQ(min_lease_ttl(milliseconds(1000), 10), 15);
  EXPECT_EQ(min_lease_ttl(milliseconds(10), 5), 1);  // 70 ms: at least a second.
}

}  // namespace
}  // namespace regent::server
