// Durations written as Go writes them ("10m", "1.5s", "2m30s", "500ms"): etcd's flags take
// them, and regentd takes the same spelling for the same flags.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace regent::server {

// Units: h, m, s, ms, us (or µs), ns; each number may have a fraction; "0" alone is zero. A
// negative duration, an unknown unit or a missing one is refused with what was wrong.
Expected<std::chrono::nanoseconds, std::string> parse_duration(std::string_view text);

}  // namespace regent::server
