#include "loadgen/watch_value.h"

#include <fmt/format.h>

#include <charconv>

namespace regent::loadgen {

std::string encode_watch_value(WatchValue v, int val_size) {
  std::string out = fmt::format("{}:{}", v.seq, v.sent_ns);
  if (out.size() < static_cast<size_t>(val_size)) out.resize(static_cast<size_t>(val_size), '.');
  return out;
}

std::optional<WatchValue> decode_watch_value(std::string_view value) {
  WatchValue v;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v.seq);
  if (ec != std::errc() || p == end || *p != ':') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, v.sent_ns);
  if (ec2 != std::errc() || q == p + 1) return std::nullopt;
  for (; q != end; ++q) {
    if (*q != '.') return std::nullopt;
  }
  return v;
}

}  // namespace regent::loadgen
