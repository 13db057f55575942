// Command clientv3-load is a small load generator built on etcd's own Go client
// (go.etcd.io/etcd/clientv3, Debian's golang-etcd-server-dev), so that a throughput figure
// for Regent does not rest on our own client alone: the same cluster measured with
// regent-bench (C++, our gRPC code) and with this program (etcd's client, grpc-go) should
// tell the same story.
//
// Workloads, chosen by the first argument:
//
//	put     Put of a key from the key space, with a value of --val-size bytes
//	range   single-key Range (Get) of a key from the key space, --consistency l
//	        (linearizable, the default) or s (serializable); the key space is put once
//	        first, before the clock starts, so that reads find data
//
// --clients goroutines each send one request at a time; they share --conns clientv3.Client
// instances round-robin (client i uses connection i % conns). Connection j talks to endpoint
// j % len(endpoints) only, so --conns counts TCP connections as regent-bench's --conns does
// (one clientv3.Client given several endpoints would spread its calls over all of them).
//
// Keys are "k" followed by the key's index, zero-padded to --key-size bytes: the same names
// regent-bench uses, so either tool reads what the other wrote.
//
// Built in GOPATH mode against /usr/share/gocode, offline (scripts/build-clientv3-load).
package main
