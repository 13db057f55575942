#include "timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>

#include "process.h"

namespace regent::chaos {

Expected<std::string, std::string> write_timeline(const std::string& dir,
                                                  const std::vector<OpSample>& samples,
                                                  const std::vector<FaultEvent>& faults,
                                                  const std::string& title) {
  // Per second: ok, failed, unknown completions.
  std::map<uint64_t, std::array<uint64_t, 3>> per_second;
  for (const auto& s : samples) ++per_second[s.complete_us / 1000000][static_cast<int>(s.outcome)];
  {
    std::ofstream rate(dir + "/throughput.dat");
    for (const auto& [sec, c] : per_second)
      rate << sec << ' ' << c[0] << ' ' << c[1] << ' ' << c[2] << '\n';
    // Latency of ok operations per second (median, 99th percentile, max), so that the picture
    // stays small however many operations ran; failed and unknown ones are drawn one by one.
    std::map<uint64_t, std::vector<uint64_t>> ok_latency;
    std::ofstream bad(dir + "/latency-failed.dat");
    // At most kPointsPerSecond failed and unknown ones per second and outcome: a partition can
    // fail thousands a second, and the throughput plot already counts them.
    constexpr int kPointsPerSecond = 25;
    std::map<std::pair<uint64_t, Outcome>, int> drawn;
    for (const auto& s : samples) {
      const uint64_t latency = s.complete_us - s.invoke_us;
      if (s.outcome == Outcome::kOk) {
        ok_latency[s.invoke_us / 1000000].push_back(latency);
      } else if (drawn[{s.invoke_us / 1000000, s.outcome}]++ < kPointsPerSecond) {
        bad << fmt::format("{:.3f} {:.3f} {}\n", s.invoke_us / 1e6, latency / 1e3,
                           static_cast<int>(s.outcome));
      }
    }
    std::ofstream lat(dir + "/latency.dat");
    for (auto& [sec, v] : ok_latency) {
      std::sort(v.begin(), v.end());
      lat << fmt::format("{}.5 {:.3f} {:.3f} {:.3f}\n", sec, v[v.size() / 2] / 1e3,
                         v[v.size() * 99 / 100] / 1e3, v.back() / 1e3);
    }
  }
  std::string gp = fmt::format(
      "set terminal svg size 1400,700 dynamic background rgb 'white'\n"
      "set output '{0}/timeline.svg'\n"
      "set multiplot layout 2,1 title '{1}'\n"
      "set xlabel 'seconds since start'\n"
      "set grid\n",
      dir, title);
  int id = 1;
  for (const auto& f : faults) {
    gp += fmt::format(
        "set object {} rect from {:.2f}, graph 0 to {:.2f}, graph 1 fc rgb '#ffcc99' fs solid 0.4 "
        "noborder behind\n"
        "set label {} '{}' at {:.2f}, graph 0.97 font ',8' rotate by 90 right\n",
        id, f.start_us / 1e6, f.end_us / 1e6, id, f.kind, f.start_us / 1e6 + 0.2);
    ++id;
  }
  gp += fmt::format(
      "set ylabel 'operations / s'\n"
      "plot '{0}/throughput.dat' using 1:2 with steps lw 2 lc rgb '#2a7' title 'ok', "
      "'' using 1:3 with steps lc rgb '#c33' title 'failed', "
      "'' using 1:4 with steps lc rgb '#f90' title 'unknown'\n"
      "set ylabel 'latency (ms, log)'\n"
      "set logscale y\n"
      "plot '{0}/latency.dat' using 1:2 with steps lw 2 lc rgb '#2a7' title 'ok p50', "
      "'' using 1:3 with steps lc rgb '#27a' title 'ok p99', "
      "'' using 1:4 with steps lc rgb '#999' title 'ok max', "
      "'{0}/latency-failed.dat' using 1:($3==1?$2:1/0) with points pt 7 ps 0.3 lc rgb '#c33' "
      "title 'failed', '' using 1:($3==2?$2:1/0) with points pt 7 ps 0.4 lc rgb '#f90' "
      "title 'unknown'\n"
      "unset multiplot\n",
      dir);
  const std::string script = dir + "/timeline.gp";
  {
    std::ofstream out(script);
    out << gp;
  }
  if (auto r =
          run_ok(SpawnSpec{.argv = {"/usr/bin/gnuplot", script}, .log_path = dir + "/gnuplot.log"},
                 std::chrono::seconds(60));
      !r) {
    return unexpected("gnuplot: " + r.error());
  }
  return dir + "/timeline.svg";
}

}  // namespace regent::chaos
