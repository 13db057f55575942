// regentd's flags, declared once: the command line, the config file (--config-file) and the
// environment (ETCD_*, REGENT_*) all name a setting by its flag, so a key or variable means
// exactly what the flag of the same name means and is checked by the same code.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/server.h"

namespace regent::regentd {

// What the flags fill in; `finish_settings` turns the text-valued ones into the server's types.
struct Settings {
  server::ServerOptions server;
  int64_t heartbeat_ms = 100;
  int64_t election_ms = 1000;
  std::string progress_interval = "10m";
  std::string lease_checkpoint_interval = "5s";
  std::string corrupt_check_time = "0s";
  std::string log_level = "info";
  // etcd 3.4's names: "capnslog" (its default) selects Regent's human-readable lines, "zap"
  // JSON lines as etcd's zap logger writes them.
  std::string logger = "capnslog";
  std::string config_file;
  std::string auth_token = "simple";
  int64_t auth_token_ttl_seconds = 300;
};

// A fresh CLI11 app whose options write into `settings`. Fresh each time because a CLI11 app
// keeps what it parsed; regentd parses several times (see settings.h).
std::unique_ptr<CLI::App> make_app(Settings& settings);

enum class FlagKind { kScalar, kList };

// The kind of regentd's flag `name` (long name, no dashes), or nullopt if regentd has none.
std::optional<FlagKind> flag_kind(std::string_view name);

// True for the flags etcd 3.4 has with the same meaning: these also read ETCD_<FLAG>.
bool shared_with_etcd(std::string_view name);

// Converts durations and levels once parsing is done; they were already checked by the flags'
// validators, so this cannot fail.
void finish_settings(Settings& settings);

}  // namespace regent::regentd
