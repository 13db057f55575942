// Helpers shared by the kv tests: unwrapping results, building requests, reading answers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/assert.h"
#include "kv/store.h"

namespace regent::kv::testing {

// The value of an operation that must succeed; a failure stops the test binary with its message.
template <class T>
T must(Expected<T, Error> e) {
  REGENT_ASSERT(e.has_value(), "unexpected error: {}", e.error().message);
  return std::move(e).value();
}

inline PutResponse put(Store& s, std::string key, std::string value, int64_t lease = 0) {
  return must(s.put(PutRequest{.key = std::move(key), .value = std::move(value), .lease = lease}));
}

inline DeleteRangeResponse del(Store& s, std::string key, std::string range_end = "") {
  return must(
      s.delete_range(DeleteRangeRequest{.key = std::move(key), .range_end = std::move(range_end)}));
}

inline RangeRequest all_keys(int64_t revision = 0) {
  return RangeRequest{
      .key = std::string(1, '\0'), .range_end = std::string(1, '\0'), .revision = revision};
}

inline std::vector<std::string> keys_of(const RangeResponse& r) {
  std::vector<std::string> keys;
  for (const KeyValue& kv : r.kvs) keys.push_back(kv.key);
  return keys;
}

// The key as of `revision` (0: now), or a KeyValue with an empty key if it did not exist.
inline KeyValue get(const Store& s, const std::string& key, int64_t revision = 0) {
  RangeResponse r = must(s.range(RangeRequest{.key = key, .revision = revision}));
  return r.kvs.empty() ? KeyValue{} : r.kvs.front();
}

inline RequestOp op_put(std::string key, std::string value) {
  return RequestOp{PutRequest{.key = std::move(key), .value = std::move(value)}};
}

inline RequestOp op_del(std::string key, std::string range_end = "") {
  return RequestOp{DeleteRangeRequest{.key = std::move(key), .range_end = std::move(range_end)}};
}

inline RequestOp op_get(std::string key, std::string range_end = "") {
  return RequestOp{RangeRequest{.key = std::move(key), .range_end = std::move(range_end)}};
}

inline RequestOp op_txn(TxnRequest t) { return RequestOp{std::move(t)}; }

inline Compare cmp_version(std::string key, Compare::Result result, int64_t version) {
  return Compare{.result = result,
                 .target = Compare::Target::kVersion,
                 .key = std::move(key),
                 .version = version};
}

}  // namespace regent::kv::testing
