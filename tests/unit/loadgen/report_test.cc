#include "loadgen/report.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "loadgen/progress.h"

namespace regent::loadgen {
namespace {

Report sample_report() {
  Report r;
  r.workload = "put";
  r.clients = 16;
  r.conns = 4;
  r.total = 1003;
  r.ok = 1000;
  r.errors = 3;
  r.errors_by_status = {{"UNAVAILABLE: etcdserver: no leader", 2},
                        {"DEADLINE_EXCEEDED: Deadline Exceeded", 1}};
  r.seconds = 2.0;
  r.latency = {.p50_ms = 1.5,
               .p90_ms = 2.25,
               .p99_ms = 4.0,
               .p999_ms = 8.125,
               .max_ms = 9.0,
               .mean_ms = 1.75};
  return r;
}

TEST(ReportTest, JsonHasEveryFieldInOrder) {
  EXPECT_EQ(format_json(sample_report()),
            R"({"workload":"put","clients":16,"conns":4,"total":1003,"ok":1000,"errors":3,)"
            R"("errors_by_status":{"DEADLINE_EXCEEDED: Deadline Exceeded":1,)"
            R"("UNAVAILABLE: etcdserver: no leader":2},"seconds":2.000000,)"
            R"("throughput":500.000,"latency_ms":{"p50":1.500000,"p90":2.250000,)"
            R"("p99":4.000000,"p999":8.125000,"max":9.000000,"mean":1.750000}})");
}

TEST(ReportTest, JsonAddsMaxGapAndWatchFieldsOnlyWhenSet) {
  Report r = sample_report();
  r.errors_by_status.clear();
  r.max_gap = MaxGap{.length_ms = 1234.5, .at_s = 3.25};
  r.missed_events = 0;
  r.puts_ok = 10;
  const std::string json = format_json(r);
  EXPECT_NE(json.find(R"("errors_by_status":{},)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("max_gap_ms":1234.500000,"max_gap_at_s":3.250000)"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("puts_ok":10,"missed_events":0})"), std::string::npos) << json;
  EXPECT_EQ(format_json(sample_report()).find("max_gap"), std::string::npos);
  EXPECT_EQ(format_json(sample_report()).find("missed_events"), std::string::npos);
}

TEST(ReportTest, JsonEscapesStringsAndRefusesNonFiniteNumbers) {
  Json j;
  j.begin_object();
  j.key("a\"b").string("line\nbreak\t\\ \x01");
  j.key("nan").fixed(std::nan(""), 3);
  j.key("n").number(-5);
  j.key("o").begin_object().end_object();
  j.end_object();
  EXPECT_EQ(j.str(), R"({"a\"b":"line\nbreak\t\\ \u0001","nan":null,"n":-5,"o":{}})");
}

TEST(ReportTest, HumanSummaryIsAlignedLikeEtcdsBenchmark) {
  const std::string text = format_human(sample_report());
  EXPECT_NE(text.find("Summary:\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Total:          2.0000 secs.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Requests/sec:   500.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Requests:       1003 (1000 ok, 3 errors)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  p99.9:          8.125\n"), std::string::npos) << text;
  // Errors, the most frequent first.
  const auto no_leader = text.find("2  UNAVAILABLE: etcdserver: no leader");
  const auto deadline = text.find("1  DEADLINE_EXCEEDED: Deadline Exceeded");
  ASSERT_NE(no_leader, std::string::npos) << text;
  ASSERT_NE(deadline, std::string::npos) << text;
  EXPECT_LT(no_leader, deadline);
  EXPECT_EQ(text.find("Max gap"), std::string::npos);
}

TEST(ReportTest, HumanSummaryNamesGapsAndMissedEvents) {
  Report r = sample_report();
  r.max_gap = MaxGap{.length_ms = 1500, .at_s = 2.5};
  r.missed_events = 3;
  r.puts_ok = 100;
  const std::string text = format_human(r);
  EXPECT_NE(text.find("Max gap: 1500.000 ms without a success, starting 2.500 s into the run"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Missed events: 3"), std::string::npos) << text;
  EXPECT_NE(text.find("Events/sec:"), std::string::npos) << text;
  EXPECT_NE(text.find("  Puts:           1003 (100 ok)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  Events:         1000 (3 errors)\n"), std::string::npos) << text;
  r.missed_events = 0;
  EXPECT_NE(format_human(r).find("Every watcher saw every put."), std::string::npos);
}

TEST(ReportTest, ThroughputIsZeroWithoutMeasuredTime) {
  Report r = sample_report();
  r.seconds = 0;
  EXPECT_EQ(r.throughput(), 0);
}

TEST(ReportTest, SummarizeReadsTheHistogramInMilliseconds) {
  Histogram h;
  for (int i = 1; i <= 100; ++i) h.record(i * 1'000'000);  // 1 .. 100 ms
  const LatencySummary s = summarize(h);
  EXPECT_NEAR(s.p50_ms, 50, 50.0 / 256);
  EXPECT_NEAR(s.p90_ms, 90, 90.0 / 256);
  EXPECT_NEAR(s.p99_ms, 99, 99.0 / 256);
  EXPECT_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
}

TEST(ReportTest, ProgressLineShowsElapsedCountsAndRate) {
  EXPECT_EQ(progress_line("put", 3.04, 12345, 7, 4100.26),
            "[put]     3.0s  completed     12345  errors       7  rate    4100.3/s");
}

}  // namespace
}  // namespace regent::loadgen
