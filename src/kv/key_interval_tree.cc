#include "kv/key_interval_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "common/assert.h"

namespace regent::kv {

namespace {

using End = std::optional<std::string>;

// Ends compare with "no end" after every key.
bool end_before(const End& a, const End& b) {
  if (!a) return false;
  if (!b) return true;
  return *a < *b;
}

// Whether an interval ending at `end` still holds keys after `key`.
bool ends_after(const End& end, std::string_view key) { return !end || key < *end; }

std::string describe(const KeyInterval& interval) {
  if (!interval.end) return fmt::format("[{:?}, no end)", interval.begin);
  return fmt::format("[{:?}, {:?})", interval.begin, *interval.end);
}

}  // namespace

bool interval_less(const KeyInterval& a, const KeyInterval& b) {
  if (a.begin != b.begin) return a.begin < b.begin;
  return end_before(a.end, b.end);
}

struct KeyIntervalTree::Node {
  explicit Node(const KeyInterval& interval, Id id) : entry{interval, {id}} {}

  Entry entry;
  int height = 1;
  const Node* max_end = this;  // Invariant 3.
  Link left;
  Link right;
};

KeyIntervalTree::KeyIntervalTree() = default;
KeyIntervalTree::~KeyIntervalTree() = default;
KeyIntervalTree::KeyIntervalTree(KeyIntervalTree&&) noexcept = default;
KeyIntervalTree& KeyIntervalTree::operator=(KeyIntervalTree&&) noexcept = default;

bool KeyIntervalTree::insert(const KeyInterval& interval, Id id) {
  REGENT_ASSERT(!interval.empty(), "empty key interval [{}, {})", interval.begin,
                interval.end.value_or("<no end>"));
  Change change;
  root_ = insert_at(std::move(root_), interval, id, change);
  if (change.node) ++intervals_;
  if (change.id) ++ids_;
  return change.id;
}

bool KeyIntervalTree::erase(const KeyInterval& interval, Id id) {
  Change change;
  root_ = erase_at(std::move(root_), interval, id, change);
  if (change.node) --intervals_;
  if (change.id) --ids_;
  return change.id;
}

void KeyIntervalTree::stab(std::string_view key, std::vector<const Entry*>& out) const {
  stab_at(root_.get(), key, out);
}

KeyIntervalTree::Link KeyIntervalTree::insert_at(Link n, const KeyInterval& interval, Id id,
                                                 Change& change) {
  if (!n) {
    change = {.node = true, .id = true};
    return std::make_unique<Node>(interval, id);
  }
  if (interval_less(interval, n->entry.interval)) {
    n->left = insert_at(std::move(n->left), interval, id, change);
  } else if (interval_less(n->entry.interval, interval)) {
    n->right = insert_at(std::move(n->right), interval, id, change);
  } else {
    change.id = n->entry.ids.insert(id).second;
    return n;  // The shape did not change.
  }
  return rebalance(std::move(n));
}

KeyIntervalTree::Link KeyIntervalTree::erase_at(Link n, const KeyInterval& interval, Id id,
                                                Change& change) {
  if (!n) return n;
  if (interval_less(interval, n->entry.interval)) {
    n->left = erase_at(std::move(n->left), interval, id, change);
  } else if (interval_less(n->entry.interval, interval)) {
    n->right = erase_at(std::move(n->right), interval, id, change);
  } else {
    change.id = n->entry.ids.erase(id) > 0;
    if (!n->entry.ids.empty()) return n;  // Invariant 4: only an interval without ids goes.
    change.node = true;
    if (!n->left) return std::move(n->right);
    if (!n->right) return std::move(n->left);
    // Its in-order successor takes its place: nodes are relinked, never moved, so every
    // max_end pointer outside the paths rebalanced below stays valid.
    Link successor;
    Link rest = unlink_min(std::move(n->right), successor);
    successor->left = std::move(n->left);
    successor->right = std::move(rest);
    return rebalance(std::move(successor));
  }
  return rebalance(std::move(n));
}

KeyIntervalTree::Link KeyIntervalTree::unlink_min(Link n, Link& min) {
  if (!n->left) {
    Link right = std::move(n->right);
    min = std::move(n);
    return right;
  }
  n->left = unlink_min(std::move(n->left), min);
  return rebalance(std::move(n));
}

KeyIntervalTree::Link KeyIntervalTree::rebalance(Link n) {
  update(*n);
  const int balance = height(n->left) - height(n->right);
  if (balance > 1) return lift(std::move(n), &Node::left, &Node::right);
  if (balance < -1) return lift(std::move(n), &Node::right, &Node::left);
  return n;
}

// The heavy child's heavy side must be the taller for one rotation to restore balance; if its
// other side is, a rotation of the child first makes it so.
KeyIntervalTree::Link KeyIntervalTree::lift(Link n, Side heavy, Side light) {
  Link& child = (*n).*heavy;
  if (height((*child).*heavy) < height((*child).*light)) {
    child = rotate(std::move(child), light, heavy);
  }
  return rotate(std::move(n), heavy, light);
}

// The child on side `up` rises into n's place and n sinks to its `down` side. n is updated
// before the riser, whose max end takes in n's (invariant 3).
KeyIntervalTree::Link KeyIntervalTree::rotate(Link n, Side up, Side down) {
  Link riser = std::move((*n).*up);
  (*n).*up = std::move((*riser).*down);
  update(*n);
  (*riser).*down = std::move(n);
  update(*riser);
  return riser;
}

void KeyIntervalTree::update(Node& n) {
  n.height = 1 + std::max(height(n.left), height(n.right));
  n.max_end = &n;
  for (const Link* child : {&n.left, &n.right}) {
    if (*child && end_before(n.max_end->entry.interval.end, (*child)->max_end->entry.interval.end))
      n.max_end = (*child)->max_end;
  }
}

void KeyIntervalTree::stab_at(const Node* n, std::string_view key, std::vector<const Entry*>& out) {
  // No interval of this subtree reaches past the key.
  if (!n || !ends_after(n->max_end->entry.interval.end, key)) return;
  stab_at(n->left.get(), key, out);
  // This interval and every one to its right begin after the key.
  if (key < n->entry.interval.begin) return;
  if (n->entry.interval.contains(key)) out.push_back(&n->entry);
  stab_at(n->right.get(), key, out);
}

int KeyIntervalTree::height(const Link& n) { return n ? n->height : 0; }

// --- Invariants (a whole-tree walk: tests run it after every change, nothing else does) -------

std::string KeyIntervalTree::find_problem() const {
  int root_height = 0;
  size_t intervals = 0;
  size_t ids = 0;
  std::string problem = check_at(root_.get(), nullptr, nullptr, root_height, intervals, ids);
  if (!problem.empty()) return problem;
  if (intervals != intervals_ || ids != ids_) {
    return fmt::format("counts: {} intervals and {} ids held, {} and {} counted", intervals, ids,
                       intervals_, ids_);
  }
  return "";
}

std::string KeyIntervalTree::check_at(const Node* n, const KeyInterval* low,
                                      const KeyInterval* high, int& height, size_t& intervals,
                                      size_t& ids) {
  height = 0;
  if (!n) return "";
  const KeyInterval& interval = n->entry.interval;
  if ((low && !interval_less(*low, interval)) || (high && !interval_less(interval, *high))) {
    return fmt::format("order (1): {} is out of place", describe(interval));
  }
  if (interval.empty() || n->entry.ids.empty()) {
    return fmt::format("entries (4): {} is empty or has no ids", describe(interval));
  }
  int left_height = 0;
  int right_height = 0;
  std::string problem = check_at(n->left.get(), low, &interval, left_height, intervals, ids);
  if (problem.empty()) {
    problem = check_at(n->right.get(), &interval, high, right_height, intervals, ids);
  }
  if (!problem.empty()) return problem;
  if (n->height != 1 + std::max(left_height, right_height) ||
      std::abs(left_height - right_height) > 1) {
    return fmt::format("balance (2): {} has height {}, its children {} and {}", describe(interval),
                       n->height, left_height, right_height);
  }
  // The children's max_end are right (checked below them), so the subtree's greatest end is the
  // greatest of the three, and max_end must be one of them holding it.
  const Node* greatest = n;
  for (const Node* child : {n->left.get(), n->right.get()}) {
    if (child && end_before(greatest->entry.interval.end, child->max_end->entry.interval.end))
      greatest = child->max_end;
  }
  const bool in_subtree = n->max_end == n || (n->left && n->max_end == n->left->max_end) ||
                          (n->right && n->max_end == n->right->max_end);
  if (!in_subtree || n->max_end->entry.interval.end != greatest->entry.interval.end) {
    return fmt::format("max end (3): {} names {}, the greatest end below is {}'s",
                       describe(interval), describe(n->max_end->entry.interval),
                       describe(greatest->entry.interval));
  }
  height = n->height;
  ++intervals;
  ids += n->entry.ids.size();
  return "";
}

}  // namespace regent::kv
