package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"google.golang.org/grpc/status"
)

// counts is what one goroutine saw; merged once every goroutine has stopped.
type counts struct {
	lat            latencies
	ok, errors     int64
	empty          int64
	errorsByStatus map[string]int64
}

func (c *counts) add(other *counts) {
	c.lat = append(c.lat, other.lat...)
	c.ok += other.ok
	c.errors += other.errors
	c.empty += other.empty
	for what, n := range other.errorsByStatus {
		c.errorsByStatus[what] += n
	}
}

// runResult is one measured run.
type runResult struct {
	counts
	elapsed time.Duration
}

// run sends requests from o.clients goroutines until o.total requests were issued or the run
// limit passes, whichever comes first. Every goroutine's loop is bounded both ways: by the shared
// request count (when set) and by the deadline, which is always set.
func run(o options, conns []*clientv3.Client, send request) runResult {
	var issued int64
	start := time.Now()
	deadline := start.Add(o.runLimit())
	perClient := make([]counts, o.clients)
	var wg sync.WaitGroup
	for g := 0; g < o.clients; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			mine := &perClient[g]
			mine.errorsByStatus = map[string]int64{}
			keys := newKeyChooser(o, g)
			conn := conns[g%len(conns)]
			for time.Now().Before(deadline) {
				n := atomic.AddInt64(&issued, 1) - 1
				if o.total > 0 && n >= o.total {
					return
				}
				sendOne(o, conn, send, keys.key(n), mine)
			}
		}(g)
	}
	wg.Wait()
	out := runResult{counts: counts{errorsByStatus: map[string]int64{}}, elapsed: time.Since(start)}
	for g := range perClient {
		out.add(&perClient[g])
	}
	return out
}

func sendOne(o options, conn *clientv3.Client, send request, key string, into *counts) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	began := time.Now()
	empty, err := send(ctx, conn, key)
	took := time.Since(began)
	cancel()
	if err != nil {
		into.errors++
		into.errorsByStatus[errorName(err)]++
		return
	}
	into.ok++
	into.lat = append(into.lat, took)
	if empty {
		into.empty++
	}
}

// errorName groups errors by gRPC code and message, as regent-bench's errors_by_status does.
func errorName(err error) string {
	if s, ok := status.FromError(err); ok {
		return s.Code().String() + ": " + s.Message()
	}
	return err.Error()
}
