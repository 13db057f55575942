#include "common/json.h"

#include <fmt/format.h>

#include <cmath>

namespace regent {

void Json::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

Json& Json::begin_object() {
  separate();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

Json& Json::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}

Json& Json::begin_array() {
  separate();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

Json& Json::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}

Json& Json::key(std::string_view name) {
  string(name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

Json& Json::string(std::string_view s) {
  separate();
  out_ += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      // Go's encoder escapes these for HTML safety; etcdctl's output has them so.
      case '<':
        out_ += "\\u003c";
        break;
      case '>':
        out_ += "\\u003e";
        break;
      case '&':
        out_ += "\\u0026";
        break;
      default:
        if (c < 0x20) {
          out_ += fmt::format("\\u{:04x}", c);
        } else {
          out_ += static_cast<char>(c);
        }
    }
  }
  out_ += '"';
  return *this;
}

Json& Json::number(int64_t v) {
  separate();
  out_ += std::to_string(v);
  return *this;
}

Json& Json::unsigned_number(uint64_t v) {
  separate();
  out_ += std::to_string(v);
  return *this;
}

Json& Json::fixed(double v, int decimals) {
  separate();
  out_ += std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "null";
  return *this;
}

Json& Json::boolean(bool v) {
  separate();
  out_ += v ? "true" : "false";
  return *this;
}

Json& Json::null() {
  separate();
  out_ += "null";
  return *this;
}

Json& Json::field(std::string_view name, int64_t v) {
  if (v != 0) key(name).number(v);
  return *this;
}

Json& Json::ufield(std::string_view name, uint64_t v) {
  if (v != 0) key(name).unsigned_number(v);
  return *this;
}

Json& Json::bfield(std::string_view name, bool v) {
  if (v) key(name).boolean(true);
  return *this;
}

Json& Json::sfield(std::string_view name, std::string_view v) {
  if (!v.empty()) key(name).string(v);
  return *this;
}

Json& Json::bytes_field(std::string_view name, std::string_view bytes) {
  if (!bytes.empty()) key(name).string(base64(bytes));
  return *this;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t n =
        (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace regent
