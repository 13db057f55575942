#include "server/auth/simple_tokens.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "common/assert.h"

namespace regent::server {

namespace {

constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr size_t kTokenLetters = 32;

void random_bytes(unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    REGENT_ASSERT(r > 0, "getrandom failed: no randomness for auth tokens");
    got += static_cast<size_t>(r);
  }
}

}  // namespace

SimpleTokens::SimpleTokens(std::chrono::seconds ttl, Now now, WallNow wall_now)
    : ttl_(ttl), now_(std::move(now)), wall_now_(std::move(wall_now)) {}

std::string SimpleTokens::generate() {
  // 52 letters: draw bytes below 208 (4 x 52) so that every letter is equally likely.
  std::string out;
  out.reserve(kTokenLetters + 24);
  std::array<unsigned char, 64> pool{};
  while (out.size() < kTokenLetters) {
    random_bytes(pool.data(), pool.size());
    for (unsigned char b : pool) {
      if (b >= 208 || out.size() == kTokenLetters) continue;
      out.push_back(kLetters[b % kLetters.size()]);
    }
  }
  std::lock_guard lock(mu_);
  out += "." + std::to_string(++issued_);
  return out;
}

void SimpleTokens::assign(std::string_view token, std::string_view user, int64_t issued_unix_ms) {
  const auto age = wall_now_() -
                   std::chrono::system_clock::time_point(std::chrono::milliseconds(issued_unix_ms));
  // A clock behind the issuer's gives a negative age: never more than the whole TTL.
  const auto left = std::clamp<Clock::duration>(
      ttl_ - std::chrono::duration_cast<Clock::duration>(age), Clock::duration::zero(), ttl_);
  std::lock_guard lock(mu_);
  const Clock::time_point now = now_();
  sweep_locked(now);
  if (left <= Clock::duration::zero()) return;  // Expired before this member learned it.
  tokens_[std::string(token)] = Entry{std::string(user), now + left};
}

void SimpleTokens::forget_user(std::string_view user) {
  std::lock_guard lock(mu_);
  std::erase_if(tokens_, [&](const auto& kv) { return kv.second.user == user; });
}

void SimpleTokens::forget_all() {
  std::lock_guard lock(mu_);
  tokens_.clear();
}

std::optional<std::string> SimpleTokens::user_of(std::string_view token) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(std::string(token));
  if (it == tokens_.end()) return std::nullopt;
  const Clock::time_point now = now_();
  if (now >= it->second.expires) {
    tokens_.erase(it);
    return std::nullopt;
  }
  it->second.expires = now + ttl_;
  return it->second.user;
}

size_t SimpleTokens::size() const {
  std::lock_guard lock(mu_);
  return tokens_.size();
}

void SimpleTokens::sweep_locked(Clock::time_point now) {
  if (now < next_sweep_) return;
  std::erase_if(tokens_, [&](const auto& kv) { return now >= kv.second.expires; });
  next_sweep_ = now + std::min<Clock::duration>(ttl_, std::chrono::seconds(10));
}

}  // namespace regent::server
