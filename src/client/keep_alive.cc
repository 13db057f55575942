#include "client/keep_alive.h"

#include <fmt/format.h>

#include <algorithm>

#include "client/internal/lease_call.h"

namespace regent::client {

using std::chrono::milliseconds;

KeepAlive::KeepAlive(std::shared_ptr<Client> client, int64_t lease, std::chrono::seconds ttl,
                     Clock::time_point alive_until, KeepAliveOptions options)
    : client_(std::move(client)),
      lease_(lease),
      ttl_(ttl),
      options_(std::move(options)),
      alive_until_(alive_until) {
  thread_ = std::thread([this] { run(); });
}

KeepAlive::~KeepAlive() { stop(); }

void KeepAlive::stop() {
  stop_.cancel();
  if (!thread_.joinable()) return;
  // From a callback (on_lost destroying its owner), the thread cannot join itself; it touches
  // nothing of this object once the callback returns, so it may run out on its own.
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

KeepAlive::Clock::time_point KeepAlive::alive_until() const {
  std::lock_guard lock(mu_);
  return alive_until_;
}

bool KeepAlive::lost() const {
  std::lock_guard lock(mu_);
  return lost_.has_value() || Clock::now() >= alive_until_;
}

std::optional<Error> KeepAlive::lost_error() const {
  std::lock_guard lock(mu_);
  return lost_;
}

bool KeepAlive::wait_lost(Clock::time_point until) const {
  std::unique_lock lock(mu_);
  for (;;) {
    if (lost_ || Clock::now() >= alive_until_) return true;
    const auto wake = std::min(until, alive_until_);
    if (Clock::now() >= until) return false;
    cv_.wait_until(lock, wake);
  }
}

void KeepAlive::lose(Error error) {
  {
    std::lock_guard lock(mu_);
    if (lost_) return;
    lost_ = error;
  }
  cv_.notify_all();
  if (options_.on_lost && !stop_.cancelled()) options_.on_lost(error);
}

void KeepAlive::run() {
  const auto period = std::chrono::duration_cast<Clock::duration>(ttl_) / 3;
  // Each endpoint gets a share of the period before the next is tried: a frozen member must not
  // use up the time the others need to renew.
  const auto attempt_timeout = std::clamp(std::chrono::duration_cast<milliseconds>(ttl_) / 4,
                                          milliseconds(250), client_->options().attempt_timeout);
  auto next = alive_until() - std::chrono::duration_cast<Clock::duration>(ttl_) + period;
  Error last{.code = Code::kUnavailable, .message = "no keep-alive sent yet"};
  // Ends when stopped or lost; each round waits at least until `next` or sends one renewal.
  for (;;) {
    if (stop_.sleep_until(next)) return;
    const auto now = Clock::now();
    const auto until = alive_until();
    if (now >= until) {
      lose(Error{.code = Code::kDeadlineExceeded,
                 .message = fmt::format("lease {:016x}: no keep-alive succeeded within its TTL "
                                        "({}s); last error: {}",
                                        lease_, ttl_.count(), last.describe()),
                 .endpoint = last.endpoint});
      return;
    }
    const auto sent = Clock::now();
    auto r = internal::keep_alive_once(
        *client_, lease_, stop_.with_deadline(std::min(until, sent + period)), attempt_timeout);
    if (stop_.cancelled()) return;
    if (r) {
      const auto proven = sent + std::chrono::seconds(r->ttl);
      {
        std::lock_guard lock(mu_);
        alive_until_ = std::max(alive_until_, proven);
      }
      cv_.notify_all();
      next = sent + std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(r->ttl)) / 3;
      if (options_.on_renewed) options_.on_renewed(*r);
      continue;
    }
    if (r.error().is_lease_not_found()) {
      Error e = r.error();
      e.message = fmt::format("lease {:016x}: {} (revoked or expired)", lease_, e.message);
      lose(std::move(e));
      return;
    }
    last = r.error();
    // Every endpoint was tried; pause briefly so a cluster that refuses at once is not spun on.
    next = Clock::now() + std::min<Clock::duration>(period / 4, milliseconds(200));
  }
}

}  // namespace regent::client
