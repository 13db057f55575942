// The progress line (--progress): once a second on stderr, the elapsed time, successes and
// errors so far, and the success rate over the last second.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "loadgen/reactor.h"

namespace regent::loadgen {

std::string progress_line(std::string_view label, double elapsed_s, uint64_t completed,
                          uint64_t errors, double rate_per_s);

class Progress {
 public:
  // `out` null: print nothing.
  Progress(std::FILE* out, std::string label, Clock::time_point start);

  // Time 0 of the lines becomes `start`.
  void restart(Clock::time_point start);
  // Prints a line when a second has passed since the last one (or since start).
  void tick(Clock::time_point now, uint64_t completed, uint64_t errors);

 private:
  std::FILE* out_;
  std::string label_;
  Clock::time_point start_;
  Clock::time_point last_;
  uint64_t last_completed_ = 0;
};

}  // namespace regent::loadgen
