// Output in etcdctl's formats: the simple text layout, the JSON shapes its -w json prints (Go's
// encoding/json over etcd's types: snake_case fields, zero values left out, bytes in base64),
// Go's duration and go-humanize's byte-size strings.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "client/kv.h"
#include "client/types.h"
#include "common/json.h"

namespace regent::ctl {

enum class Format { kSimple, kJson, kTable };
std::optional<Format> parse_format(const std::string& text);

struct PrintOptions {
  Format format = Format::kSimple;
  bool hex = false;
  bool value_only = false;  // get --print-value-only
};

// etcdctl's simple layout of one key-value: the key on a line, then the value on a line.
void print_kv(const client::KeyValue& kv, const PrintOptions& o);
// Bytes as etcdctl shows them: as they are, or with --hex as \x.. escapes.
std::string show_bytes(std::string_view bytes, bool hex);

void write_header(Json& j, const client::ResponseHeader& h);
void write_kv(Json& j, const client::KeyValue& kv);
// The header's fields inline, as clientv3 types that embed *ResponseHeader print them.
void write_header_fields(Json& j, const client::ResponseHeader& h);

// The simple and JSON forms of the KV responses (used by get, put, del and txn).
void print_get(const client::GetResponse& r, const PrintOptions& o, bool count_only);
void print_put(const client::PutResponse& r, const PrintOptions& o);
void print_del(const client::DeleteResponse& r, const PrintOptions& o);
void write_get(Json& j, const client::GetResponse& r);
void write_put(Json& j, const client::PutResponse& r);
void write_del(Json& j, const client::DeleteResponse& r);

std::string go_duration(std::chrono::nanoseconds d);  // "3.805968ms", "1.5s", "2m0s"
std::string humanize_bytes(int64_t bytes);            // "20 kB"

}  // namespace regent::ctl
