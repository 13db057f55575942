// Key intervals [begin, end) -- end unbounded for etcd's "every key from `begin`" -- each with
// the ids registered on it, kept so that the intervals holding one key are found without looking
// at the others: an AVL tree ordered by interval, each node knowing the greatest end in its
// subtree (an augmented tree, as etcd's adt.IntervalTree). The watcher group keeps its range
// watchers here.
//
// Invariants (find_problem() checks them all):
//  1. Order: an in-order walk gives strictly increasing intervals, by begin, then by end
//     (unbounded last). So one interval is one node, however many ids share it.
//  2. Balance: a node's height is 1 + the greater of its children's (an absent child is 0), and
//     the two differ by at most 1; so the height stays under 1.45 log2(n + 2).
//  3. Max end: a node's max_end is a node of its subtree whose end is the greatest there.
//  4. Every interval is non-empty (begin < end) and has at least one id.
//
// Cost. insert and erase: O(log n) node visits. stab(key) skips a subtree whose max end is at
// or before the key, and the right side of a node that begins after it; what it visits is the
// path along the key's position plus the paths down to the m intervals holding the key:
// O(log n + m log(n/m)), never a subtree with no interval holding the key off those paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace regent::kv {

struct KeyInterval {
  std::string begin;
  std::optional<std::string> end;  // Exclusive; nullopt: no end, every key from `begin`.

  bool contains(std::string_view key) const { return begin <= key && (!end || key < *end); }
  bool empty() const { return end && *end <= begin; }
  bool operator==(const KeyInterval&) const = default;
};

// Interval order: by begin, then by end, an unbounded end last.
bool interval_less(const KeyInterval& a, const KeyInterval& b);

class KeyIntervalTree {
 public:
  using Id = uint64_t;
  using IdSet = std::set<Id>;
  struct Entry {
    KeyInterval interval;
    IdSet ids;
  };

  KeyIntervalTree();
  ~KeyIntervalTree();
  KeyIntervalTree(KeyIntervalTree&&) noexcept;
  KeyIntervalTree& operator=(KeyIntervalTree&&) noexcept;

  // Registers `id` on `interval`, which must not be empty. False if it was already there.
  bool insert(const KeyInterval& interval, Id id);
  // Unregisters `id` from `interval`; an interval left without ids goes. False if it was not
  // registered there.
  bool erase(const KeyInterval& interval, Id id);

  // Appends every entry whose interval holds `key`, in interval order. The pointers stay valid
  // until the tree is next changed.
  void stab(std::string_view key, std::vector<const Entry*>& out) const;

  size_t intervals() const { return intervals_; }
  size_t ids() const { return ids_; }
  // "" if the invariants above hold, else the first broken one found.
  std::string find_problem() const;

 private:
  struct Node;
  using Link = std::unique_ptr<Node>;
  // What an insert or erase changed: a node (an interval) came or went; an id did.
  struct Change {
    bool node = false;
    bool id = false;
  };

  static Link insert_at(Link n, const KeyInterval& interval, Id id, Change& change);
  static Link erase_at(Link n, const KeyInterval& interval, Id id, Change& change);
  static Link unlink_min(Link n, Link& min);
  // A child link of a node, so that each rotation is written once for both sides.
  using Side = Link Node::*;
  static Link rebalance(Link n);
  static Link lift(Link n, Side heavy, Side light);
  static Link rotate(Link n, Side up, Side down);
  static void update(Node& n);
  static int height(const Link& n);
  // Checks the subtree's invariants 1-4 (the order within it and against its bounds `low` and
  // `high`, exclusive, when given); returns its height and adds up its intervals and ids.
  static std::string check_at(const Node* n, const KeyInterval* low, const KeyInterval* high,
                              int& height, size_t& intervals, size_t& ids);
  static void stab_at(const Node* n, std::string_view key, std::vector<const Entry*>& out);

  Link root_;
  size_t intervals_ = 0;
  size_t ids_ = 0;
};

}  // namespace regent::kv
