// The values the watch putter writes: "<sequence number>:<send time>" (decimal; the send time is
// the steady clock in nanoseconds, which the watchers share, being in the same process), padded
// with '.' to --val-size, or longer when val-size is too small to hold both numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace regent::loadgen {

struct WatchValue {
  uint64_t seq = 0;
  int64_t sent_ns = 0;
};

std::string encode_watch_value(WatchValue v, int val_size);
// nullopt for a value the putter did not write (someone else's put to the key).
std::optional<WatchValue> decode_watch_value(std::string_view value);

}  // namespace regent::loadgen
