// What elect and lock do once they hold their key: wait for a signal (plain mode) or run the
// command under supervision (after `--`), then release; and the exit status that tells how it
// ended (command.h's codes, or the command's own status).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "client/session.h"
#include "command.h"

namespace regent::ctl {

struct HoldSettings {
  std::chrono::milliseconds grace{10000};  // SIGTERM -> SIGKILL
  std::chrono::milliseconds margin{0};     // Give up this long before the lease may expire.
  std::string what;                        // "leadership of election x", "lock x"
};

// Holds `key` (created at `revision` under the session's lease) until a signal, a loss, or
// (with g.exec) the command's end. `release` resigns or unlocks.
//  - plain: signal -> release, exit 0; loss -> exit 3.
//  - command: it exits -> release, its status; loss -> command stopped, exit 3;
//    signal -> command stopped, release, 128 + signal.
int hold(const Globals& g, const std::shared_ptr<client::Session>& session, const std::string& key,
         int64_t revision, const std::map<std::string, std::string>& env,
         const HoldSettings& settings, const std::function<void()>& release);

// "<hostname>/<pid>": a default identity for a campaign.
std::string default_identity();

}  // namespace regent::ctl
