// The run's report: the seed and command, the nemesis schedule, operations by workload and
// outcome, every violation with the smallest history that shows it, acknowledged writes lost,
// and notes. Printed and written to <dir>/report.txt; the last line is always
// "N operations, V violations, L acknowledged writes lost".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nemesis.h"
#include "op_log.h"
#include "options.h"
#include "workload.h"

namespace regent::chaos {

struct RunSummary {
  uint64_t operations = 0;
  uint64_t violations = 0;
  uint64_t acknowledged_lost = 0;
};

RunSummary write_report(const Options& options, const std::string& command,
                        const std::vector<FaultEvent>& schedule, const OpLog& log,
                        const std::vector<CheckResult>& checks,
                        const std::vector<std::string>& notes, const std::string& timeline);

std::string last_line(const RunSummary& s);

}  // namespace regent::chaos
