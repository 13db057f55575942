// The keys a request names, from its `key` and `range_end` (etcd's rules, see types.h). A
// KeyRange views the request's bytes: it must not outlive them.
//
// A range_end at or before the key (other than "\0") names no key at all: as in etcd, a range
// over it is empty and a delete over it deletes nothing; neither is an error.
#pragma once

#include <string_view>

#include "common/expected.h"
#include "kv/errors.h"

namespace regent::kv {

class KeyRange {
 public:
  // Refuses an empty key.
  static Expected<KeyRange, Error> parse(std::string_view key, std::string_view range_end);
  // For requests already validated: an empty key is a broken invariant.
  static KeyRange checked(std::string_view key, std::string_view range_end);

  bool single() const { return kind_ == Kind::kSingle; }
  std::string_view begin() const { return begin_; }
  bool contains(std::string_view key) const;
  // Whether no key at or after `key` can be in the range (the end of a scan in key order).
  bool ends_before(std::string_view key) const;

 private:
  enum class Kind { kSingle, kHalfOpen, kFrom, kEmpty };
  KeyRange(Kind kind, std::string_view begin, std::string_view end)
      : kind_(kind), begin_(begin), end_(end) {}

  Kind kind_;
  std::string_view begin_;
  std::string_view end_;  // Exclusive; used by kHalfOpen only.
};

}  // namespace regent::kv
