#include "op_log.h"

#include <chrono>
#include <fstream>

namespace regent::chaos {

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

uint64_t run_micros() {
  static const auto start = std::chrono::steady_clock::now();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

void OpLog::record(const std::string& workload, uint64_t invoke_us, uint64_t complete_us,
                   Outcome outcome, const std::string& error) {
  std::lock_guard lock(mu_);
  samples_.push_back({workload, error, invoke_us, complete_us, outcome});
  if (outcome != Outcome::kOk) ++errors_[workload + " " + to_string(outcome) + ": " + error];
}

bool OpLog::write_tsv(const std::string& path) const {
  std::lock_guard lock(mu_);
  std::ofstream out(path);
  out << "workload\tinvoke_us\tcomplete_us\toutcome\terror\n";
  for (const auto& s : samples_) {
    out << s.workload << '\t' << s.invoke_us << '\t' << s.complete_us << '\t'
        << to_string(s.outcome) << '\t' << s.error << '\n';
  }
  return static_cast<bool>(out);
}

std::map<std::string, uint64_t> OpLog::errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}

std::vector<OpSample> OpLog::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

std::map<std::string, std::map<Outcome, uint64_t>> OpLog::counts() const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::map<Outcome, uint64_t>> out;
  for (const auto& s : samples_) ++out[s.workload][s.outcome];
  return out;
}

uint64_t OpLog::total() const {
  std::lock_guard lock(mu_);
  return samples_.size();
}

}  // namespace regent::chaos
