#include "sim/kv_machine.h"

#include <fmt/format.h>

namespace regent::sim {

namespace {

// Format: "C|<id>|<type>|<has_expected>|<len>:<key><len>:<value><len>:<expected>". Lengths make
// it binary-safe; the leading tag keeps the no-op (empty) and foreign data from decoding.
void put_field(std::string& out, std::string_view f) {
  out += fmt::format("{}:", f.size());
  out += f;
}

bool take_field(std::string_view& in, std::string& out) {
  const size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) return false;
  size_t len = 0;
  for (char ch : in.substr(0, colon)) {
    if (ch < '0' || ch > '9') return false;
    len = len * 10 + static_cast<size_t>(ch - '0');
  }
  in.remove_prefix(colon + 1);
  if (len > in.size()) return false;
  out.assign(in.substr(0, len));
  in.remove_prefix(len);
  return true;
}

}  // namespace

std::string encode_command(const Command& c) {
  std::string out = fmt::format("C|{}|{}|{}|", c.request_id, static_cast<int>(c.type),
                                c.expected.has_value() ? 1 : 0);
  put_field(out, c.key);
  put_field(out, c.value);
  put_field(out, c.expected.value_or(""));
  put_field(out, std::string(c.padding, '.'));
  return out;
}

std::optional<Command> decode_command(std::string_view in) {
  if (!in.starts_with("C|")) return std::nullopt;
  in.remove_prefix(2);
  Command c;
  const size_t bar1 = in.find('|');
  if (bar1 == std::string_view::npos) return std::nullopt;
  for (char ch : in.substr(0, bar1)) {
    if (ch < '0' || ch > '9') return std::nullopt;
    c.request_id = c.request_id * 10 + static_cast<uint64_t>(ch - '0');
  }
  in.remove_prefix(bar1 + 1);
  if (in.size() < 4 || in[1] != '|' || in[3] != '|') return std::nullopt;
  const int type = in[0] - '0';
  if (type < 0 || type > 2) return std::nullopt;
  c.type = static_cast<OpType>(type);
  const bool has_expected = in[2] == '1';
  in.remove_prefix(4);
  std::string expected;
  std::string padding;
  if (!take_field(in, c.key) || !take_field(in, c.value) || !take_field(in, expected) ||
      !take_field(in, padding)) {
    return std::nullopt;
  }
  c.padding = padding.size();
  if (!in.empty()) return std::nullopt;
  if (has_expected) c.expected = std::move(expected);
  return c;
}

bool KvMachine::apply(const Command& c) {
  if (c.type == OpType::kCas) {
    if (get(c.key) != c.expected) return false;
  }
  if (c.type == OpType::kGet) return true;
  map_[c.key] = c.value;
  return true;
}

std::string KvMachine::image() const {
  std::string out = "K|";
  for (const auto& [key, value] : map_) {
    put_field(out, key);
    put_field(out, value);
  }
  return out;
}

bool KvMachine::restore(std::string_view image) {
  std::map<std::string, std::string> restored;
  if (!image.empty()) {
    if (!image.starts_with("K|")) return false;
    image.remove_prefix(2);
    while (!image.empty()) {
      std::string key;
      std::string value;
      if (!take_field(image, key) || !take_field(image, value)) return false;
      restored[std::move(key)] = std::move(value);
    }
  }
  map_ = std::move(restored);
  return true;
}

std::optional<std::string> KvMachine::get(const std::string& key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

}  // namespace regent::sim
