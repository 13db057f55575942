// The store's leases: grants and checkpoints change no revision; a revoke deletes the lease's
// keys in one revision; puts and deletes keep each key attached to the lease its current version
// names; a put naming a lease that does not exist is refused, alone or in a txn.
#include <gtest/gtest.h>

#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::del;
using testing::get;
using testing::must;
using testing::put;

std::vector<std::string> keys_of_lease(const Store& s, int64_t id) {
  const Lease* l = s.leases().find(id);
  if (l == nullptr) return {"<no lease>"};
  return {l->keys.begin(), l->keys.end()};
}

void grant(Store& s, int64_t id, int64_t ttl = 60) { must(s.lease_grant({.id = id, .ttl = ttl})); }

const Error kNotFound{ErrorCode::kLeaseNotFound, "etcdserver: requested lease not found"};

TEST(LeaseStoreTest, AGrantAddsALeaseAndChangesNoRevision) {
  Store s;
  put(s, "k", "v");
  LeaseGrantResponse r = must(s.lease_grant({.id = 7, .ttl = 30}));
  EXPECT_EQ(r, (LeaseGrantResponse{.revision = 2, .id = 7, .ttl = 30}));
  EXPECT_EQ(s.revision(), 2);
  ASSERT_NE(s.leases().find(7), nullptr);
  EXPECT_EQ(*s.leases().find(7), (Lease{.id = 7, .ttl = 30}));
  // etcd takes any ID but 0, negative ones included.
  must(s.lease_grant({.id = -3, .ttl = kMaxLeaseTtl}));
  EXPECT_EQ(s.leases().size(), 2u);
  s.check_invariants();
}

