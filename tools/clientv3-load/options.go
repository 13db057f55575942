package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// options are the command line, validated.
type options struct {
	workload       string
	endpoints      []string
	clients        int
	conns          int
	duration       time.Duration // 0: run until total requests are done
	total          int64         // 0: no count limit (then duration must be set)
	maxRun         time.Duration // hard bound on the measured run, whatever the other limits
	keySpaceSize   int64
	keySize        int
	valSize        int
	sequentialKeys bool
	serializable   bool
	timeout        time.Duration // per request
	seed           int64
	json           bool
}

const usage = `usage: clientv3-load put|range [flags]

  put     Put random keys of the key space (or each in turn with --sequential-keys)
  range   Get one key of the key space per request (the key space is put once first)

flags:
`

// parseOptions reads args (without the program name): the workload first, then flags.
func parseOptions(args []string, out io.Writer) (options, error) {
	var o options
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(out, usage)
		return o, errors.New("the first argument must name the workload: put or range")
	}
	o.workload = args[0]
	fs := flag.NewFlagSet("clientv3-load", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, usage); fs.PrintDefaults() }
	endpoints := fs.String("endpoints", "127.0.0.1:2379", "comma-separated host:port (or http://host:port) of the members")
	fs.IntVar(&o.clients, "clients", 1, "goroutines, each with one request in flight")
	fs.IntVar(&o.conns, "conns", 1, "clientv3.Client instances (TCP connections) shared round-robin by the clients")
	seconds := fs.Float64("duration", 0, "seconds to run (0: until --total requests are done)")
	fs.Int64Var(&o.total, "total", 0, "requests to send in all (0: until --duration ends)")
	maxSeconds := fs.Float64("max-seconds", 600, "the run stops after this long even if --total is not reached")
	fs.Int64Var(&o.keySpaceSize, "key-space-size", 100000, "distinct keys")
	fs.IntVar(&o.keySize, "key-size", 8, "bytes per key (\"k\" and the zero-padded index)")
	fs.IntVar(&o.valSize, "val-size", 256, "bytes per value")
	fs.BoolVar(&o.sequentialKeys, "sequential-keys", false, "request n uses key n mod key-space-size instead of a random key")
	consistency := fs.String("consistency", "l", "range only: l (linearizable) or s (serializable)")
	timeoutSeconds := fs.Float64("timeout", 10, "seconds before one request counts as failed")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the random key choice")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object instead of text")
	if err := fs.Parse(args[1:]); err != nil {
		return o, err
	}
	if fs.NArg() != 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	o.endpoints = splitEndpoints(*endpoints)
	o.duration = time.Duration(*seconds * float64(time.Second))
	o.maxRun = time.Duration(*maxSeconds * float64(time.Second))
	o.timeout = time.Duration(*timeoutSeconds * float64(time.Second))
	switch *consistency {
	case "l":
	case "s":
		o.serializable = true
	default:
		return o, fmt.Errorf("--consistency must be l or s, not %q", *consistency)
	}
	return o, o.validate()
}

func splitEndpoints(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func (o options) validate() error {
	switch {
	case o.workload != "put" && o.workload != "range":
		return fmt.Errorf("unknown workload %q (put or range)", o.workload)
	case len(o.endpoints) == 0:
		return errors.New("--endpoints: at least one endpoint is needed")
	case o.clients < 1 || o.conns < 1:
		return errors.New("--clients and --conns must be at least 1")
	case o.duration < 0 || o.total < 0:
		return errors.New("--duration and --total cannot be negative")
	case o.duration == 0 && o.total == 0:
		return errors.New("give --duration or --total (or both: whichever ends first)")
	case o.maxRun <= 0:
		return errors.New("--max-seconds must be positive")
	case o.keySpaceSize < 1 || o.valSize < 0 || o.timeout <= 0:
		return errors.New("--key-space-size and --timeout must be positive, --val-size not negative")
	case !keyFits(o.keySize, o.keySpaceSize):
		return fmt.Errorf("--key-space-size %d does not fit in keys of %d bytes", o.keySpaceSize, o.keySize)
	}
	return nil
}

// runLimit is how long the measured run may last: the duration if one was given, never more
// than maxRun.
func (o options) runLimit() time.Duration {
	if o.duration > 0 && o.duration < o.maxRun {
		return o.duration
	}
	return o.maxRun
}
