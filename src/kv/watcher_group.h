// A group of watchers by the keys they watch, and which of them a batch of events concerns
// (etcd's watcherGroup): single-key watchers in a hash map by key, range watchers in an interval
// tree (key_interval_tree.h), so an event costs a hash lookup plus a tree descent to the ranges
// holding its key, however many watchers watch other keys. It only registers and finds: the
// server's watch hub decides who is in it (its synced watchers) and what they are sent.
//
// Watchers are named by ids their owner chooses, unique within a group. A watcher watches etcd's
// (key, range_end): range_end "" the key alone; "\0" every key >= key; otherwise
// [key, range_end) -- a prefix is the range up to the prefix's successor.
//
// Invariants (find_problem() checks them all, with the tree's own):
//  1. Every registered watcher is in exactly one place: the key map under its key if it watches
//     a single key, otherwise the tree under its interval; and nothing else is in either.
//  2. No key in the key map has an empty set of watchers (the tree keeps the same rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kv/key_interval_tree.h"
#include "kv/types.h"

namespace regent::kv {

class WatcherGroup {
 public:
  using WatcherId = KeyIntervalTree::Id;

  // The watchers of one watched key or range, and the events of a batch inside it, in batch
  // order. Copies: the group may change while the caller goes through them.
  struct RangeMatch {
    std::vector<WatcherId> watchers;  // Ascending.
    std::vector<const Event*> events;
  };

  // Registers a watcher. The key must not be empty and the range must hold a key (etcd refuses
  // such a watch at creation: "mvcc: watcher range is empty"); the id must be new.
  void add(WatcherId id, std::string_view key, std::string_view range_end);
  // Unregisters it; false if it was not registered.
  bool remove(WatcherId id);
  bool contains(WatcherId id) const { return registered_.contains(id); }
  size_t size() const { return registered_.size(); }
  bool empty() const { return registered_.empty(); }

  // For each watched key or range that holds at least one of `events`' keys: its watchers and
  // those events. Each event costs one key lookup and one interval-tree stab; watchers whose
  // keys no event touches are not looked at. The pointers point into `events`.
  std::vector<RangeMatch> match(std::span<const Event> events) const;
  // Every watcher whose key or range holds `key`, ascending.
  std::vector<WatcherId> watchers_of(std::string_view key) const;

  // "" if the invariants above hold, else the first broken one found.
  std::string find_problem() const;
  // Stops the process if find_problem() finds something (tests, after each change).
  void check_invariants() const;

 private:
  // Heterogeneous lookup, so that an event's key is looked up without a copy.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };
  using KeyMap = std::unordered_map<std::string, std::set<WatcherId>, KeyHash, std::equal_to<>>;

  // A watcher's (key, range_end): how to find it again when it is removed.
  struct Registration {
    std::string key;
    std::string range_end;
    bool single() const { return range_end.empty(); }
  };
  static KeyInterval interval(const Registration& r);

  std::unordered_map<WatcherId, Registration> registered_;
  KeyMap single_keys_;
  KeyIntervalTree ranges_;
};

}  // namespace regent::kv
