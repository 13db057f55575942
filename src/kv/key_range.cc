#include "kv/key_range.h"

#include "common/assert.h"

namespace regent::kv {

namespace {

constexpr std::string_view kFromKey("\0", 1);

}  // namespace

Expected<KeyRange, Error> KeyRange::parse(std::string_view key, std::string_view range_end) {
  if (key.empty()) return unexpected(invalid_argument(kEmptyKeyMessage));
  if (range_end.empty()) return KeyRange(Kind::kSingle, key, {});
  if (range_end == kFromKey) return KeyRange(Kind::kFrom, key, {});
  if (range_end <= key) return KeyRange(Kind::kEmpty, key, {});
  return KeyRange(Kind::kHalfOpen, key, range_end);
}

KeyRange KeyRange::checked(std::string_view key, std::string_view range_end) {
  Expected<KeyRange, Error> r = parse(key, range_end);
  REGENT_ASSERT(r.has_value(), "unvalidated key range: {}", r.error().message);
  return *r;
}

bool KeyRange::contains(std::string_view key) const {
  switch (kind_) {
    case Kind::kSingle:
      return key == begin_;
    case Kind::kHalfOpen:
      return begin_ <= key && key < end_;
    case Kind::kFrom:
      return begin_ <= key;
    case Kind::kEmpty:
      return false;
  }
  return false;
}

bool KeyRange::ends_before(std::string_view key) const {
  switch (kind_) {
    case Kind::kSingle:
      return key > begin_;
    case Kind::kHalfOpen:
      return key >= end_;
    case Kind::kFrom:
      return false;
    case Kind::kEmpty:
      return true;
  }
  return true;
}

}  // namespace regent::kv
