#include "storage/file_names.h"

#include <fmt/format.h>

#include <charconv>

namespace regent::storage {

std::string hex_pair_name(uint64_t first, uint64_t second, std::string_view suffix) {
  return fmt::format("{:016x}-{:016x}{}", first, second, suffix);
}

std::optional<uint64_t> parse_hex16(std::string_view digits) {
  uint64_t v = 0;
  if (digits.size() != 16) return std::nullopt;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

std::optional<std::pair<uint64_t, uint64_t>> parse_hex_pair_name(std::string_view name,
                                                                 std::string_view suffix) {
  if (name.size() != 16 + 1 + 16 + suffix.size() || name[16] != '-' || !name.ends_with(suffix)) {
    return std::nullopt;
  }
  std::optional<uint64_t> first = parse_hex16(name.substr(0, 16));
  std::optional<uint64_t> second = parse_hex16(name.substr(17, 16));
  if (!first || !second) return std::nullopt;
  return std::pair{*first, *second};
}

}  // namespace regent::storage
