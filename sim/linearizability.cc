// The search, per key (one register):
//
// A node is (linearized completed ops, consumed unknown ops, register value). From a node, an
// operation may be linearized next iff no remaining completed operation finished strictly before
// it was invoked; those are the ops invoked no later than the earliest remaining completion (the
// "horizon"), a window about as wide as the number of concurrent clients. The search is a
// depth-first walk over an explicit stack of frames and succeeds once every completed op is
// linearized; timed-out (kUnknown) writes never block anything and are applied only if useful.
//
// Values that no get returns and no cas expects are all interned as one value (kUnread): the
// register is only ever compared with those, so the merge changes no verdict, yet it makes the
// many timed-out writes whose value nobody saw interchangeable, which the pruning below exploits.
//
// Pruning. If any linearization exists, one exists in a canonical form, and only canonical orders
// are walked:
// - An unknown op that would not change the value is never applied (deleting it from an order
//   leaves a valid one).
// - No put directly follows an unknown op: the put erases its effect, so deleting the unknown op
//   leaves a valid order. Without this rule chains of unknown puts are tried in every subset.
// - No op that leaves the value alone (a get, a cas that did not swap) directly follows an
//   unknown op if it could have gone before it: swapping the two leaves a valid order with the
//   unknown op later. So an unknown op is applied only right before an op that needs its effect,
//   and not at all if no op could follow it.
// - Of several invocable unknown ops with the same effect only the first is tried: both stay
//   invocable from here on, so they are interchangeable.
// Each rewrite shortens an order or moves an unknown op later, so rewriting ends in canonical form.
// Lowe's memo, strengthened to subsumption, cuts the rest: a node is dropped if one with the same
// completed set, value and last step (the middle rules look at it), but a subset of its consumed
// unknown ops, was entered before; unknown ops never stop being invocable, so fewer consumed can
// only help. Completed ops are tried before unknown ones, so the node with fewer is usually first.
#include "sim/linearizability.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/assert.h"

namespace regent::sim {
namespace {

using ValueId = uint32_t;
inline constexpr ValueId kAbsent = 0;
inline constexpr ValueId kUnread = 1;  // Stands for every value that no operation compares with.

// Candidates name completed ops by index and unknown ops by index with this bit set.
inline constexpr uint32_t kUnknownBit = uint32_t{1} << 31;
inline constexpr uint32_t kNoCandidate = UINT32_MAX;

// Lines of context in a violation report; more would bury the few that matter.
inline constexpr size_t kRecentOpsShown = 8;
inline constexpr size_t kStuckOpsShown = 16;

// An operation with its values interned, so that register values compare as integers.
struct KeyOp {
  const Operation* op = nullptr;
  ValueId value = kAbsent;     // kPut, kCas: the value written.
  ValueId expected = kAbsent;  // kCas.
  ValueId result = kAbsent;    // kGet.
  bool completed = false;      // kOk; otherwise kUnknown.
};

bool same_effect(const KeyOp& a, const KeyOp& b) {
  return a.op->type == b.op->type && a.value == b.value && a.expected == b.expected;
}

// The value after linearizing `op` on `state`, or nullopt if `op` cannot be linearized there
// (a completed op whose recorded result disagrees) or need not be (an unknown op with no effect).
std::optional<ValueId> apply(const KeyOp& op, ValueId state) {
  switch (op.op->type) {
    case OpType::kPut:
      if (!op.completed && op.value == state) return std::nullopt;
      return op.value;
    case OpType::kGet:
      if (op.result != state) return std::nullopt;
      return state;
    case OpType::kCas: {
      const bool matches = state == op.expected;
      if (op.completed) {
        if (matches != op.op->swapped) return std::nullopt;
        return matches ? op.value : state;
      }
      if (!matches || op.value == state) return std::nullopt;
      return op.value;
    }
  }
  return std::nullopt;
}

class Bits {
 public:
  explicit Bits(size_t size) : words_((size + 63) / 64, 0) {}
  bool test(size_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }
  void set(size_t i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
  void clear(size_t i) { words_[i / 64] &= ~(uint64_t{1} << (i % 64)); }
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  std::vector<uint64_t> words_;
};

bool is_subset(const std::vector<uint64_t>& small, const std::vector<uint64_t>& big) {
  for (size_t i = 0; i < small.size(); ++i) {
    if ((small[i] & ~big[i]) != 0) return false;
  }
  return true;
}

struct Frame {
  ValueId state = kAbsent;
  uint32_t completed_lo = 0;  // completed_[0, completed_lo) are all linearized.
  uint32_t finish_lo = 0;     // by_complete_[0, finish_lo) are all linearized.
  uint32_t candidates_begin = 0;
  uint32_t candidates_end = 0;
  uint32_t next = 0;
  uint32_t chosen = kNoCandidate;  // Linearized on the way to the frame above; undone on return.
  // Set if the frame was reached by an unknown op: the value before it.
  std::optional<ValueId> before_unknown;
};

// Where the search got furthest: what a person needs to see the violation.
struct Deepest {
  size_t linearized = 0;
  ValueId state = kAbsent;
  std::vector<const Operation*> recent;   // Last ops linearized, oldest first.
  std::vector<const Operation*> stuck;    // Completed ops that were invocable next.
  std::vector<const Operation*> unknown;  // Timed-out ops that could still have taken effect.
};

class KeySearch {
 public:
  KeySearch(std::string key, const std::vector<const Operation*>& ops, size_t max_steps);
  LinearizabilityResult run();

