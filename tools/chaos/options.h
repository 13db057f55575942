// regent-chaos's command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"

namespace regent::chaos {

struct Options {
  std::string server;  // Path of the binary; "etcd" means /usr/bin/etcd.
  int members = 3;
  int seconds = 60;
  std::vector<std::string> nemeses;
  std::vector<std::string> workloads;
  uint64_t seed = 0;
  int workers = 0;  // 0: 3 per workload.
  std::string dir;  // The run's directory (data, logs, report); empty: chaos-runs/<stamp>.
  std::vector<std::string> member_env;  // NAME=VALUE for every member (the faulty build's).
  bool expect_violation = false;        // Exit 0 only if a violation was found (checker proofs).
  bool keep_data = false;
  // With the power nemesis: synced/unsynced_loss_preload.cc, built as a shared library.
  std::string unsynced_loss_library;
};

// Parses argv; an error is the message to print (CLI11's, or ours for a bad list item).
Expected<Options, std::string> parse_options(int argc, char** argv, int* exit_code);

const std::vector<std::string>& known_workloads();

}  // namespace regent::chaos
