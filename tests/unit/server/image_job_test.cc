// StateMachine::begin_image(): the image written on another thread while applies go on is the
// image the state machine had when the job began. Runs under ThreadSanitizer (make build-tsan).
#include "server/node/image_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/node/state_machine.h"
#include "unit/server/internal_requests.h"

namespace regent::server {
namespace {

using testing::compact;
using testing::del;
using testing::members;
using testing::publish;
using testing::put;

constexpr int kKeys = 1000;

std::string key(int i) { return "k" + std::to_string(i); }

// Writes of every kind that change what an image of the past would hold: new versions, new
// keys, deletes, compaction up to now, and the member table.
void apply_churn(StateMachine& sm, int i) {
  ASSERT_TRUE(sm.apply(put(key(i % kKeys), "churn " + std::to_string(i))).has_value());
  ASSERT_TRUE(sm.apply(put("new" + std::to_string(i), "v")).has_value());
  ASSERT_TRUE(sm.apply(del(key((i * 7) % kKeys))).has_value());
  if (i % 50 == 0) {
    ASSERT_TRUE(sm.apply(compact(sm.revision())).has_value());
  }
  if (i % 100 == 0) {
    ASSERT_TRUE(sm.apply(publish(7, "http://h" + std::to_string(i))).has_value());
  }
}

void fill(StateMachine& sm) {
  for (int i = 0; i < 2 * kKeys; ++i) {
    ASSERT_TRUE(sm.apply(put(key(i % kKeys), std::string(64, 'v'))));
  }
}

TEST(ImageJob, RunWritesTheImageAsItWasAtBegin) {
  StateMachine sm(members());
  fill(sm);
  const std::string at_begin = sm.image();
  ImageJob job = sm.begin_image();
  EXPECT_EQ(job.revision(), sm.revision());
  for (int i = 0; i < 10; ++i) apply_churn(sm, i);
  auto image = job.run({.max_keys = 7});
  ASSERT_TRUE(image.has_value()) << image.error();
  EXPECT_EQ(*image, at_begin);
  StateMachine restored;
  ASSERT_TRUE(restored.restore(*image).has_value());
  EXPECT_EQ(restored.image(), at_begin);
}

// The way the node uses it: the job on a thread of its own, applies on this one. A twin that
// applies the same entries without a job must end byte-identical.
TEST(ImageJob, AppliesGoOnWhileAJobRunsOnAnotherThread) {
  StateMachine sm(members());
  StateMachine twin(members());
  fill(sm);
  fill(twin);
  const std::string at_begin = sm.image();
  ImageJob job = sm.begin_image();
  std::atomic<bool> done{false};
  std::optional<Expected<std::string, std::string>> image;
  std::thread runner([&] {
    image = job.run({.max_keys = 1});
    done.store(true, std::memory_order_release);
  });
  int applied_while_running = 0;
  for (int i = 0; i < 200 || !done.load(std::memory_order_acquire); ++i) {
    if (!done.load(std::memory_order_acquire)) ++applied_while_running;
    apply_churn(sm, i);
    apply_churn(twin, i);
    std::this_thread::yield();  // As the node's loop does other work between applies.
  }
  runner.join();
  ASSERT_TRUE(image.has_value() && image->has_value());
  EXPECT_EQ(**image, at_begin);
  EXPECT_EQ(sm.image(), twin.image());
  EXPECT_EQ(sm.read([](const kv::Store& s) { return s.image_jobs(); }), 0u);
  // How far the two threads interleaved depends on the scheduler; the kv tests pin it down.
  RecordProperty("applies_while_running", applied_while_running);
}

TEST(ImageJob, ARestoreBeforeTheJobEndsFailsIt) {
  StateMachine sm(members());
  fill(sm);
  ImageJob job = sm.begin_image();
  ASSERT_TRUE(sm.apply(put("k1", "after")).has_value());
  ASSERT_TRUE(sm.restore(sm.image()).has_value());
  auto image = job.run();
  ASSERT_FALSE(image.has_value());
  EXPECT_NE(image.error().find("restored"), std::string::npos);
}

TEST(ImageJob, AJobDestroyedUnrunLetsCompactionGo) {
  StateMachine sm(members());
  fill(sm);
  std::optional<ImageJob> job = sm.begin_image();
  EXPECT_EQ(sm.read([](const kv::Store& s) { return s.image_jobs(); }), 1u);
  std::thread([&job] { job.reset(); }).join();  // Any thread, no lock.
  EXPECT_EQ(sm.read([](const kv::Store& s) { return s.image_jobs(); }), 0u);
  ASSERT_TRUE(sm.apply(compact(sm.revision())).has_value());
  EXPECT_EQ(sm.read([](const kv::Store& s) { return s.key_count(); }), static_cast<size_t>(kKeys));
}

}  // namespace
}  // namespace regent::server
