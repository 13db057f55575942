package main

import (
	"fmt"
	"os"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/version"
)

func main() {
	o, err := parseOptions(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "clientv3-load: %v\n", err)
		os.Exit(2)
	}
	conns, err := connect(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "clientv3-load: %v\n", err)
		os.Exit(1)
	}
	defer closeAll(conns)
	send := putRequest(o.valSize)
	if o.workload == "range" {
		preload(o, conns)
		send = rangeRequest(o.serializable)
	}
	r := newReport(o, run(o, conns, send), "etcd clientv3 "+version.Version)
	if o.json {
		err = r.writeJSON(os.Stdout)
	} else {
		r.writeText(os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "clientv3-load: %v\n", err)
		os.Exit(1)
	}
}

// connect makes o.conns clients; client j talks to endpoint j % len(endpoints) only.
func connect(o options) ([]*clientv3.Client, error) {
	conns := make([]*clientv3.Client, 0, o.conns)
	for j := 0; j < o.conns; j++ {
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   []string{o.endpoints[j%len(o.endpoints)]},
			DialTimeout: 5 * time.Second,
		})
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connecting to %s: %v", o.endpoints[j%len(o.endpoints)], err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*clientv3.Client) {
	for _, c := range conns {
		c.Close()
	}
}

// preload puts every key of the space once, before the measured run, so that reads find data.
func preload(o options, conns []*clientv3.Client) {
	p := o
	p.workload = "put"
	p.total = o.keySpaceSize
	p.duration = 0
	p.sequentialKeys = true
	if int64(p.clients) > p.total {
		p.clients = int(p.total)
	}
	r := run(p, conns, putRequest(o.valSize))
	if r.errors > 0 || r.ok < p.total {
		fmt.Fprintf(os.Stderr, "clientv3-load: preload put %d of %d keys (%d errors); reads of the rest find nothing\n",
			r.ok, p.total, r.errors)
	}
}
