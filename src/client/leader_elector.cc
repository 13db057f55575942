#include "client/leader_elector.h"

#include "client/ownership.h"

namespace regent::client {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

LeaderElector::LeaderElector(std::shared_ptr<Client> client, LeaderElectorOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  if (thread_.joinable() || stop_.cancelled()) return;
  if (options_.on_new_leader) {
    // The observer also reports a leader's new value; only a new term is a new leader.
    observer_ = ElectionObserver::start(client_, options_.name,
                                        [this, last = int64_t{0}](const KeyValue& kv) mutable {
                                          if (kv.create_revision == last) return;
                                          last = kv.create_revision;
                                          options_.on_new_leader(kv.value, kv.create_revision);
                                        });
  }
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop() {
  stop_.cancel();
  if (thread_.joinable()) thread_.join();
  if (observer_) observer_->cancel();
}

Clock::duration LeaderElector::margin() const {
  if (options_.margin.count() > 0) return options_.margin;
  return std::chrono::duration_cast<Clock::duration>(options_.lease_duration) / 5;
}

bool LeaderElector::is_leader() const {
  std::lock_guard lock(mu_);
  return term_ && session_ && Clock::now() < session_->alive_until() - margin();
}

std::optional<LeadershipTerm> LeaderElector::term() const {
  std::lock_guard lock(mu_);
  return term_;
}

int64_t LeaderElector::lease() const {
  std::lock_guard lock(mu_);
  return session_ ? session_->lease() : 0;
}

void LeaderElector::run() {
  // Ends at stop(); every round either leads or waits out retry_period.
  while (!stop_.cancelled()) {
    run_session();
    if (stop_.sleep_until(Clock::now() + options_.retry_period)) return;
  }
}

void LeaderElector::run_session() {
  auto session = Session::create(client_, SessionOptions{.ttl = options_.lease_duration},
                                 stop_.with_timeout_from_now(client_->options().request_timeout));
  if (!session) return;
  {
    std::lock_guard lock(mu_);
    session_ = *session;
  }
  Election election(*session, options_.name);
  auto won = election.campaign(options_.identity, stop_);
  // A win is only worth acting on if the lease is proven alive for longer than the margin.
  if (won && Clock::now() < (*session)->alive_until() - margin()) {
    LeadershipTerm term{.election = options_.name,
                        .identity = options_.identity,
                        .key = won->key,
                        .fencing_token = won->rev,
                        .lease = won->lease};
    OwnershipMonitor monitor(*session, won->key, won->rev, margin());
    {
      std::lock_guard lock(mu_);
      term_ = term;
    }
    if (options_.on_started_leading) options_.on_started_leading(term);
    // Bounded by stop(): wait_lost returns at the latest when stop_ is cancelled.
    std::optional<Error> why;
    while (!(why = monitor.wait_lost(Clock::time_point::max(), stop_)) && !stop_.cancelled()) {
    }
    if (!why) why = Error{.code = Code::kCancelled, .message = "elector stopped"};
    {
      std::lock_guard lock(mu_);
      term_.reset();
    }
    if (options_.on_stopped_leading) options_.on_stopped_leading(term, *why);
    election.resign(Context::with_timeout(std::chrono::seconds(1)));
  }
  (*session)->close(Context::with_timeout(std::chrono::seconds(1)));
  std::lock_guard lock(mu_);
  session_.reset();
}

}  // namespace regent::client
