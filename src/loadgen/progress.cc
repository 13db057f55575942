#include "loadgen/progress.h"

#include <fmt/format.h>

namespace regent::loadgen {

std::string progress_line(std::string_view label, double elapsed_s, uint64_t completed,
                          uint64_t errors, double rate_per_s) {
  return fmt::format("[{}] {:7.1f}s  completed {:>9}  errors {:>7}  rate {:>9.1f}/s", label,
                     elapsed_s, completed, errors, rate_per_s);
}

Progress::Progress(std::FILE* out, std::string label, Clock::time_point start)
    : out_(out), label_(std::move(label)), start_(start), last_(start) {}

void Progress::restart(Clock::time_point start) {
  start_ = start;
  last_ = start;
}

void Progress::tick(Clock::time_point now, uint64_t completed, uint64_t errors) {
  if (out_ == nullptr || now - last_ < std::chrono::seconds(1)) return;
  const double since_last = std::chrono::duration<double>(now - last_).count();
  const double rate = static_cast<double>(completed - last_completed_) / since_last;
  const std::string line = progress_line(
      label_, std::chrono::duration<double>(now - start_).count(), completed, errors, rate);
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
  last_ = now;
  last_completed_ = completed;
}

}  // namespace regent::loadgen
