// The names storage gives its files: two 64-bit numbers in 16 hex digits each and a suffix
// ("<seq>-<first index>.wal", "<term>-<index>.snap"), and the suffix of files still being
// written. One parser for both, so that a name means the same thing everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace regent::storage {

// A file written under this suffix and renamed when complete; recovery removes leftovers.
inline constexpr std::string_view kTmpSuffix = ".tmp";

std::string hex_pair_name(uint64_t first, uint64_t second, std::string_view suffix);
// The two numbers of a name made by hex_pair_name with this suffix; nullopt for any other name.
std::optional<std::pair<uint64_t, uint64_t>> parse_hex_pair_name(std::string_view name,
                                                                 std::string_view suffix);
// Exactly 16 hex digits.
std::optional<uint64_t> parse_hex16(std::string_view digits);

}  // namespace regent::storage
