package main

import (
	"context"
	"strings"

	"go.etcd.io/etcd/clientv3"
)

// request sends one request for key through c; empty reports a read that found no key.
type request func(ctx context.Context, c *clientv3.Client, key string) (empty bool, err error)

func putRequest(valSize int) request {
	value := strings.Repeat("v", valSize)
	return func(ctx context.Context, c *clientv3.Client, key string) (bool, error) {
		_, err := c.Put(ctx, key, value)
		return false, err
	}
}

func rangeRequest(serializable bool) request {
	var opts []clientv3.OpOption
	if serializable {
		opts = append(opts, clientv3.WithSerializable())
	}
	return func(ctx context.Context, c *clientv3.Client, key string) (bool, error) {
		resp, err := c.Get(ctx, key, opts...)
		if err != nil {
			return false, err
		}
		return len(resp.Kvs) == 0, nil
	}
}
