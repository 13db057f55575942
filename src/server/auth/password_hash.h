// Passwords as the auth store keeps them: bcrypt hashes ("$2b$", libxcrypt), as etcd keeps them
// (golang.org/x/crypto/bcrypt, cost 10). Hashing draws a random salt, so it runs on the member
// that takes a UserAdd or UserChangePassword, before proposing: the log carries the hash and
// every member applies the same bytes (server/node/auth_store.h). Checking is deterministic and
// slow by design (bcrypt's cost), which is why Authenticate attempts must be rate-limited.
#pragma once

#include <string>
#include <string_view>

#include "common/expected.h"

namespace regent::server {

inline constexpr int kBcryptCost = 10;  // etcd's bcrypt.DefaultCost.
// bcrypt reads no byte past the 72nd: a longer password would be checked by its prefix only,
// so it is refused rather than silently truncated (as newer Go bcrypt refuses it).
inline constexpr size_t kMaxPasswordBytes = 72;

// A "$2b$<cost>$..." hash of `password` with a fresh random salt, or why not (a password too
// long or holding a zero byte, or no randomness available). `cost` is bcrypt's, 4..31; tests
// pass the minimum to stay fast.
Expected<std::string, std::string> hash_password(std::string_view password, int cost = kBcryptCost);

// Whether `password` matches `hash` (as hash_password made it); false for an empty or malformed
// hash, so a user added with no password never authenticates. Compares in constant time.
bool password_matches(std::string_view password, std::string_view hash);

}  // namespace regent::server
