// watch_batch: filters, prev_kv, whole revisions per response (by count and by bytes), etcd's
// fragments, and the header revision each response promises.
#include "server/watch/watch_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace regent::server {
namespace {

using Type = kv::Event::Type;

kv::Event put(std::string key, int64_t rev, std::string value = "v") {
  kv::Event e;
  e.kv = kv::KeyValue{.key = std::move(key),
                      .create_revision = rev,
                      .mod_revision = rev,
                      .version = 1,
                      .value = std::move(value)};
  e.prev_kv = kv::KeyValue{.key = e.kv.key, .create_revision = 1, .mod_revision = 1};
  return e;
}

kv::Event del(std::string key, int64_t rev) {
  kv::Event e;
  e.type = Type::kDelete;
  e.kv = kv::KeyValue{.key = std::move(key), .mod_revision = rev};
  return e;
}

std::vector<const kv::Event*> ptrs(const std::vector<kv::Event>& evs) {
  std::vector<const kv::Event*> out;
  for (const kv::Event& e : evs) out.push_back(&e);
  return out;
}

std::vector<std::vector<int64_t>> revisions(const std::vector<ResponseGroup>& groups) {
  std::vector<std::vector<int64_t>> out;
  for (const ResponseGroup& g : groups) {
    for (const auto& r : g.responses) {
      out.emplace_back();
      for (const auto& e : r.events()) out.back().push_back(e.kv().mod_revision());
    }
  }
  return out;
}

etcdserverpb::ResponseHeader header() {
  etcdserverpb::ResponseHeader h;
  h.set_cluster_id(1);
  h.set_member_id(2);
  h.set_raft_term(3);
  return h;
}

TEST(WatchBatch, OneResponseWithHeaderAndIdAndConvertedEvents) {
  const std::vector<kv::Event> evs = {put("a", 5, "x"), del("b", 6)};
  auto groups =
      batch_events(7, ptrs(evs), WatchFilter{.prev_kv = true}, BatchLimits{}, header(), 9);
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].responses.size(), 1u);
  const etcdserverpb::WatchResponse& r = groups[0].responses[0];
  EXPECT_EQ(r.watch_id(), 7);
  EXPECT_EQ(r.header().revision(), 9);  // Complete to 9, though the last event is at 6.
  EXPECT_EQ(r.header().member_id(), 2u);
  EXPECT_FALSE(r.fragment());
  ASSERT_EQ(r.events_size(), 2);
  EXPECT_EQ(r.events(0).type(), mvccpb::Event::PUT);
  EXPECT_EQ(r.events(0).kv().value(), "x");
  EXPECT_TRUE(r.events(0).has_prev_kv());
  EXPECT_EQ(r.events(1).type(), mvccpb::Event::DELETE);
  EXPECT_EQ(r.events(1).kv().key(), "b");
  EXPECT_EQ(r.events(1).kv().mod_revision(), 6);
  EXPECT_FALSE(r.events(1).has_prev_kv());
  EXPECT_EQ(groups[0].first_revision, 5);
  EXPECT_EQ(groups[0].last_revision, 6);
}

TEST(WatchBatch, FiltersAndPrevKv) {
  const std::vector<kv::Event> evs = {put("a", 2), del("a", 3), put("a", 4)};
  auto no_put = batch_events(0, ptrs(evs), WatchFilter{.no_put = true}, {}, header(), 4);
  EXPECT_EQ(revisions(no_put), (std::vector<std::vector<int64_t>>{{3}}));
  auto no_delete = batch_events(0, ptrs(evs), WatchFilter{.no_delete = true}, {}, header(), 4);
  EXPECT_EQ(revisions(no_delete), (std::vector<std::vector<int64_t>>{{2, 4}}));
  EXPECT_FALSE(no_delete[0].responses[0].events(0).has_prev_kv());  // Not asked for.
  // Everything filtered out: nothing to send, not even an empty response.
  auto none =
      batch_events(0, ptrs(evs), WatchFilter{.no_put = true, .no_delete = true}, {}, header(), 4);
  EXPECT_TRUE(none.empty());
}

TEST(WatchBatch, AtMostMaxRevisionsPerResponseNeverSplittingOne) {
  std::vector<kv::Event> evs;
  for (int64_t rev = 2; rev <= 6; ++rev) {
    evs.push_back(put("a" + std::to_string(rev), rev));
    evs.push_back(put("b" + std::to_string(rev), rev));
  }
  auto groups = batch_events(0, ptrs(evs), {}, BatchLimits{.max_revisions = 2}, header(), 6);
  EXPECT_EQ(revisions(groups),
            (std::vector<std::vector<int64_t>>{{2, 2, 3, 3}, {4, 4, 5, 5}, {6, 6}}));
  // Each says how far its watcher has seen: the end of its revisions, the last one all of it.
  EXPECT_EQ(groups[0].responses[0].header().revision(), 3);
  EXPECT_EQ(groups[1].responses[0].header().revision(), 5);
  EXPECT_EQ(groups[2].responses[0].header().revision(), 6);
}

TEST(WatchBatch, ByteLimitCutsBetweenRevisionsOnly) {
  const std::string big(400, 'x');
  std::vector<kv::Event> evs = {put("a", 2, big), put("b", 3, big), put("c", 3, big),
                                put("d", 3, big), put("e", 4, big)};
  auto groups = batch_events(0, ptrs(evs), {}, BatchLimits{.max_bytes = 1000}, header(), 4);
  // Revision 3 alone is larger than the limit: it goes whole, in a response of its own.
  EXPECT_EQ(revisions(groups), (std::vector<std::vector<int64_t>>{{2}, {3, 3, 3}, {4}}));
  for (const ResponseGroup& g : groups) {
    for (const auto& r : g.responses) EXPECT_FALSE(r.fragment());
  }
}

TEST(WatchBatch, FragmentsWhenAskedForAndTooLarge) {
  const std::string big(400, 'x');
  std::vector<kv::Event> evs = {put("b", 3, big), put("c", 3, big), put("d", 3, big)};
  auto groups =
      batch_events(4, ptrs(evs), {}, BatchLimits{.max_bytes = 1000, .fragment = true}, header(), 3);
  ASSERT_EQ(groups.size(), 1u);
  const auto& pieces = groups[0].responses;
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(revisions(groups), (std::vector<std::vector<int64_t>>{{3, 3}, {3}}));
  EXPECT_TRUE(pieces[0].fragment());
  EXPECT_FALSE(pieces[1].fragment());
  for (const auto& p : pieces) {
    EXPECT_EQ(p.watch_id(), 4);
    EXPECT_EQ(p.header().revision(), 3);
    EXPECT_LE(p.ByteSizeLong(), 1000u);
  }
  // One event is never fragmented, whatever its size.
  std::vector<kv::Event> one = {put("a", 2, std::string(5000, 'y'))};
  auto single =
      batch_events(0, ptrs(one), {}, BatchLimits{.max_bytes = 1000, .fragment = true}, header(), 2);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].responses.size(), 1u);
  EXPECT_FALSE(single[0].responses[0].fragment());
}

}  // namespace
}  // namespace regent::server
