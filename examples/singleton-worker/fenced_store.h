// The resource the singleton worker writes to, guarded by fencing tokens: a unit of work is
// stored only if no writer with a newer token has written before it. The fence is kept in the
// same key-value store, so the check and the write are one Txn:
//
//   if value(<prefix>fence) > token   -> refused (a newer leader has written)
//   else                              -> fence := token, <prefix>units/<unit> := <stamp>
//
// Tokens are the leader key's create revision (they only grow from one leader to the next) and
// are stored zero-padded, so that the store's byte-wise value comparison orders them as numbers.
// A value comparison on a key that does not exist fails, so the first writer always passes.
#pragma once

#include <cstdint>
#include <string>

#include "client/kv.h"

namespace regent::examples {

enum class WriteOutcome { kWritten, kRefused };

class FencedStore {
 public:
  FencedStore(std::shared_ptr<client::Client> client, std::string prefix)
      : kv_(std::move(client)), prefix_(std::move(prefix)) {}

  // Stores `stamp` as unit `unit` under `token`, or refuses it if a newer token has written.
  client::Result<WriteOutcome> write(int64_t token, const std::string& unit,
                                     const std::string& stamp) const;
  // The newest token that has written; 0 if none has.
  client::Result<int64_t> fence() const;

  static std::string encode_token(int64_t token);

 private:
  client::KV kv_;
  std::string prefix_;
};

}  // namespace regent::examples