TEST(LeaseStoreTest, AGrantOfAnExistingIdOfIdZeroOrOfABadTtlFailsAndChangesNothing) {
  Store s;
  grant(s, 7);
  EXPECT_EQ(s.lease_grant({.id = 7, .ttl = 10}).error(),
            (Error{ErrorCode::kLeaseExists, "etcdserver: lease already exists"}));
  EXPECT_EQ(s.leases().find(7)->ttl, 60);
  EXPECT_EQ(s.lease_grant({.id = 0, .ttl = 10}).error(), kNotFound);
  EXPECT_EQ(s.lease_grant({.id = 8, .ttl = kMaxLeaseTtl + 1}).error(),
            (Error{ErrorCode::kTtlTooLarge, "etcdserver: too large lease TTL"}));
  EXPECT_EQ(s.lease_grant({.id = 8, .ttl = 0}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.leases().size(), 1u);
}

TEST(LeaseStoreTest, ARevokeDeletesEveryAttachedKeyInOneRevision) {
  Store s;
  grant(s, 1);
  put(s, "b", "1", 1);
  put(s, "a", "1", 1);
  put(s, "free", "x");
  put(s, "c", "1", 1);
  const int64_t before = s.revision();
  LeaseRevokeResponse r = must(s.lease_revoke({.id = 1}));
  EXPECT_EQ(r.revision, before + 1);
  EXPECT_EQ(s.revision(), before + 1);
  EXPECT_EQ(s.leases().find(1), nullptr);
  for (const char* key : {"a", "b", "c"}) {
    EXPECT_EQ(get(s, key).key, "") << key;
    EXPECT_EQ(get(s, key, before).key, key) << key;
  }
  EXPECT_EQ(get(s, "free").value, "x");
  // Three tombstones at one main revision, subs 0, 1, 2 (invariant 3 checks the subs).
  s.check_invariants();
  EXPECT_EQ(s.version_count(), 7u);
}

TEST(LeaseStoreTest, ARevokeOfALeaseWithoutKeysChangesNoRevisionAndAnUnknownOneFails) {
  Store s;
  grant(s, 1);
  put(s, "k", "v");
  EXPECT_EQ(must(s.lease_revoke({.id = 1})).revision, 2);
  EXPECT_EQ(s.revision(), 2);
  EXPECT_EQ(s.lease_revoke({.id = 1}).error(), kNotFound);
  EXPECT_EQ(s.lease_revoke({.id = 0}).error(), kNotFound);
  EXPECT_EQ(s.revision(), 2);
}

TEST(LeaseStoreTest, PutsAttachMoveAndDetachKeysAndDeletesDetachThem) {
  Store s;
  grant(s, 1);
  grant(s, 2);
  put(s, "k", "v", 1);
  EXPECT_EQ(keys_of_lease(s, 1), std::vector<std::string>{"k"});
  put(s, "k", "v", 2);  // Moves.
  EXPECT_EQ(keys_of_lease(s, 1), std::vector<std::string>{});
  EXPECT_EQ(keys_of_lease(s, 2), std::vector<std::string>{"k"});
  must(s.put({.key = "k", .value = "w", .ignore_lease = true}));  // Keeps.
  EXPECT_EQ(keys_of_lease(s, 2), std::vector<std::string>{"k"});
  EXPECT_EQ(get(s, "k").lease, 2);
  put(s, "k", "v");  // Detaches.
  EXPECT_EQ(keys_of_lease(s, 2), std::vector<std::string>{});
  put(s, "k", "v", 1);
  put(s, "k2", "v", 1);
  del(s, "k");  // Detaches the deleted key only.
  EXPECT_EQ(keys_of_lease(s, 1), std::vector<std::string>{"k2"});
  del(s, "a", "z");  // A range delete detaches too.
  EXPECT_EQ(keys_of_lease(s, 1), std::vector<std::string>{});
  // A txn's put attaches; the revoke of the lease a key left does not delete it.
  must(s.txn({.success = {RequestOp{PutRequest{.key = "t", .value = "1", .lease = 1}},
                          RequestOp{PutRequest{.key = "u", .value = "1", .lease = 2}}}}));
  EXPECT_EQ(keys_of_lease(s, 1), std::vector<std::string>{"t"});
  put(s, "t", "moved", 2);
  const int64_t before = s.revision();
  must(s.lease_revoke({.id = 1}));
  EXPECT_EQ(s.revision(), before);
  EXPECT_EQ(get(s, "t").value, "moved");
  must(s.lease_revoke({.id = 2}));
  EXPECT_EQ(get(s, "t").key, "");
  EXPECT_EQ(get(s, "u").key, "");
  s.check_invariants();
}

TEST(LeaseStoreTest, APutNamingALeaseThatDoesNotExistFailsAloneOrInATxn) {
  Store s;
  put(s, "k", "v");
  EXPECT_EQ(s.put({.key = "k", .value = "x", .lease = 42}).error(), kNotFound);
  // etcd checks the lease before the key an ignore_value put needs.
  EXPECT_EQ(s.put({.key = "missing", .lease = 42, .ignore_value = true}).error(), kNotFound);
  const TxnRequest txn{.success = {testing::op_put("a", "1"),
                                   RequestOp{PutRequest{.key = "b", .value = "1", .lease = 42}}}};
  EXPECT_EQ(s.txn(txn).error(), kNotFound);
  // Nested, and only on the path the txn takes.
  EXPECT_EQ(s.txn({.success = {testing::op_txn(txn)}}).error(), kNotFound);
  EXPECT_EQ(s.revision(), 2);
  EXPECT_EQ(get(s, "a").key, "");
  TxnResponse other =
      must(s.txn({.compare = {testing::cmp_version("k", Compare::Result::kEqual, 0)},
                  .success = txn.success,
                  .failure = {testing::op_put("a", "2")}}));
  EXPECT_FALSE(other.succeeded);
  EXPECT_EQ(get(s, "a").value, "2");
  // A revoked lease is as unknown as one never granted.
  grant(s, 42);
  must(s.lease_revoke({.id = 42}));
  EXPECT_EQ(s.put({.key = "k", .value = "x", .lease = 42}).error(), kNotFound);
}

TEST(LeaseStoreTest, ACheckpointRecordsTheRemainingTtlAndChangesNoRevision) {
  Store s;
  grant(s, 1, 100);
  grant(s, 2, 100);
  put(s, "k", "v", 1);
  LeaseCheckpointResponse r = must(s.lease_checkpoint(
      {.checkpoints = {{.id = 1, .remaining_ttl = 40}, {.id = 9, .remaining_ttl = 5}}}));
  EXPECT_EQ(r.revision, 2);
  EXPECT_EQ(s.revision(), 2);
  EXPECT_EQ(s.leases().find(1)->remaining_ttl, 40);
  EXPECT_EQ(s.leases().find(2)->remaining_ttl, 0);
  EXPECT_FALSE(s.leases().contains(9));  // A checkpoint of an unknown lease is ignored.
  must(s.lease_checkpoint({.checkpoints = {{.id = 1, .remaining_ttl = 0}}}));  // A renewal.
  EXPECT_EQ(s.leases().find(1)->remaining_ttl, 0);
  must(s.lease_checkpoint({.checkpoints = {{.id = 2, .remaining_ttl = -5}}}));
  EXPECT_EQ(s.leases().find(2)->remaining_ttl, 0);
  s.check_invariants();
}

}  // namespace
}  // namespace regent::kv
