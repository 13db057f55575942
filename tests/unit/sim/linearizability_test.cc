#include "sim/linearizability.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sim/history.h"

namespace regent::sim {
namespace {

using std::nullopt;

// The key of the table-driven cases; distinctive, so "the explanation names the key" means
// something.
const std::string kKey = "acct";

Operation put(uint64_t client, std::string value, Time invoke, Time complete,
              const std::string& key = kKey) {
  return {.client = client,
          .type = OpType::kPut,
          .key = key,
          .value = std::move(value),
          .invoke_time = invoke,
          .complete_time = complete,
          .outcome = Outcome::kOk};
}

Operation get(uint64_t client, std::optional<std::string> result, Time invoke, Time complete,
              const std::string& key = kKey) {
  return {.client = client,
          .type = OpType::kGet,
          .key = key,
          .invoke_time = invoke,
          .complete_time = complete,
          .outcome = Outcome::kOk,
          .result = std::move(result)};
}

Operation cas(uint64_t client, std::optional<std::string> expected, std::string value, bool swapped,
              Time invoke, Time complete, const std::string& key = kKey) {
  return {.client = client,
          .type = OpType::kCas,
          .key = key,
          .value = std::move(value),
          .expected = std::move(expected),
          .invoke_time = invoke,
          .complete_time = complete,
          .outcome = Outcome::kOk,
          .swapped = swapped};
}

// The client gave up waiting: nothing was observed, and the effect may or may not happen.
Operation timed_out(Operation op) {
  op.outcome = Outcome::kUnknown;
  op.complete_time = kNever;
  op.result.reset();
  op.swapped = false;
  return op;
}

Operation failed(Operation op) {
  op.outcome = Outcome::kFailed;
  return op;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(HistoryTest, Describe) {
  struct Case {
    Operation op;
    std::string want;
  };
  const std::vector<Case> cases = {
      {cas(3, "a", "b", true, 120, 450, "k1"), "client 3 cas k1 (a -> b) [120, 450] ok swapped"},
      {cas(3, nullopt, "b", false, 1, 2, "k1"),
       "client 3 cas k1 (<absent> -> b) [1, 2] ok not swapped"},
      {put(1, "v", 0, 10, "k"), "client 1 put k := v [0, 10] ok"},
      {put(1, "", 0, 10, "k"), "client 1 put k := \"\" [0, 10] ok"},
      {get(2, "v", 5, 7, "k"), "client 2 get k -> v [5, 7] ok"},
      {get(2, nullopt, 5, 7, "k"), "client 2 get k -> <absent> [5, 7] ok"},
      {timed_out(put(1, "v", 4, 0, "k")), "client 1 put k := v [4, ?] unknown"},
      {timed_out(get(1, nullopt, 4, 0, "k")), "client 1 get k [4, ?] unknown"},
      {failed(cas(4, "x", "y", false, 1, 2, "k")), "client 4 cas k (x -> y) [1, 2] failed"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(describe(c.op), c.want);
  }
}

struct VerdictCase {
  std::string name;
  History history;
  bool want_linearizable;
};

void expect_verdicts(const std::vector<VerdictCase>& cases) {
  for (const VerdictCase& c : cases) {
    SCOPED_TRACE(c.name);
    const LinearizabilityResult result = check_linearizable(c.history);
    EXPECT_EQ(result.linearizable, c.want_linearizable) << result.explanation;
    EXPECT_FALSE(result.inconclusive) << result.explanation;
    if (c.want_linearizable) continue;
    EXPECT_EQ(result.key, kKey);
    EXPECT_TRUE(mentions(result.explanation, kKey)) << result.explanation;
  }
}

TEST(LinearizabilityTest, SequentialAndConcurrentHistories) {
  expect_verdicts({
      {"empty history", {}, true},
      {"a key never written reads as absent", {get(1, nullopt, 0, 10)}, true},
      {"sequential put, get, cas",
       {put(1, "1", 0, 10), get(1, "1", 20, 30), cas(1, "1", "2", true, 40, 50),
        get(1, "2", 60, 70), cas(1, "1", "3", false, 80, 90), get(1, "2", 100, 110)},
       true},
      {"cas on an absent key", {cas(1, nullopt, "x", true, 0, 10), get(2, "x", 20, 30)}, true},
      {"a read overlapping a put sees the old value",
       {put(1, "1", 0, 10), put(1, "2", 20, 40), get(2, "1", 30, 50)},
       true},
      {"a read overlapping a put sees the new value",
       {put(1, "1", 0, 10), put(1, "2", 20, 40), get(2, "2", 30, 50)},
       true},
      {"concurrent puts, the one invoked first wins",
       {put(1, "a", 0, 50), put(2, "b", 10, 60), get(3, "b", 70, 80)},
       true},
      {"concurrent puts, the one invoked second wins",
       {put(1, "a", 0, 50), put(2, "b", 10, 60), get(3, "a", 70, 80)},
       true},
      {"operations that meet at an instant are concurrent",
       {put(1, "1", 0, 10), get(2, nullopt, 10, 20)},
       true},
      {"racing cas from one value, the first invoked wins",
       {put(1, "0", 0, 10), cas(1, "0", "1", true, 20, 50), cas(2, "0", "2", false, 30, 60),
        get(3, "1", 70, 80)},
       true},
      {"racing cas from one value, the second invoked wins",
       {put(1, "0", 0, 10), cas(1, "0", "1", false, 20, 50), cas(2, "0", "2", true, 30, 60),
        get(3, "2", 70, 80)},
       true},
  });
}

TEST(LinearizabilityTest, ClassicViolations) {
  expect_verdicts({
      {"stale read: absent after a completed put",
       {put(1, "1", 0, 10), get(2, nullopt, 20, 30)},
       false},
      {"stale read: old value after a completed overwrite",
       {put(1, "1", 0, 10), put(1, "2", 20, 30), get(2, "1", 40, 50)},
       false},
      {"read of a value never written", {put(1, "1", 0, 10), get(2, "7", 20, 30)}, false},
      {"lost update: two successful cas from one value that do not overlap",
       {put(1, "0", 0, 10), cas(1, "0", "1", true, 20, 30), cas(2, "0", "2", true, 40, 50)},
       false},
      {"a read goes back in time",
       {put(1, "1", 0, 10), put(1, "2", 20, 100), get(2, "2", 30, 40), get(2, "1", 50, 60)},
       false},
      {"cas swapped although its expected value was not current",
       {put(1, "1", 0, 10), cas(2, nullopt, "2", true, 20, 30)},
       false},
      {"cas did not swap although its expected value was current",
       {put(1, "1", 0, 10), cas(2, "1", "2", false, 20, 30)},
       false},
      {"a read reflects a put invoked after it completed",
       {get(1, "1", 0, 10), put(2, "1", 20, 30)},
       false},
  });
}

TEST(LinearizabilityTest, TimedOutAndFailedOperations) {
  Operation bogus_read = get(2, "garbage", 20, 30);
  bogus_read.outcome = Outcome::kUnknown;
  expect_verdicts({
      {"a timed-out put must have happened to explain a read",
       {timed_out(put(1, "x", 0, 0)), get(2, "x", 50, 60)},
       true},
      {"a timed-out put may never happen",
       {timed_out(put(1, "x", 0, 0)), get(2, nullopt, 50, 60), get(2, nullopt, 70, 80)},
       true},
      {"a timed-out put may take effect long after its client gave up",
       {put(1, "a", 0, 10), timed_out(put(2, "b", 20, 0)), put(1, "c", 30, 40), get(1, "c", 50, 60),
        get(1, "b", 70, 80)},
       true},
      {"a timed-out cas swaps if it would succeed",
       {put(1, "a", 0, 10), timed_out(cas(2, "a", "b", false, 20, 0)), get(1, "b", 30, 40)},
       true},
      {"a timed-out cas that cannot succeed changes nothing",
       {put(1, "a", 0, 10), timed_out(cas(2, "z", "b", false, 20, 0)), get(1, "a", 30, 40)},
       true},
      {"a timed-out cas that cannot succeed explains nothing",
       {put(1, "a", 0, 10), timed_out(cas(2, "z", "b", false, 20, 0)), get(1, "b", 30, 40)},
       false},
      {"a timed-out put cannot explain a read that completed before it was invoked",
       {get(1, "x", 0, 10), timed_out(put(2, "x", 20, 0))},
       false},
      {"a timed-out put happens at most once",
       {timed_out(put(1, "x", 0, 0)), get(2, "x", 10, 20), put(2, "y", 30, 40),
        get(2, "x", 50, 60)},
       false},
      {"a failed put is ignored", {failed(put(1, "x", 0, 10)), get(2, nullopt, 20, 30)}, true},
      {"a failed put never takes effect", {failed(put(1, "x", 0, 10)), get(2, "x", 20, 30)}, false},
      {"a failed cas is ignored",
       {failed(cas(1, nullopt, "x", true, 0, 10)), get(2, nullopt, 20, 30)},
       true},
      {"reads that failed or timed out are ignored",
       {put(1, "1", 0, 10), failed(get(2, "garbage", 20, 30)), bogus_read},
       true},
  });
}

TEST(LinearizabilityTest, ExplanationShowsTheStuckOperations) {
  const Operation written = put(1, "1", 0, 10);
  const Operation stale = get(2, nullopt, 20, 30);
  const LinearizabilityResult result = check_linearizable({written, stale});
  ASSERT_FALSE(result.linearizable);
  EXPECT_TRUE(mentions(result.explanation, describe(written))) << result.explanation;
  EXPECT_TRUE(mentions(result.explanation, describe(stale))) << result.explanation;
}

TEST(LinearizabilityTest, KeysAreCheckedIndependently) {
  // gamma reads absent after the other keys were written; only beta's second read is stale.
  const History history = {
      put(1, "1", 0, 10, "alpha"),      put(2, "1", 0, 10, "beta"),
      get(3, nullopt, 20, 30, "gamma"), get(1, "1", 20, 30, "alpha"),
      get(2, nullopt, 40, 50, "beta"),  put(3, "2", 60, 70, "gamma"),
      get(1, "2", 80, 90, "gamma"),
  };
  const LinearizabilityResult result = check_linearizable(history);
  EXPECT_FALSE(result.linearizable);
  EXPECT_EQ(result.key, "beta");
  EXPECT_TRUE(mentions(result.explanation, "beta")) << result.explanation;
  EXPECT_FALSE(mentions(result.explanation, "alpha")) << result.explanation;
  EXPECT_FALSE(mentions(result.explanation, "gamma")) << result.explanation;

  History without_beta;
  std::copy_if(history.begin(), history.end(), std::back_inserter(without_beta),
               [](const Operation& op) { return op.key != "beta"; });
  EXPECT_TRUE(check_linearizable(without_beta).linearizable);
}

TEST(LinearizabilityTest, MalformedCompletionIsReported) {
  const LinearizabilityResult result = check_linearizable({get(1, nullopt, 20, 10)});
  EXPECT_FALSE(result.linearizable);
  EXPECT_EQ(result.key, kKey);
  EXPECT_TRUE(mentions(result.explanation, "malformed")) << result.explanation;
  EXPECT_TRUE(mentions(result.explanation, kKey)) << result.explanation;
}

// --- Randomized histories from a real register.

struct RegisterRun {
  uint64_t seed = 1;
  int ops = 5000;
  int keys = 5;
  int clients = 5;
  uint64_t unknown_percent = 3;
  uint64_t failed_percent = 2;
};

// A random put, get or cas with a unique value; cas expects one of the last few values written to
// the key (or absence), so that some cas succeed.
Operation random_operation(std::mt19937_64& rng, int index, int keys,
                           std::map<std::string, std::vector<std::string>>& written) {
  Operation op;
  op.key = "key" + std::to_string(rng() % keys);
  op.value = "v" + std::to_string(index);
  const uint64_t roll = rng() % 10;
  std::vector<std::string>& recent = written[op.key];
  if (roll < 4) {
    op.type = OpType::kPut;
  } else if (roll < 8) {
    op.type = OpType::kGet;
    return op;
  } else {
    op.type = OpType::kCas;
    if (!recent.empty() && rng() % 5 != 0) {
      op.expected = recent[recent.size() - 1 - rng() % std::min<size_t>(recent.size(), 3)];
    }
  }
  recent.push_back(op.value);
  return op;
}

void execute(Operation& op, std::optional<std::string>& value) {
  switch (op.type) {
    case OpType::kPut:
      value = op.value;
      return;
    case OpType::kGet:
      if (op.outcome == Outcome::kOk) op.result = value;
      return;
    case OpType::kCas:
      const bool swapped = value == op.expected;
      if (swapped) value = op.value;
      if (op.outcome == Outcome::kOk) op.swapped = swapped;
      return;
  }
}

// Each client runs one operation at a time. Every operation that takes effect does so atomically
// at a random instant within its interval (a timed-out one, at any later instant), and results
// come from applying them in the order of those instants, so the history is linearizable by
// construction.
History simulate_register(const RegisterRun& run) {
  std::mt19937_64 rng(run.seed);
  struct Effect {
    size_t index;
    Time at;
  };
  History history;
  std::vector<Effect> effects;
  std::vector<Time> client_free(run.clients, 0);
  std::map<std::string, std::vector<std::string>> written;
  for (int i = 0; i < run.ops; ++i) {
    const auto next = std::min_element(client_free.begin(), client_free.end());
    Operation op = random_operation(rng, i, run.keys, written);
    op.client = static_cast<uint64_t>(next - client_free.begin()) + 1;
    op.invoke_time = *next + rng() % 20;
    const Time duration = 1 + rng() % 100;
    op.complete_time = op.invoke_time + duration;
    *next = op.complete_time + 1;
    op.outcome = Outcome::kOk;
    Time at = op.invoke_time + rng() % (duration + 1);
    const uint64_t roll = rng() % 100;
    if (roll < run.unknown_percent) {
      op.outcome = Outcome::kUnknown;
      op.complete_time = kNever;
      at = rng() % 2 == 0 ? kNever : op.invoke_time + rng() % 500;
    } else if (roll < run.unknown_percent + run.failed_percent) {
      op.outcome = Outcome::kFailed;
      at = kNever;
    }
    if (at != kNever) effects.push_back({history.size(), at});
    history.push_back(std::move(op));
  }
  std::stable_sort(effects.begin(), effects.end(),
                   [](const Effect& a, const Effect& b) { return a.at < b.at; });
  std::map<std::string, std::optional<std::string>> values;
  for (const Effect& effect : effects) {
    Operation& op = history[effect.index];
    execute(op, values[op.key]);
  }
  return history;
}

// Checks and reports the time taken, so a performance regression shows in the test log.
LinearizabilityResult timed_check(const std::string& label, const History& history,
                                  size_t max_steps = 1'000'000) {
  const auto start = std::chrono::steady_clock::now();
  LinearizabilityResult result = check_linearizable(history, max_steps);
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  std::cout << "[ timing   ] " << label << ": " << history.size() << " ops in "
            << elapsed.count() / 1000.0 << " ms\n";
  return result;
}

TEST(LinearizabilityTest, RandomRegisterHistoriesAreLinearizable) {
  const std::vector<RegisterRun> runs = {
      {.seed = 1},
      {.seed = 2},
      {.seed = 3, .unknown_percent = 10},
      {.seed = 4, .ops = 2000, .keys = 1},
      {.seed = 5, .ops = 2000, .keys = 1, .clients = 8, .unknown_percent = 8},
  };
  for (const RegisterRun& run : runs) {
    SCOPED_TRACE(run.seed);
    History history = simulate_register(run);
    LinearizabilityResult result = timed_check("seed " + std::to_string(run.seed), history);
    EXPECT_TRUE(result.linearizable) << result.explanation;
    EXPECT_FALSE(result.inconclusive) << result.explanation;
    // The order in which operations are recorded must not matter.
    std::shuffle(history.begin(), history.end(), std::mt19937_64(run.seed));
    result = check_linearizable(history);
    EXPECT_TRUE(result.linearizable && !result.inconclusive) << result.explanation;
  }
}

// The first completed get in the second half of the history.
size_t middle_read(const History& history) {
  for (size_t i = history.size() / 2; i < history.size(); ++i) {
    const Operation& op = history[i];
    if (op.type == OpType::kGet && op.outcome == Outcome::kOk) return i;
  }
  return history.size();
}

// A completed get in the second half that began after some completed put `later` finished, which
// itself began after another completed put `earlier` on the key finished: whatever else happened,
// `earlier`'s (unique) value was overwritten before the get. Returns that value and the get.
std::optional<std::pair<size_t, std::string>> find_stale_value(const History& history) {
  const auto completed_put = [](const Operation& op, const std::string& key) {
    return op.type == OpType::kPut && op.outcome == Outcome::kOk && op.key == key;
  };
  for (size_t g = middle_read(history); g < history.size(); ++g) {
    const Operation& read = history[g];
    if (read.type != OpType::kGet || read.outcome != Outcome::kOk) continue;
    for (const Operation& later : history) {
      if (!completed_put(later, read.key) || later.complete_time >= read.invoke_time) continue;
      for (const Operation& earlier : history) {
        if (completed_put(earlier, read.key) && earlier.complete_time < later.invoke_time) {
          return std::pair{g, earlier.value};
        }
      }
    }
  }
  return nullopt;
}

TEST(LinearizabilityTest, CorruptedReadInRandomHistoryIsCaught) {
  for (const RegisterRun& run :
       {RegisterRun{.seed = 11}, RegisterRun{.seed = 12, .ops = 2000, .keys = 1}}) {
    SCOPED_TRACE(run.seed);
    const History original = simulate_register(run);

    History never_written = original;
    const size_t read = middle_read(never_written);
    ASSERT_LT(read, never_written.size());
    never_written[read].result = "never-written";
    LinearizabilityResult result = timed_check("never-written read", never_written);
    EXPECT_FALSE(result.linearizable);
    EXPECT_FALSE(result.inconclusive);
    EXPECT_EQ(result.key, never_written[read].key);
    EXPECT_TRUE(mentions(result.explanation, never_written[read].key));

    History stale = original;
    const std::optional<std::pair<size_t, std::string>> found = find_stale_value(stale);
    ASSERT_TRUE(found.has_value());
    stale[found->first].result = found->second;
    result = timed_check("stale read", stale);
    EXPECT_FALSE(result.linearizable);
    EXPECT_FALSE(result.inconclusive);
    EXPECT_EQ(result.key, stale[found->first].key);
    EXPECT_TRUE(mentions(result.explanation, stale[found->first].key));
    EXPECT_TRUE(mentions(result.explanation, describe(stale[found->first]))) << result.explanation;
  }
}

TEST(LinearizabilityTest, TinyStepBudgetIsInconclusive) {
  const History history = simulate_register({.seed = 21, .ops = 500});
  const LinearizabilityResult result = check_linearizable(history, 10);
  EXPECT_TRUE(result.linearizable);
  EXPECT_TRUE(result.inconclusive);
  EXPECT_FALSE(result.explanation.empty());
  // With the default budget the same history is decided.
  EXPECT_FALSE(check_linearizable(history).inconclusive);
}

// --- Cross-check against the definition on tiny histories.

bool apply_sequentially(const Operation& op, std::optional<std::string>& value) {
  switch (op.type) {
    case OpType::kPut:
      value = op.value;
      return true;
    case OpType::kGet:
      return op.result == value;
    case OpType::kCas:
      const bool matches = value == op.expected;
      if (op.outcome == Outcome::kOk && matches != op.swapped) return false;
      if (matches) value = op.value;
      return true;
  }
  return false;
}

// Tries every order of the completed operations, with every subset of the timed-out ones, that
// real time allows. Exponential, and recursive: for a handful of operations only.
bool brute_force_linearizable(const History& ops, std::vector<bool>& used,
                              const std::optional<std::string>& value) {
  bool done = true;
  for (size_t i = 0; i < ops.size(); ++i)
    done = done && (used[i] || ops[i].outcome != Outcome::kOk);
  if (done) return true;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (used[i]) continue;
    bool invocable = true;
    for (size_t j = 0; j < ops.size(); ++j) {
      invocable = invocable && (used[j] || ops[j].complete_time >= ops[i].invoke_time);
    }
    std::optional<std::string> next = value;
    if (!invocable || !apply_sequentially(ops[i], next)) continue;
    used[i] = true;
    if (brute_force_linearizable(ops, used, next)) return true;
    used[i] = false;
  }
  return false;
}

History random_tiny_history(std::mt19937_64& rng) {
  const std::vector<std::optional<std::string>> values = {nullopt, "a", "b"};
  const auto some_value = [&] { return values[rng() % values.size()]; };
  History history;
  const size_t count = 1 + rng() % 7;
  for (size_t i = 0; i < count; ++i) {
    const Time invoke = rng() % 30;
    const Time complete = invoke + rng() % 15;
    const std::string value = rng() % 2 == 0 ? "a" : "b";
    switch (rng() % 3) {
      case 0:
        history.push_back(put(i + 1, value, invoke, complete));
        break;
      case 1:
        history.push_back(get(i + 1, some_value(), invoke, complete));
        break;
      default:
        history.push_back(cas(i + 1, some_value(), value, rng() % 2 == 0, invoke, complete));
    }
    const uint64_t roll = rng() % 100;
    if (roll < 15) history.back() = timed_out(history.back());
    if (roll >= 15 && roll < 25) history.back() = failed(history.back());
  }
  return history;
}

TEST(LinearizabilityTest, AgreesWithBruteForceOnTinyHistories) {
  std::mt19937_64 rng(7);
  int linearizable = 0;
  int violations = 0;
  for (int round = 0; round < 5000; ++round) {
    const History history = random_tiny_history(rng);
    History relevant;
    for (const Operation& op : history) {
      const bool dropped =
          op.outcome == Outcome::kFailed || (op.type == OpType::kGet && op.outcome != Outcome::kOk);
      if (!dropped) relevant.push_back(op);
    }
    std::vector<bool> used(relevant.size(), false);
    const bool want = brute_force_linearizable(relevant, used, nullopt);
    const LinearizabilityResult result = check_linearizable(history);
    ASSERT_EQ(result.linearizable, want) << "round " << round << "\n"
                                         << [&] {
                                              std::string text;
                                              for (const Operation& op : history)
                                                text += describe(op) + "\n";
                                              return text + result.explanation;
                                            }();
    ASSERT_FALSE(result.inconclusive);
    (want ? linearizable : violations) += 1;
  }
  // Both verdicts must be well represented, or the comparison proves little.
  EXPECT_GT(linearizable, 500);
  EXPECT_GT(violations, 500);
}

}  // namespace
}  // namespace regent::sim
