// Authenticate attempts per connection, limited: a brute-force client gets a burst of tries and
// then one per interval, refused at once (without a bcrypt check) beyond that. A token bucket per
// connection: `burst` attempts at most, refilled at one per `interval`.
//
// Invariants: thread-safe; the table holds a connection only while its bucket is not full (a
// full bucket is the same as none), so idle connections cost nothing and the table stays small.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace regent::server {

class AttemptLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  AttemptLimiter(int burst, Clock::duration interval, Now now = Clock::now);

  // Takes one attempt from `connection`'s bucket; false when it is empty.
  bool try_attempt(std::string_view connection);
  size_t tracked() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point at{};
  };
  double refilled(const Bucket& b, Clock::time_point now) const;

  const int burst_;
  const Clock::duration interval_;
  const Now now_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point next_prune_{};
};

}  // namespace regent::server
