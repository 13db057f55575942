#include "format.h"

#include <fmt/format.h>

#include <cmath>

namespace regent::ctl {

std::optional<Format> parse_format(const std::string& text) {
  if (text == "simple") return Format::kSimple;
  if (text == "json") return Format::kJson;
  if (text == "table") return Format::kTable;
  return std::nullopt;
}

std::string show_bytes(std::string_view bytes, bool hex) {
  if (!hex) return std::string(bytes);
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("\\x{:02x}", c);
  return out;
}

void print_kv(const client::KeyValue& kv, const PrintOptions& o) {
  if (!o.value_only) fmt::print("{}\n", show_bytes(kv.key, o.hex));
  fmt::print("{}\n", show_bytes(kv.value, o.hex));
}

void write_header_fields(Json& j, const client::ResponseHeader& h) {
  j.ufield("cluster_id", h.cluster_id)
      .ufield("member_id", h.member_id)
      .field("revision", h.revision)
      .ufield("raft_term", h.raft_term);
}

void write_header(Json& j, const client::ResponseHeader& h) {
  j.begin_object();
  write_header_fields(j, h);
  j.end_object();
}

void write_kv(Json& j, const client::KeyValue& kv) {
  j.begin_object()
      .bytes_field("key", kv.key)
      .field("create_revision", kv.create_revision)
      .field("mod_revision", kv.mod_revision)
      .field("version", kv.version)
      .bytes_field("value", kv.value)
      .field("lease", kv.lease)
      .end_object();
}

void print_get(const client::GetResponse& r, const PrintOptions& o, bool count_only) {
  if (o.format == Format::kJson) {
    Json j;
    write_get(j, r);
    fmt::print("{}\n", j.str());
    return;
  }
  if (count_only) {
    fmt::print("{}\n", r.count);
    return;
  }
  for (const auto& kv : r.kvs) print_kv(kv, o);
}

void print_put(const client::PutResponse& r, const PrintOptions& o) {
  if (o.format == Format::kJson) {
    Json j;
    write_put(j, r);
    fmt::print("{}\n", j.str());
    return;
  }
  fmt::print("OK\n");
  if (r.prev_kv) print_kv(*r.prev_kv, o);
}

void print_del(const client::DeleteResponse& r, const PrintOptions& o) {
  if (o.format == Format::kJson) {
    Json j;
    write_del(j, r);
    fmt::print("{}\n", j.str());
    return;
  }
  fmt::print("{}\n", r.deleted);
  for (const auto& kv : r.prev_kvs) print_kv(kv, o);
}

void write_get(Json& j, const client::GetResponse& r) {
  j.begin_object().key("header");
  write_header(j, r.header);
  if (!r.kvs.empty()) {
    j.key("kvs").begin_array();
    for (const auto& kv : r.kvs) write_kv(j, kv);
    j.end_array();
  }
  j.bfield("more", r.more).field("count", r.count).end_object();
}

void write_put(Json& j, const client::PutResponse& r) {
  j.begin_object().key("header");
  write_header(j, r.header);
  if (r.prev_kv) {
    j.key("prev_kv");
    write_kv(j, *r.prev_kv);
  }
  j.end_object();
}

void write_del(Json& j, const client::DeleteResponse& r) {
  j.begin_object().key("header");
  write_header(j, r.header);
  j.field("deleted", r.deleted);
  if (!r.prev_kvs.empty()) {
    j.key("prev_kvs").begin_array();
    for (const auto& kv : r.prev_kvs) write_kv(j, kv);
    j.end_array();
  }
  j.end_object();
}

namespace {

// A value below one of `unit`, written as Go writes fractions: up to `digits` places, trailing
// zeros dropped.
std::string fraction(int64_t ns, int64_t unit, int digits, std::string_view suffix) {
  std::string s = fmt::format("{}", ns / unit);
  std::string frac = fmt::format("{:0{}}", ns % unit, digits);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) s += "." + frac;
  return s + std::string(suffix);
}

}  // namespace

std::string go_duration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  if (ns < 0) ns = -ns;
  if (ns < 1000) return sign + fmt::format("{}ns", ns);
  if (ns < 1000000) return sign + fraction(ns, 1000, 3, "\u00b5s");
  if (ns < 1000000000) return sign + fraction(ns, 1000000, 6, "ms");
  const int64_t hours = ns / 3600000000000LL;
  ns %= 3600000000000LL;
  const int64_t minutes = ns / 60000000000LL;
  ns %= 60000000000LL;
  std::string out = sign;
  if (hours > 0) out += fmt::format("{}h", hours);
  if (hours > 0 || minutes > 0) out += fmt::format("{}m", minutes);
  return out + fraction(ns, 1000000000, 9, "s");
}

std::string humanize_bytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  if (bytes < 10) return fmt::format("{} B", bytes);
  const int e =
      static_cast<int>(std::floor(std::log(static_cast<double>(bytes)) / std::log(1000.0)));
  const double value = std::floor(static_cast<double>(bytes) / std::pow(1000.0, e) * 10 + 0.5) / 10;
  return value < 10 ? fmt::format("{:.1f} {}", value, kUnits[e])
                    : fmt::format("{:.0f} {}", value, kUnits[e]);
}

}  // namespace regent::ctl
