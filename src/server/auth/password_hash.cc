#include "server/auth/password_hash.h"

#include <crypt.h>

#include <memory>

namespace regent::server {

namespace {

// crypt_r's work area is some 32 KiB: on the heap, not on a gRPC thread's stack; zeroed, as
// libxcrypt asks before first use.
std::unique_ptr<crypt_data> work_area() { return std::make_unique<crypt_data>(); }

bool usable(std::string_view password) {
  return password.size() <= kMaxPasswordBytes && password.find('\0') == std::string_view::npos;
}

// crypt_r marks a failure with an output starting with '*' (never a valid hash's first byte).
bool failed(const char* out) { return out == nullptr || out[0] == '*'; }

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

Expected<std::string, std::string> hash_password(std::string_view password, int cost) {
  if (!usable(password)) {
    return unexpected(std::string("password longer than 72 bytes or holding a zero byte"));
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  // No random bytes given: libxcrypt draws them from the operating system (getrandom).
  if (failed(crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt,
                              sizeof salt))) {
    return unexpected(std::string("bcrypt: cannot make a salt"));
  }
  auto data = work_area();
  const std::string plain(password);
  const char* out = crypt_r(plain.c_str(), salt, data.get());
  if (failed(out)) return unexpected(std::string("bcrypt: hashing failed"));
  return std::string(out);
}

bool password_matches(std::string_view password, std::string_view hash) {
  if (hash.empty() || !usable(password)) return false;
  auto data = work_area();
  const std::string plain(password);
  const std::string setting(hash);
  const char* out = crypt_r(plain.c_str(), setting.c_str(), data.get());
  if (failed(out)) return false;
  return equal_constant_time(out, hash);
}

}  // namespace regent::server