 private:
  void collect_read_values(const std::vector<const Operation*>& ops);
  ValueId intern(const std::optional<std::string>& value);
  KeyOp prepare(const Operation* op);
  const KeyOp& op_of(uint32_t candidate) const;
  Time invoke_of(uint32_t completed_index) const {
    return completed_[completed_index].op->invoke_time;
  }
  void mark(uint32_t candidate);
  void unmark(uint32_t candidate);
  bool try_step(Frame& frame);
  bool push_frame(ValueId state, uint32_t completed_lo, uint32_t finish_lo,
                  std::optional<ValueId> before_unknown);
  bool allowed(const Frame& frame, const KeyOp& op) const;
  bool remember(ValueId state, std::optional<ValueId> before_unknown, uint32_t completed_lo,
                Time horizon);
  void add_candidates(Frame& frame, Time horizon);
  bool enables(const Frame& frame, ValueId after_unknown, Time horizon) const;
  void note_depth(Time horizon);
  LinearizabilityResult violation() const;
  LinearizabilityResult inconclusive() const;

  std::string key_;
  size_t max_steps_;
  size_t steps_ = 0;
  std::vector<std::string> value_labels_ = {"<absent>", "<a value that nobody read>"};  // By id.
  std::unordered_map<std::string, ValueId> value_ids_;  // Only values that some op reads.
  std::vector<KeyOp> completed_;                        // Sorted by invocation.
  std::vector<KeyOp> unknown_;                          // Sorted by invocation.
  std::vector<uint32_t> by_complete_;  // Indexes into completed_, sorted by completion.
  // Unknown cas ops (indexes into unknown_) by the value they expect.
  std::unordered_map<ValueId, std::vector<uint32_t>> unknown_cas_by_expected_;
  Bits linearized_bits_;
  Bits consumed_bits_;
  size_t linearized_ = 0;
  std::vector<Frame> frames_;
  std::vector<uint32_t> candidates_;  // Every frame's candidates, stacked like the frames.
  std::unordered_map<std::string, std::vector<std::vector<uint64_t>>> memo_;
  std::string memo_key_;  // Scratch, kept to reuse its buffer.
  std::optional<Deepest> deepest_;
};

KeySearch::KeySearch(std::string key, const std::vector<const Operation*>& ops, size_t max_steps)
    : key_(std::move(key)), max_steps_(max_steps), linearized_bits_(0), consumed_bits_(0) {
  collect_read_values(ops);
  for (const Operation* op : ops) {
    (op->outcome == Outcome::kOk ? completed_ : unknown_).push_back(prepare(op));
  }
  const auto by_invoke = [](const KeyOp& a, const KeyOp& b) {
    return a.op->invoke_time < b.op->invoke_time;
  };
  std::stable_sort(completed_.begin(), completed_.end(), by_invoke);
  std::stable_sort(unknown_.begin(), unknown_.end(), by_invoke);
  for (uint32_t i = 0; i < completed_.size(); ++i) by_complete_.push_back(i);
  std::stable_sort(by_complete_.begin(), by_complete_.end(), [this](uint32_t a, uint32_t b) {
    return completed_[a].op->complete_time < completed_[b].op->complete_time;
  });
  linearized_bits_ = Bits(completed_.size());
  consumed_bits_ = Bits(unknown_.size());
  for (uint32_t i = 0; i < unknown_.size(); ++i) {
    if (unknown_[i].op->type == OpType::kCas) {
      unknown_cas_by_expected_[unknown_[i].expected].push_back(i);
    }
  }
}

void KeySearch::collect_read_values(const std::vector<const Operation*>& ops) {
  const auto add = [this](const std::optional<std::string>& value) {
    if (!value) return;
    const auto [it, inserted] =
        value_ids_.try_emplace(*value, static_cast<ValueId>(value_labels_.size()));
    if (inserted) value_labels_.push_back(fmt::format("\"{}\"", *value));
  };
  for (const Operation* op : ops) {
    if (op->type == OpType::kGet) add(op->result);
    if (op->type == OpType::kCas) add(op->expected);
  }
}

ValueId KeySearch::intern(const std::optional<std::string>& value) {
  if (!value) return kAbsent;
  const auto it = value_ids_.find(*value);
  return it == value_ids_.end() ? kUnread : it->second;
}

KeyOp KeySearch::prepare(const Operation* op) {
  KeyOp prepared{.op = op, .completed = op->outcome == Outcome::kOk};
  if (op->type != OpType::kGet) prepared.value = intern(op->value);
  if (op->type == OpType::kCas) prepared.expected = intern(op->expected);
  if (op->type == OpType::kGet) prepared.result = intern(op->result);
  return prepared;
}

const KeyOp& KeySearch::op_of(uint32_t candidate) const {
  if (candidate & kUnknownBit) return unknown_[candidate & ~kUnknownBit];
  return completed_[candidate];
}

void KeySearch::mark(uint32_t candidate) {
  if (candidate & kUnknownBit) {
    consumed_bits_.set(candidate & ~kUnknownBit);
    return;
  }
  REGENT_ASSERT(!linearized_bits_.test(candidate));
  linearized_bits_.set(candidate);
  ++linearized_;
}

void KeySearch::unmark(uint32_t candidate) {
  if (candidate & kUnknownBit) {
    consumed_bits_.clear(candidate & ~kUnknownBit);
    return;
  }
  REGENT_ASSERT(linearized_bits_.test(candidate) && linearized_ > 0);
  linearized_bits_.clear(candidate);
  --linearized_;
}

// Every iteration either spends a step or pops a frame, and frames are pushed only by steps, so
// the loop runs at most 2 * max_steps_ times.
LinearizabilityResult KeySearch::run() {
  if (completed_.empty()) return {};
  push_frame(kAbsent, 0, 0, std::nullopt);
  while (!frames_.empty()) {
    Frame& frame = frames_.back();
    if (frame.chosen != kNoCandidate) {
      unmark(frame.chosen);
      frame.chosen = kNoCandidate;
    }
    if (frame.next == frame.candidates_end) {
      candidates_.resize(frame.candidates_begin);
      frames_.pop_back();
      continue;
    }
    if (steps_ == max_steps_) return inconclusive();
    ++steps_;
    if (try_step(frame)) return {};
  }
  return violation();
}

// Linearizes the frame's next candidate and descends; true if that completes the history.
bool KeySearch::try_step(Frame& frame) {
  const uint32_t candidate = candidates_[frame.next++];
  const std::optional<ValueId> state = apply(op_of(candidate), frame.state);
  REGENT_ASSERT(state.has_value());  // Candidates are filtered by apply() when listed.
  mark(candidate);
  if (linearized_ == completed_.size()) return true;
  frame.chosen = candidate;
  // push_frame may reallocate frames_; everything it needs from `frame` is passed by value.
  const uint32_t completed_lo = frame.completed_lo;
  const uint32_t finish_lo = frame.finish_lo;
  const std::optional<ValueId> before_unknown =
      (candidate & kUnknownBit) ? std::optional(frame.state) : std::nullopt;
  if (!push_frame(*state, completed_lo, finish_lo, before_unknown)) {
    unmark(candidate);
    frames_.back().chosen = kNoCandidate;
  }
  return false;
}

// Pushes the frame for the current node unless the memo subsumes it; false if it does.
bool KeySearch::push_frame(ValueId state, uint32_t completed_lo, uint32_t finish_lo,
                           std::optional<ValueId> before_unknown) {
  while (completed_lo < completed_.size() && linearized_bits_.test(completed_lo)) ++completed_lo;
  while (finish_lo < by_complete_.size() && linearized_bits_.test(by_complete_[finish_lo])) {
    ++finish_lo;
  }
  REGENT_ASSERT(finish_lo < by_complete_.size());  // Callers stop once everything is linearized.
  const Time horizon = completed_[by_complete_[finish_lo]].op->complete_time;
  if (!remember(state, before_unknown, completed_lo, horizon)) return false;
  Frame frame{.state = state,
              .completed_lo = completed_lo,
              .finish_lo = finish_lo,
              .before_unknown = before_unknown};
  add_candidates(frame, horizon);
  frames_.push_back(frame);
  note_depth(horizon);
  return true;
}

// Records the node in the memo; false if it is subsumed by one recorded before. Linearized
// completed ops beyond completed_lo were invoked before the horizon (each was invocable when
// linearized, and the horizon only grows), so the window scan below names all of them.
bool KeySearch::remember(ValueId state, std::optional<ValueId> before_unknown,
                         uint32_t completed_lo, Time horizon) {
  const auto append = [this](uint32_t word) {
    char bytes[sizeof word];
    std::memcpy(bytes, &word, sizeof word);
    memo_key_.append(bytes, sizeof word);
  };
  memo_key_.clear();
  append(state);
  append(before_unknown ? *before_unknown + 1 : 0);
  append(completed_lo);
  for (uint32_t i = completed_lo; i < completed_.size() && invoke_of(i) <= horizon; ++i) {
    if (linearized_bits_.test(i)) append(i);
  }
  std::vector<std::vector<uint64_t>>& seen = memo_[memo_key_];
  for (const std::vector<uint64_t>& consumed : seen) {
    if (is_subset(consumed, consumed_bits_.words())) return false;
  }
  seen.push_back(consumed_bits_.words());
  return true;
}

// Whether `op` may be linearized next from `frame` (see the rules at the top of the file).
bool KeySearch::allowed(const Frame& frame, const KeyOp& op) const {
  const std::optional<ValueId> after = apply(op, frame.state);
  if (!after) return false;
  if (!frame.before_unknown) return true;
  if (op.op->type == OpType::kPut) return false;
  return *after != frame.state || !apply(op, *frame.before_unknown);
}

void KeySearch::add_candidates(Frame& frame, Time horizon) {
  frame.candidates_begin = static_cast<uint32_t>(candidates_.size());
  for (uint32_t i = frame.completed_lo; i < completed_.size() && invoke_of(i) <= horizon; ++i) {
    if (!linearized_bits_.test(i) && allowed(frame, completed_[i])) candidates_.push_back(i);
  }
  const size_t unknown_begin = candidates_.size();
  for (uint32_t i = 0; i < unknown_.size() && unknown_[i].op->invoke_time <= horizon; ++i) {
    if (consumed_bits_.test(i) || !allowed(frame, unknown_[i])) continue;
    if (!enables(frame, *apply(unknown_[i], frame.state), horizon)) continue;
    const bool duplicate =
        std::any_of(candidates_.begin() + unknown_begin, candidates_.end(),
                    [&](uint32_t other) { return same_effect(op_of(other), unknown_[i]); });
    if (!duplicate) candidates_.push_back(i | kUnknownBit);
  }
  frame.candidates_end = static_cast<uint32_t>(candidates_.size());
  frame.next = frame.candidates_begin;
}

// Whether, after an unknown op takes `frame` to `after_unknown`, any op may follow. Unknown ops
// do not move the horizon, so the frame's window still applies.
bool KeySearch::enables(const Frame& frame, ValueId after_unknown, Time horizon) const {
  const Frame next{
      .state = after_unknown, .completed_lo = frame.completed_lo, .before_unknown = frame.state};
  for (uint32_t i = frame.completed_lo; i < completed_.size() && invoke_of(i) <= horizon; ++i) {
    if (!linearized_bits_.test(i) && allowed(next, completed_[i])) return true;
  }
  // Only a cas expecting the new value can follow among unknown ops: an unknown put may not.
  const auto it = unknown_cas_by_expected_.find(after_unknown);
  if (it == unknown_cas_by_expected_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](uint32_t i) {
    return unknown_[i].op->invoke_time <= horizon && !consumed_bits_.test(i) &&
           allowed(next, unknown_[i]);
  });
}

// Called with the new frame on top; keeps the first node reached with the most completed ops.
void KeySearch::note_depth(Time horizon) {
  if (deepest_ && linearized_ <= deepest_->linearized) return;
  Deepest deepest{.linearized = linearized_, .state = frames_.back().state};
  for (size_t i = frames_.size() - 1; i > 0 && deepest.recent.size() < kRecentOpsShown; --i) {
    deepest.recent.push_back(op_of(frames_[i - 1].chosen).op);
  }
  std::reverse(deepest.recent.begin(), deepest.recent.end());
  for (uint32_t i = frames_.back().completed_lo;
       i < completed_.size() && invoke_of(i) <= horizon && deepest.stuck.size() < kStuckOpsShown;
       ++i) {
    if (!linearized_bits_.test(i)) deepest.stuck.push_back(completed_[i].op);
  }
  for (uint32_t i = 0; i < unknown_.size() && unknown_[i].op->invoke_time <= horizon; ++i) {
    if (!consumed_bits_.test(i)) deepest.unknown.push_back(unknown_[i].op);
  }
  // The latest are the likeliest to matter; old ones that never took effect pile up.
  const size_t excess = deepest.unknown.size() - std::min(deepest.unknown.size(), kStuckOpsShown);
  deepest.unknown.erase(deepest.unknown.begin(), deepest.unknown.begin() + excess);
  deepest_ = std::move(deepest);
}

void append_ops(std::string& out, const std::vector<const Operation*>& ops) {
  for (const Operation* op : ops) out += fmt::format("\n  {}", describe(*op));
}

LinearizabilityResult KeySearch::violation() const {
  REGENT_ASSERT(deepest_.has_value());
  const Deepest& deepest = *deepest_;
  const std::string& value = value_labels_[deepest.state];
  std::string text = fmt::format(
      "key \"{}\" is not linearizable: no order of its operations explains what clients saw. "
      "The search got furthest with {} of {} completed operations linearized, leaving the value "
      "{}.",
      key_, deepest.linearized, completed_.size(), value);
  if (!deepest.recent.empty()) {
    text += "\nLast operations linearized on that path (oldest first):";
    append_ops(text, deepest.recent);
  }
  text +=
      "\nCompleted operations that could come next in real time, none leading to a valid order:";
  append_ops(text, deepest.stuck);
  if (!deepest.unknown.empty()) {
    text += "\nTimed-out operations that could still have taken effect:";
    append_ops(text, deepest.unknown);
  }
  return {.linearizable = false, .key = key_, .explanation = std::move(text)};
}

LinearizabilityResult KeySearch::inconclusive() const {
  return {.linearizable = true,
          .key = key_,
          .explanation = fmt::format(
              "key \"{}\": search gave up after {} steps ({} of {} completed operations were "
              "linearized at best); not disproven",
              key_, steps_, deepest_ ? deepest_->linearized : 0, completed_.size()),
          .inconclusive = true};
}

// A completed operation must have finished, and not before it started; anything else is a bug in
// whoever recorded the history, reported rather than checked.
std::optional<LinearizabilityResult> find_malformed(const History& history) {
  for (const Operation& op : history) {
    if (op.outcome != Outcome::kOk) continue;
    if (op.complete_time != kNever && op.complete_time >= op.invoke_time) continue;
    return LinearizabilityResult{
        .linearizable = false,
        .key = op.key,
        .explanation = fmt::format("malformed history (completed operation without a valid "
                                   "completion time): {}",
                                   describe(op))};
  }
  return std::nullopt;
}

// Failed operations never took effect, and reads that did not complete tell us nothing.
bool is_relevant(const Operation& op) {
  if (op.outcome == Outcome::kFailed) return false;
  return op.type != OpType::kGet || op.outcome == Outcome::kOk;
}

}  // namespace

LinearizabilityResult check_linearizable(const History& history, size_t max_steps_per_key) {
  if (std::optional<LinearizabilityResult> malformed = find_malformed(history)) {
    return *malformed;
  }
  // An ordered map, so that the first violation reported does not depend on hashing.
  std::map<std::string, std::vector<const Operation*>> by_key;
  for (const Operation& op : history) {
    if (is_relevant(op)) by_key[op.key].push_back(&op);
  }
  LinearizabilityResult overall;
  for (const auto& [key, ops] : by_key) {
    LinearizabilityResult result = KeySearch(key, ops, max_steps_per_key).run();
    if (!result.linearizable) return result;
    // Keep checking: a definite violation on a later key matters more than an undecided one.
    if (result.inconclusive && !overall.inconclusive) overall = std::move(result);
  }
  return overall;
}

}  // namespace regent::sim
