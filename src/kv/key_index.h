// The history of one key: every kept change of it, as etcd's keyIndex plus the values its
// backend keeps by revision.
//
// A key's changes form generations. A generation starts with the put that creates the key
// (version 1, create_revision = that put's revision), continues with puts (version + 1, same
// create_revision) and ends with a tombstone (a delete); the next put starts a new generation.
// For example put@2, put@3, delete@4, put@5 is two generations: {2, 3, 4(t)} and {5}.
//
// Compaction at revision C keeps, of the changes at or before C, only the latest, and not even
// that one if it is a tombstone: nothing at or after C can see the others. Changes after C stay.
//
// Invariants (valid_history() checks them, for the store's check and for restored images):
//   - the records are non-empty and their main revisions strictly increase (a key changes at
//     most once per revision: a txn may not write one key twice);
//   - the first record is a put; a tombstone follows a put, never a tombstone;
//   - a put after a put has its version + 1 and its create_revision; a put after a tombstone
//     has version 1 and create_revision = its own revision;
//   - only the first record may be at or before the compacted revision; a first put whose
//     generation began earlier (version > 1) must be (its elders were compacted away).
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace regent::kv {

// A change's place in the store's history: `main` is the revision of the write (put, delete
// or txn) that made it, `sub` orders the changes of one write.
struct Revision {
  int64_t main = 0;
  int64_t sub = 0;

  auto operator<=>(const Revision&) const = default;
};

// One change of a key: a put (with its value) or a tombstone.
struct Record {
  Revision rev;
  bool tombstone = false;
  // Puts only; zero (and empty) for tombstones.
  int64_t create_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
  std::string value;

  bool operator==(const Record&) const = default;
};

class KeyIndex {
 public:
  KeyIndex() = default;

  // The put visible at revision `at`, or nullptr if the key did not exist then.
  const Record* get(int64_t at) const;
  // The newest record, if it is a put: the key as it stands.
  const Record* latest() const;

  // Appends a put at `rev`, continuing the current generation or starting one.
  void put(Revision rev, std::string value, int64_t lease);
  // Ends the current generation. The key must exist (latest() != nullptr).
  void tombstone(Revision rev);
  // Drops what no read at or after `at` can see (always a prefix of the records), moving it to
  // the end of *dropped when given. Returns whether nothing is left.
  bool compact(int64_t at, std::vector<Record>* dropped = nullptr);

  const std::vector<Record>& records() const { return records_; }
  // The records with main revision <= at: the key's kept history as of revision `at`.
  std::span<const Record> up_to(int64_t at) const { return {records_.cbegin(), after(at)}; }
  bool empty() const { return records_.empty(); }

  // A history restored from an image; the caller checks it with valid_history().
  static KeyIndex from_records(std::vector<Record> records);

 private:
  // The first record with main revision > at.
  std::vector<Record>::const_iterator after(int64_t at) const;

  std::vector<Record> records_;
};

// Checks the invariants above for a store at `revision`, compacted at `compacted`. Returns ""
// if they hold, or what is wrong.
std::string valid_history(const std::vector<Record>& records, int64_t compacted, int64_t revision);

}  // namespace regent::kv
