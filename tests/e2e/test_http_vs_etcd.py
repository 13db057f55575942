"""The HTTP face beside etcd 3.4's (issue 14): the same requests, as curl would send them, to a
one-member etcd 3.4 and a one-member Regent, each fresh; the answers must agree in status code,
in the fields present and their JSON types, and in every value that does not name the cluster
(keys, values, versions, counts, revisions, errors, health). A field etcd leaves out (a zero
value) must be left out by Regent too.

Needs etcd 3.4 at /usr/bin/etcd (Debian's etcd-server, installed by scripts/install-deps.sh).
Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_http_vs_etcd.py
"""

import base64
import http.client
import json
import os
import socket
import unittest

from regent_cluster import Cluster

ETCD = "/usr/bin/etcd"

# Values that name the cluster or the moment, not the data: compared by type only.
IDENTITY_FIELDS = {"cluster_id", "member_id", "raft_term", "ID", "id"}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def request(port, method, path, body=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        conn.request(method, path, body=data)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def first_stream_line(port, path, body, timeout=10):
    """The first JSON object of a streaming answer (etcd's gateway sends one per line)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        data = json.dumps(body).encode()
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s"
                     % (path.encode(), len(data), data))
        got = b""
        for _ in range(200):  # Bounded: each recv waits at most `timeout`.
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
            head, _, rest = got.partition(b"\r\n\r\n")
            start = rest.find(b"{")
            end = rest.find(b"}\n", start) if start >= 0 else -1
            if end < 0:
                end = rest.find(b"}\r\n", start) if start >= 0 else -1
            if start >= 0 and end >= 0:
                return int(head.split(b" ")[1]), json.loads(rest[start:end + 1])
        raise AssertionError("no JSON object in the stream's answer: %r" % got)
    finally:
        sock.close()


class HttpFaceAgainstEtcdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(ETCD, os.X_OK):
            raise AssertionError("%s is missing: run scripts/install-deps.sh" % ETCD)
        cls.etcd = Cluster(1, binary=ETCD)
        cls.regent = Cluster(1)
        for c in (cls.etcd, cls.regent):
            c.start()
            c.wait_leader()

    @classmethod
    def tearDownClass(cls):
        cls.regent.close()
        cls.etcd.close()

    def both(self, method, path, body=None):
        """The same request to each: ((status, json), (status, json)) for etcd and Regent."""
        out = []
        for c in (self.etcd, self.regent):
            status, data = request(c.members[0].client_port, method, path, body)
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = data.decode(errors="replace")
            out.append((status, parsed))
        return out

    def assert_same(self, etcd, regent, where="$"):
        if isinstance(etcd, dict):
            self.assertIsInstance(regent, dict, where)
            self.assertEqual(sorted(regent), sorted(etcd),
                             "%s: fields differ from etcd's (etcd %r, Regent %r)"
                             % (where, etcd, regent))
            for k in etcd:
                if k in IDENTITY_FIELDS:
                    self.assertEqual(type(regent[k]), type(etcd[k]), "%s.%s" % (where, k))
                else:
                    self.assert_same(etcd[k], regent[k], "%s.%s" % (where, k))
        elif isinstance(etcd, list):
            self.assertIsInstance(regent, list, where)
            self.assertEqual(len(regent), len(etcd), where)
            for i, (e, r) in enumerate(zip(etcd, regent)):
                self.assert_same(e, r, "%s[%d]" % (where, i))
        else:
            self.assertEqual(regent, etcd, where)

    def exchange(self, method, path, body=None):
        (es, ej), (rs, rj) = self.both(method, path, body)
        self.assertEqual(rs, es, "%s %s %r: status %d, etcd's %d (%r / %r)"
                         % (method, path, body, rs, es, rj, ej))
        self.assert_same(ej, rj, "%s %s" % (method, path))
        return ej

    def test_1_kv_requests_answer_as_etcds(self):
        self.exchange("POST", "/v3/kv/put", {"key": b64("cmp/a"), "value": b64("1")})
        self.exchange("POST", "/v3/kv/put",
                      {"key": b64("cmp/a"), "value": b64("2"), "prev_kv": True})
        self.exchange("POST", "/v3/kv/put", {"key": b64("cmp/b"), "value": b64("3")})
        self.exchange("POST", "/v3/kv/range", {"key": b64("cmp/a")})
        self.exchange("POST", "/v3/kv/range",
                      {"key": b64("cmp/"), "range_end": b64("cmp0"), "count_only": True})
        self.exchange("POST", "/v3/kv/range", {"key": b64("cmp/none")})
        self.exchange("POST", "/v3/kv/txn", {
            "compare": [{"key": b64("cmp/a"), "result": "EQUAL", "target": "VALUE",
                         "value": b64("2")}],
            "success": [{"request_range": {"key": b64("cmp/b")}}],
            "failure": [{"request_put": {"key": b64("cmp/c"), "value": b64("x")}}]})
        self.exchange("POST", "/v3/kv/deleterange", {"key": b64("cmp/b"), "prev_kv": True})
        self.exchange("POST", "/v3beta/kv/range", {"key": b64("cmp/a")})

    def test_2_errors_answer_as_etcds(self):
        self.exchange("POST", "/v3/kv/put", {"value": b64("no key")})
        self.exchange("POST", "/v3/kv/range", {"key": b64("k"), "revision": "999999"})
        self.exchange("POST", "/v3/lease/timetolive", {"ID": "12345"})
        self.exchange("POST", "/v3/lease/revoke", {"ID": "12345"})

    def test_3_leases_health_and_version(self):
        granted = self.exchange("POST", "/v3/lease/grant", {"TTL": 60})
        self.assertEqual(granted["TTL"], "60")
        self.exchange("GET", "/health")
        (es, ev), (rs, rv) = self.both("GET", "/version")
        self.assertEqual((rs, sorted(rv)), (es, sorted(ev)))

    def test_4_a_watch_stream_opens_as_etcds(self):
        body = {"create_request": {"key": b64("cmp/w")}}
        e = first_stream_line(self.etcd.members[0].client_port, "/v3/watch", body)
        r = first_stream_line(self.regent.members[0].client_port, "/v3/watch", body)
        self.assertEqual(r[0], e[0])
        self.assert_same(e[1], r[1], "watch")

    def test_5_metrics_carry_etcds_names(self):
        names = ("etcd_server_has_leader", "etcd_server_is_leader",
                 "etcd_server_leader_changes_seen_total", "etcd_server_proposals_pending",
                 "etcd_server_proposals_failed_total", "etcd_mvcc_db_total_size_in_bytes",
                 "etcd_disk_wal_fsync_duration_seconds_bucket", "grpc_server_handled_total",
                 "process_resident_memory_bytes")
        for c in (self.etcd, self.regent):
            status, data = request(c.members[0].client_port, "GET", "/metrics")
            self.assertEqual(status, 200)
            text = data.decode()
            for name in names:
                self.assertIn("\n" + name, text, "%s lacks %s" % (c.binary, name))


if __name__ == "__main__":
    unittest.main()
