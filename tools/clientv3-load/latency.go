package main

import (
	"sort"
	"time"
)

// latencies are the request times of one run, kept whole: a run at 20,000 requests a second for
// a minute is 1.2 M samples, under 10 MB, and exact percentiles need no bucket error analysis.
type latencies []time.Duration

func (l latencies) summary() latencySummary {
	if len(l) == 0 {
		return latencySummary{}
	}
	sorted := append(latencies(nil), l...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return latencySummary{
		P50:  ms(sorted.percentile(50)),
		P90:  ms(sorted.percentile(90)),
		P99:  ms(sorted.percentile(99)),
		P999: ms(sorted.percentile(99.9)),
		Max:  ms(sorted[len(sorted)-1]),
		Mean: ms(sum / time.Duration(len(sorted))),
	}
}

// percentile of sorted samples by the nearest-rank method: the smallest sample with at least p
// percent of the samples at or below it.
func (l latencies) percentile(p float64) time.Duration {
	rank := int(p/100*float64(len(l)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(l) {
		rank = len(l)
	}
	return l[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencySummary is in milliseconds, with regent-bench's JSON names.
type latencySummary struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}
