#include "server/duration_flag.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <utility>

namespace regent::server {

namespace {

// Longest first, so "ms" is not read as "m" followed by garbage.
constexpr std::array<std::pair<std::string_view, double>, 7> kUnits = {{
    {"ms", 1e6},
    {"us", 1e3},
    {"\u00b5s", 1e3},
    {"ns", 1.0},
    {"h", 3600e9},
    {"m", 60e9},
    {"s", 1e9},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Expected<std::chrono::nanoseconds, std::string> parse_duration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return unexpected(fmt::format("invalid duration {:?}: {}", text, why));
  };
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return bad("empty");
  if (text.front() == '-') return bad("negative");
  if (text.front() == '+') text.remove_prefix(1);
  double total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t n = 0;
    while (n < rest.size() && (is_digit(rest[n]) || rest[n] == '.')) ++n;
    if (n == 0) return bad("expected a number");
    const std::string number(rest.substr(0, n));
    if (number == "." || number.find('.') != number.rfind('.')) return bad("malformed number");
    rest.remove_prefix(n);
    double scale = 0;
    for (const auto& [unit, ns] : kUnits) {
      if (rest.starts_with(unit)) {
        scale = ns;
        rest.remove_prefix(unit.size());
        break;
      }
    }
    if (scale == 0) return bad("missing or unknown unit (h, m, s, ms, us, ns)");
    total += std::stod(number) * scale;
  }
  if (total > 9.2e18) return bad("too long");
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

}  // namespace regent::server
