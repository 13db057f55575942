#include "client/ownership.h"

#include <fmt/format.h>

#include <algorithm>

namespace regent::client {

using std::chrono::milliseconds;

OwnershipMonitor::OwnershipMonitor(std::shared_ptr<Session> session, std::string key,
                                   int64_t create_revision, Clock::duration margin)
    : session_(std::move(session)),
      key_(std::move(key)),
      create_revision_(create_revision),
      margin_(margin) {
  auto mark = [this](Error e) {
    std::lock_guard lock(mu_);
    if (!lost_) lost_ = std::move(e);
  };
  // From the revision after the key's creation: any delete, or a put that starts a new
  // generation, means the key this holder got is gone. Progress notifications move the resume
  // point forward, so a broken stream resumes past revisions compacted in the meantime.
  watcher_ = Watcher::start(
      session_->client(), key_,
      WatchOptions{.start_revision = create_revision_ + 1, .progress_notify = true},
      [this, mark](const WatchResponse& r) {
        for (const auto& e : r.events) {
          if (e.type == Event::Type::kDelete || e.kv.create_revision != create_revision_) {
            mark(Error{.code = Code::kAborted, .message = fmt::format("key {} was deleted", key_)});
          }
        }
      },
      [this, mark](const Error& e) {
        mark(Error{.code = e.code,
                   .message = fmt::format("key {} can no longer be watched: {}", key_, e.message)});
      });
}

OwnershipMonitor::~OwnershipMonitor() { watcher_->cancel(); }

std::optional<Error> OwnershipMonitor::lost() const {
  std::lock_guard lock(mu_);
  if (lost_) return lost_;
  if (auto gone = session_->lost_error()) {
    lost_ = *gone;
  } else if (Clock::now() >= session_->alive_until() - margin_) {
    lost_ = Error{.code = Code::kDeadlineExceeded,
                  .message = fmt::format("no keep-alive proved lease {:016x} alive in time; "
                                         "giving {} up before the lease may expire",
                                         session_->lease(), key_)};
  }
  return lost_;
}

std::optional<Error> OwnershipMonitor::wait_lost(Clock::time_point until,
                                                 const Context& stop) const {
  // Polls: renewals move alive_until on another thread, and 50 ms is well inside any margin.
  for (;;) {
    if (auto why = lost()) return why;
    const auto now = Clock::now();
    if (now >= until || stop.done()) return std::nullopt;
    const auto give_up = session_->alive_until() - margin_;
    stop.sleep_until(std::min({until, give_up, now + milliseconds(50)}));
  }
}

}  // namespace regent::client
