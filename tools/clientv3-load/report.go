package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// report uses regent-bench's JSON names, so scripts read both tools' output the same way.
type report struct {
	Tool           string           `json:"tool"`
	Client         string           `json:"client"`
	Workload       string           `json:"workload"`
	Clients        int              `json:"clients"`
	Conns          int              `json:"conns"`
	Total          int64            `json:"total"`
	OK             int64            `json:"ok"`
	Errors         int64            `json:"errors"`
	ErrorsByStatus map[string]int64 `json:"errors_by_status"`
	EmptyReads     int64            `json:"empty_reads"`
	Seconds        float64          `json:"seconds"`
	Throughput     float64          `json:"throughput"`
	Latency        latencySummary   `json:"latency_ms"`
}

func newReport(o options, r runResult, clientVersion string) report {
	seconds := r.elapsed.Seconds()
	throughput := 0.0
	if seconds > 0 {
		throughput = float64(r.ok) / seconds
	}
	name := o.workload
	if o.workload == "range" {
		name = map[bool]string{false: "range (linearizable)", true: "range (serializable)"}[o.serializable]
	}
	return report{
		Tool:           "clientv3-load",
		Client:         clientVersion,
		Workload:       name,
		Clients:        o.clients,
		Conns:          o.conns,
		Total:          r.ok + r.errors,
		OK:             r.ok,
		Errors:         r.errors,
		ErrorsByStatus: r.errorsByStatus,
		EmptyReads:     r.empty,
		Seconds:        seconds,
		Throughput:     throughput,
		Latency:        r.lat.summary(),
	}
}

func (r report) writeJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func (r report) writeText(w io.Writer) {
	fmt.Fprintf(w, "Summary (%s):\n", r.Client)
	fmt.Fprintf(w, "  %-16s%s (%d clients over %d connections)\n", "Workload:", r.Workload, r.Clients, r.Conns)
	fmt.Fprintf(w, "  %-16s%.4f secs.\n", "Total:", r.Seconds)
	fmt.Fprintf(w, "  %-16s%d (%d ok, %d errors)\n", "Requests:", r.Total, r.OK, r.Errors)
	fmt.Fprintf(w, "  %-16s%.1f\n", "Requests/sec:", r.Throughput)
	if r.EmptyReads > 0 {
		fmt.Fprintf(w, "  %-16s%d\n", "Empty reads:", r.EmptyReads)
	}
	fmt.Fprintf(w, "\nLatency (ms):\n")
	l := r.Latency
	for _, row := range []struct {
		label string
		value float64
	}{{"p50:", l.P50}, {"p90:", l.P90}, {"p99:", l.P99}, {"p99.9:", l.P999}, {"max:", l.Max}, {"mean:", l.Mean}} {
		fmt.Fprintf(w, "  %-16s%.3f\n", row.label, row.value)
	}
	if len(r.ErrorsByStatus) > 0 {
		fmt.Fprintf(w, "\nErrors:\n")
		names := make([]string, 0, len(r.ErrorsByStatus))
		for name := range r.ErrorsByStatus {
			names = append(names, name)
		}
		// Most frequent first.
		sort.Slice(names, func(i, j int) bool { return r.ErrorsByStatus[names[i]] > r.ErrorsByStatus[names[j]] })
		for _, name := range names {
			fmt.Fprintf(w, "  %10d  %s\n", r.ErrorsByStatus[name], name)
		}
	}
}
