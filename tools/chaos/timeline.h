// The run's timeline as a picture: operations completed per second by outcome, the latency of
// each ok operation, and the faults as shaded spans, drawn by gnuplot (Debian's gnuplot-nox)
// into an SVG beside the report.
#pragma once

#include <string>
#include <vector>

#include "nemesis.h"
#include "op_log.h"

namespace regent::chaos {

// Writes <dir>/timeline.dat, timeline.gp and timeline.svg. Returns the SVG's path, or an error
// (gnuplot missing or failing: the run's verdict does not depend on the picture).
Expected<std::string, std::string> write_timeline(const std::string& dir,
                                                  const std::vector<OpSample>& samples,
                                                  const std::vector<FaultEvent>& faults,
                                                  const std::string& title);

}  // namespace regent::chaos
