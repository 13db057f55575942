#include "server/auth/attempt_limiter.h"

#include <algorithm>

namespace regent::server {

AttemptLimiter::AttemptLimiter(int burst, Clock::duration interval, Now now)
    : burst_(burst), interval_(interval), now_(std::move(now)) {}

double AttemptLimiter::refilled(const Bucket& b, Clock::time_point now) const {
  const double gained =
      std::chrono::duration<double>(now - b.at) / std::chrono::duration<double>(interval_);
  return std::min<double>(burst_, b.tokens + gained);
}

bool AttemptLimiter::try_attempt(std::string_view connection) {
  std::lock_guard lock(mu_);
  const Clock::time_point now = now_();
  if (now >= next_prune_) {
    std::erase_if(buckets_, [&](const auto& kv) { return refilled(kv.second, now) >= burst_; });
    next_prune_ = now + interval_ * burst_;
  }
  auto [it, fresh] = buckets_.try_emplace(std::string(connection), Bucket{double(burst_), now});
  Bucket& b = it->second;
  if (!fresh) b = Bucket{refilled(b, now), now};
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

size_t AttemptLimiter::tracked() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace regent::server
