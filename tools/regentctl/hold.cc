#include "hold.h"

#include <fmt/format.h>
#include <unistd.h>

#include "client/ownership.h"
#include "supervisor.h"

namespace regent::ctl {

using Clock = std::chrono::steady_clock;

std::string default_identity() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return fmt::format("{}/{}", host, ::getpid());
}

namespace {

void close_session(const std::shared_ptr<client::Session>& session) {
  session->close(client::Context::with_timeout(std::chrono::seconds(2)));
}

}  // namespace

int hold(const Globals& g, const std::shared_ptr<client::Session>& session, const std::string& key,
         int64_t revision, const std::map<std::string, std::string>& env,
         const HoldSettings& settings, const std::function<void()>& release) {
  const auto margin = settings.margin.count() > 0
                          ? Clock::duration(settings.margin)
                          : std::chrono::duration_cast<Clock::duration>(session->ttl()) / 5;
  client::OwnershipMonitor monitor(session, key, revision, margin);
  if (g.exec.empty()) {
    // Ends on a signal or a loss; each round waits until one of them (or an hour) passes.
    for (;;) {
      if (auto lost = monitor.wait_lost(Clock::now() + std::chrono::hours(1), interrupted())) {
        close_session(session);
        report(fmt::format("{} lost: {}", settings.what, lost->message));
        return kExitLost;
      }
      if (interrupted().cancelled()) {
        release();
        close_session(session);
        return kExitOk;
      }
    }
  }
  auto child = Child::spawn(g.exec, env);
  if (!child) {
    release();
    close_session(session);
    return report(child.error());
  }
  fmt::print(stderr, "regentctl: holding {} (key {}, fencing token {}); started {} (pid {})\n",
             settings.what, key, revision, g.exec[0], child->pid());
  const Supervised out = supervise(*child, monitor, settings.grace);
  switch (out.ending) {
    case Supervised::Ending::kExited:
      release();
      close_session(session);
      return out.status;
    case Supervised::Ending::kLost:
      close_session(session);
      fmt::print(stderr, "regentctl: {} lost ({}); the command was stopped (status {})\n",
                 settings.what, out.why, out.status);
      return kExitLost;
    case Supervised::Ending::kSignal:
      release();
      close_session(session);
      return 128 + received_signal();
  }
  return kExitError;
}

}  // namespace regent::ctl
