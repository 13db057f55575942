"""Bad input: oversized requests, inverted ranges, compares on missing keys, garbage on the
peer and client ports, empty keys. One 3-member cluster (--max-request-bytes 256 KiB).

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_bad_input.py
"""

import json
import os
import socket
import time
import unittest

import grpc

from regent_cluster import ClusterTestCase, client_module

etcd3 = client_module()
rpc = etcd3.etcdrpc

MAX_REQUEST_BYTES = 256 * 1024


class BadInputTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_shared_cluster(with_clients=True, max_request_bytes=MAX_REQUEST_BYTES)

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def ctl(self, *args, **kw):
        return self.cluster.etcdctl(*args, **kw)

    def assert_serving(self, tag):
        """Every member is alive, and puts and linearizable gets work through each of them."""
        c = self.cluster
        for i in range(3):
            self.assertTrue(c.alive(i), "member %s died (%s); log tail:\n%s" % (
                c.members[i].name, tag, c.log_tail(i)))
        for i in range(3):
            key = "serving/%s/%d" % (tag, i)
            c.etcdctl("put", key, "ok", endpoint=i)
            for j in range(3):
                self.assertEqual(c.etcdctl("get", key, "--print-value-only", endpoint=j).stdout, "ok\n")
        self.assertIsNotNone(c.wait_leader(timeout=10))

    def assertRpcError(self, code, text, fn, *args, **kw):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code(), code, cm.exception)
        self.assertIn(text, cm.exception.details())

    # ------------------------------------------------------------ request size
    def test_request_too_large(self):
        big = "x" * (MAX_REQUEST_BYTES + 64 * 1024)
        # etcdctl put reads the value from stdin when none is given on the command line.
        cp = self.ctl("put", "big/k", input=big, check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("etcdserver: request is too large", cp.stderr)
        self.assertEqual(self.ctl("get", "big/k").stdout, "")
        # The same through python etcd3, and through a follower.
        li = self.cluster.wait_leader()
        f = [i for i in range(3) if i != li][0]
        for i in (li, f):
            with self.assertRaises(grpc.RpcError) as cm:
                self.clients[i].put("big/k", big)
            self.assertIn("etcdserver: request is too large", cm.exception.details())
        # A txn whose ops add up to too much is refused too.
        t = self.clients[0].transactions
        half = "y" * (MAX_REQUEST_BYTES // 2 + 1024)
        with self.assertRaises(grpc.RpcError) as cm:
            self.clients[0].transaction(compare=[], success=[t.put("big/t1", half), t.put("big/t2", half)],
                                        failure=[])
        self.assertIn("etcdserver: request is too large", cm.exception.details())
        # Just under the limit is fine.
        ok = "z" * (MAX_REQUEST_BYTES - 4096)
        self.ctl("put", "big/ok", input=ok)
        self.assertEqual(self.ctl("get", "big/ok", "--print-value-only", endpoint=f).stdout, ok + "\n")
        self.assertEqual(self.ctl("get", "big/", "--prefix", "--keys-only").stdout.split(), ["big/ok"])
        self.assert_serving("toolarge")

    # ------------------------------------------------------------ ranges
    def test_range_end_not_after_key(self):
        # As etcd: a range end at or before the key names no key. Range answers nothing, DeleteRange
        # deletes nothing, on every member; neither is an error (`etcdctl get b a` relies on it).
        for k in ("re/a", "re/b", "re/c"):
            self.ctl("put", k, "v")
        c = self.clients[0]
        rev = self.cluster.revision(0)
        cases = [("re/b", "re/a"), ("re/b", "re/b"), ("re/c", "re/a")]
        for key, end in cases:
            for i in range(3):
                get = self.ctl("get", key, end, endpoint=i, check=False)
                self.assertEqual((get.returncode, get.stdout, get.stderr), (0, "", ""), (key, end, i))
            dele = self.ctl("del", key, end, check=False)
            self.assertEqual((dele.returncode, dele.stdout.strip()), (0, "0"), (key, end))
            self.assertEqual(list(c.get_range(key, end)), [])
            resp = c.kvstub.Range(rpc.RangeRequest(key=key.encode(), range_end=end.encode()), 10)
            self.assertEqual((list(resp.kvs), resp.count, resp.more), ([], 0, False))
            resp = c.kvstub.DeleteRange(rpc.DeleteRangeRequest(key=key.encode(), range_end=end.encode(),
                                                               prev_kv=True), 10)
            self.assertEqual((resp.deleted, list(resp.prev_kvs)), (0, []))
        # In a txn too: the ops answer nothing and delete nothing.
        txn = json.loads(self.ctl("txn", "--interactive=false", "-w", "json",
                                  input="\nget re/b re/a\ndel re/c re/a\n\n\n").stdout)
        self.assertTrue(txn.get("succeeded", False))
        self.assertEqual(txn["responses"][0]["Response"]["ResponseRange"].get("count", 0), 0)
        self.assertEqual(txn["responses"][1]["Response"]["ResponseDeleteRange"].get("deleted", 0), 0)
        # Nothing spent a revision.
        self.assertEqual(self.cluster.revision(0), rev)
        # Nothing was deleted.
        self.assertEqual(self.ctl("get", "re/", "--prefix", "--keys-only").stdout.split(),
                         ["re/a", "re/b", "re/c"])
        # range_end "\0" means "every key >= key" on both systems.
        resp = c.kvstub.Range(rpc.RangeRequest(key=b"re/b", range_end=b"\0", keys_only=True), 10)
        keys = [kv.key for kv in resp.kvs]
        self.assertEqual(keys[:2], [b"re/b", b"re/c"])
        self.assertEqual(keys, sorted(keys))
        # A proper range still works.
        self.assertEqual([m.key for _, m in c.get_range("re/a", "re/c")], [b"re/a", b"re/b"])

    # ------------------------------------------------------------ txn on a missing key
    def test_txn_compare_missing_key(self):
        def txn(compare):
            body = compare + "\n\nput tm/r success\n\nput tm/r failure\n\n"
            out = json.loads(self.ctl("txn", "--interactive=false", "-w", "json", input=body).stdout)
            return out.get("succeeded", False), self.ctl("get", "tm/r", "--print-value-only").stdout.strip()
        self.assertEqual(txn('value("tm/missing") = "x"'), (False, "failure"))
        self.assertEqual(txn('value("tm/missing") = ""'), (False, "failure"))
        self.assertEqual(txn('value("tm/missing") != "x"'), (False, "failure"))
        self.assertEqual(txn('version("tm/missing") = "0"'), (True, "success"))
        self.assertEqual(txn('version("tm/missing") > "0"'), (False, "failure"))
        self.assertEqual(txn('create("tm/missing") = "0"'), (True, "success"))
        self.assertEqual(txn('mod("tm/missing") < "1"'), (True, "success"))

    # ------------------------------------------------------------ garbage on the wire
    def send_raw(self, port, payload, read=True):
        """Connect, send payload, read whatever comes back for a moment, close. Returns the reply."""
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        reply = b""
        try:
            try:
                s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                return reply
            if read:
                s.settimeout(0.5)
                deadline = time.monotonic() + 1
                for _ in range(100):
                    if time.monotonic() > deadline:
                        break
                    try:
                        chunk = s.recv(65536)
                    except (socket.timeout, ConnectionResetError):
                        break
                    if not chunk:
                        break
                    reply += chunk
        finally:
            s.close()
        return reply

    def garbage_payloads(self, port):
        rnd = os.urandom(64 * 1024)
        http = ("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % port).encode()
        h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(16 * 1024)
        huge_header = ("GET / HTTP/1.1\r\nHost: x\r\nX-Junk: %s\r\n\r\n" % ("a" * 200000)).encode()
        return [("random 64KiB", rnd), ("HTTP/1.1 GET", http), ("HTTP/2 preface + garbage", h2),
                ("HTTP/1.1 200 KB header", huge_header), ("half a request", http[:10])]

    def test_garbage_on_peer_port(self):
        c = self.cluster
        for i in range(3):
            for what, payload in self.garbage_payloads(c.members[i].peer_port):
                self.send_raw(c.members[i].peer_port, payload)
        # Many connections at once, some left open while the cluster works.
        held = [socket.create_connection(("127.0.0.1", c.members[0].peer_port), timeout=5) for _ in range(20)]
        try:
            for s in held:
                s.sendall(os.urandom(1024))
            self.assert_serving("peer")
        finally:
            for s in held:
                s.close()
        self.assert_serving("peer2")

    def test_garbage_on_client_port(self):
        c = self.cluster
        for i in range(3):
            port = c.members[i].client_port
            for what, payload in self.garbage_payloads(port):
                self.send_raw(port, payload)
        held = [socket.create_connection(("127.0.0.1", c.members[1].client_port), timeout=5) for _ in range(20)]
        try:
            for s in held:
                s.sendall(os.urandom(1024))
            self.assert_serving("client")
        finally:
            for s in held:
                s.close()
        self.assert_serving("client2")

    # ------------------------------------------------------------ empty key
    def test_empty_key(self):
        cp = self.ctl("put", "", "v", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("etcdserver: key is not provided", cp.stderr)
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "etcdserver: key is not provided",
                            self.clients[1].put, "", "v")
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "etcdserver: key is not provided",
                            self.clients[2].delete, "")
        t = self.clients[0].transactions
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "etcdserver: key is not provided",
                            self.clients[0].transaction, compare=[], success=[t.put("", "v")], failure=[])
        self.assert_serving("emptykey")


if __name__ == "__main__":
    unittest.main()
