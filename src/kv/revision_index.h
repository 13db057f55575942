// Which key changed at each kept revision: the store's history in revision order, so that the
// changes since a revision (what a watcher catching up needs) are found without a pass over
// every key. Derived data: restore() rebuilds it from the keys' histories; it is not in the image.
//
// It holds every (revision, key) of a kept record at or after the compacted revision C. At C
// itself it may also hold keys whose record at C compaction dropped: those were deleted at C
// (compaction drops a tombstone that is the latest change at or before C, never a put), so the
// changes of revision C stay complete on a member that compacted them live. A restored store
// cannot know them, and answers for revision C with its puts only, as etcd does.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "kv/key_index.h"

namespace regent::kv {

class RevisionIndex {
 public:
  using Entries = std::map<Revision, std::string>;
  using KeyMap = std::map<std::string, KeyIndex, std::less<>>;

  // Records that `key` changed at `rev`, which must come after every revision held.
  void add(Revision rev, std::string_view key);
  // Drops the revisions before `at` (those no watcher may start from any more).
  void compact(int64_t at);

  // The entries with main revision >= from, in (main, sub) order.
  Entries::const_iterator from(int64_t main) const { return entries_.lower_bound({main, 0}); }
  Entries::const_iterator end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }
  // The newest revision held; {0, 0} if none.
  Revision newest() const { return entries_.empty() ? Revision{} : entries_.rbegin()->first; }

  // The index of a store holding `keys`, compacted at `compacted`.
  static RevisionIndex rebuild(const KeyMap& keys, int64_t compacted);
  // "" if this is the index of `keys` (as described above), or what is wrong.
  std::string check(const KeyMap& keys, int64_t compacted) const;

 private:
  Entries entries_;
};

// The record of `index` at exactly `rev`, or nullptr; `prev` (if given) is set to the record
// before it, or nullptr.
const Record* find_record(const KeyIndex& index, Revision rev, const Record** prev = nullptr);

}  // namespace regent::kv
