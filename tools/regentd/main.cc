// regentd: one member of a Regent cluster. Flags are etcd's where the meaning is the same, so
// an operator who knows etcd can start a cluster without learning new words; so are the config
// file and the environment variables (settings.h).
#include <absl/synchronization/mutex.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "member_logger.h"
#include "server/server.h"
#include "settings.h"
#include "systemd_notify.h"

int main(int argc, char** argv) {
  // Debian builds abseil with mutex deadlock detection on: every gRPC mutex acquisition then
  // updates a global lock graph, a few percent of the CPU under load (GraphCycles in a profile).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> args(argv, argv + argc);
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  auto loaded = regent::regentd::load_settings(args, environment);
  if (!loaded) {
    const auto& f = loaded.error();
    std::fprintf(f.is_help ? stdout : stderr, "%s%s", f.is_help ? "" : "regentd: ", f.text.c_str());
    if (!f.text.ends_with('\n')) std::fputc('\n', f.is_help ? stdout : stderr);
    return f.exit_code;
  }
  auto settings = loaded->settings;
  // The test variant's broken ordering (regentd-faulty; server/node/fault_points.h), named by a
  // variable no operator sets. A regentd built without the fault points refuses to start with
  // one (NodeCore::start), so setting it by mistake cannot weaken a real member.
  if (const char* fault = std::getenv("REGENT_TEST_NODE_FAULT"); fault != nullptr) {
    auto parsed = regent::server::node_fault_from_string(fault);
    if (!parsed) {
      std::fprintf(stderr, "regentd: REGENT_TEST_NODE_FAULT=%s names no fault point\n", fault);
      return 2;
    }
    settings.server.node_fault = *parsed;
  }
  regent::regentd::MemberLogger logger(settings.server.cluster.name,
                                       regent::regentd::log_level(settings.log_level),
                                       regent::regentd::log_format(settings.logger));
  for (const auto& notice : loaded->notices) logger.log(notice.level, notice.text);

  // Signals are taken synchronously by this thread; every thread started later inherits the
  // mask, so no gRPC or Raft thread is ever interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = regent::server::Server::start(settings.server, logger);
  if (!server) {
    logger.log(regent::LogLevel::kError, server.error());
    return 1;
  }
  if (!regent::regentd::notify_ready()) {
    logger.warn("could not tell systemd the member is ready ($NOTIFY_SOCKET)");
  }
  const timespec poll{.tv_sec = 0, .tv_nsec = 200'000'000};
  while (true) {
    const int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGTERM || sig == SIGINT) {
      logger.info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      regent::regentd::notify_stopping();
      break;
    }
    if ((*server)->failed()) {
      (*server)->shutdown();
      return 1;
    }
  }
  (*server)->shutdown();
  return 0;
}
