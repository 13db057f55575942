"""etcd's HTTP face on the client port (issue 14, first part) against a 3-member cluster: the JSON
gateway (/v3/ and /v3beta/), a streamed watch, /health, /version, /metrics (checked by
`promtool check metrics`), etcd's status codes for bad input, slow and silent clients, and
etcdctl still served by gRPC on the very same port.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_http_face.py
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest

from regent_cluster import ETCDCTL, Cluster, ClusterTestCase, free_ports, wait_until

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def b64(s):
    return base64.b64encode(s.encode()).decode()


def unb64(s):
    return base64.b64decode(s).decode()


class HttpFaceTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_shared_cluster()
        cls.cluster.wait_healthy()

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    # ------------------------------------------------------------ helpers
    def request(self, i, method, path, body=None, timeout=15):
        """(status, headers, body bytes) of one HTTP/1.1 request to member i's client port."""
        conn = http.client.HTTPConnection("127.0.0.1", self.cluster.members[i].client_port,
                                          timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data is not None else {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def post(self, i, path, body=None, want=200):
        status, headers, data = self.request(i, "POST", path, body if body is not None else {})
        self.assertEqual(status, want, "POST %s %r -> %d %r" % (path, body, status, data))
        self.assertEqual(headers.get("Content-Type"), "application/json")
        return json.loads(data)

    def assert_error(self, status, data, want_status, want_code, text=None):
        self.assertEqual(status, want_status, data)
        err = json.loads(data)
        self.assertEqual(set(err), {"error", "message", "code"}, err)
        self.assertEqual(err["code"], want_code, err)
        self.assertEqual(err["error"], err["message"])
        if text is not None:
            self.assertIn(text, err["error"])

    # ------------------------------------------------------------ the gateway
    def test_put_range_txn_deleterange(self):
        put = self.post(0, "/v3/kv/put", {"key": b64("kvt/a"), "value": b64("one")})
        rev = int(put["header"]["revision"])  # 64-bit integers are strings, as etcd's gateway.
        self.assertIsInstance(put["header"]["revision"], str)
        got = self.post(1, "/v3/kv/range", {"key": b64("kvt/a")})  # linearizable, on another member
        self.assertEqual(got["count"], "1")
        kv = got["kvs"][0]
        self.assertEqual((unb64(kv["key"]), unb64(kv["value"])), ("kvt/a", "one"))
        self.assertEqual(int(kv["mod_revision"]), rev)
        self.assertNotIn("lease", kv)  # defaults are left out (EmitDefaults=false)

        txn = self.post(2, "/v3beta/kv/txn", {
            "compare": [{"key": b64("kvt/a"), "result": "EQUAL", "target": "VALUE",
                         "value": b64("one")}],
            "success": [{"request_put": {"key": b64("kvt/a"), "value": b64("two")}}],
            "failure": [{"request_range": {"key": b64("kvt/a")}}]})
        self.assertTrue(txn["succeeded"])
        self.assertIn("response_put", txn["responses"][0])
        failed = self.post(0, "/v3/kv/txn", {
            "compare": [{"key": b64("kvt/a"), "result": "EQUAL", "target": "VALUE",
                         "value": b64("one")}],
            "failure": [{"request_range": {"key": b64("kvt/a")}}]})
        self.assertNotIn("succeeded", failed)  # false is a default: left out
        self.assertEqual(unb64(failed["responses"][0]["response_range"]["kvs"][0]["value"]), "two")

        self.post(0, "/v3/kv/put", {"key": b64("kvt/b"), "value": b64("x")})
        deleted = self.post(1, "/v3/kv/deleterange",
                            {"key": b64("kvt/"), "range_end": b64("kvt0"), "prev_kv": True})
        self.assertEqual(deleted["deleted"], "2")
        self.assertEqual(sorted(unb64(kv["key"]) for kv in deleted["prev_kvs"]), ["kvt/a", "kvt/b"])
        empty = self.post(2, "/v3/kv/range", {"key": b64("kvt/"), "range_end": b64("kvt0")})
        self.assertNotIn("kvs", empty)

    def test_gateway_and_etcdctl_share_the_port(self):
        self.post(0, "/v3/kv/put", {"key": b64("share/http"), "value": b64("from-http")})
        self.assertEqual(self.cluster.etcdctl("get", "share/http", endpoint=0).stdout,
                         "share/http\nfrom-http\n")
        self.cluster.etcdctl("put", "share/grpc", "from-etcdctl", endpoint=1)
        got = self.post(1, "/v3/kv/range", {"key": b64("share/grpc")})
        self.assertEqual(unb64(got["kvs"][0]["value"]), "from-etcdctl")
        members = self.post(2, "/v3/cluster/member/list")  # no body at all is the empty request
        self.assertEqual(len(members["members"]), 3)
        status = self.post(0, "/v3/maintenance/status")
        self.assertNotEqual(status.get("leader", "0"), "0")

    def test_lease_grant_timetolive_keepalive_revoke(self):
        grant = self.post(0, "/v3/lease/grant", {"TTL": 60})
        lease = grant["ID"]
        self.assertEqual(grant["TTL"], "60")
        self.post(1, "/v3/kv/put", {"key": b64("hf/leased"), "value": b64("v"), "lease": lease})
        ttl = self.post(2, "/v3/kv/lease/timetolive", {"ID": lease, "keys": True})
        self.assertEqual(ttl["grantedTTL"], "60")
        self.assertEqual([unb64(k) for k in ttl["keys"]], ["hf/leased"])
        # Keep-alive streams: one {"result": ...} line per answer.
        status, headers, data = self.request(1, "POST", "/v3/lease/keepalive", {"ID": lease})
        self.assertEqual(status, 200)
        lines = [json.loads(line) for line in data.decode().splitlines() if line]
        self.assertEqual(lines[0]["result"]["ID"], lease)
        self.assertEqual(lines[0]["result"]["TTL"], "60")
        self.post(0, "/v3/lease/revoke", {"ID": lease})
        gone = self.post(0, "/v3/kv/range", {"key": b64("hf/leased")})
        self.assertNotIn("kvs", gone)
        # etcd's error shape and status for a gRPC error: NotFound -> 404, code 5.
        status, _, data = self.request(2, "POST", "/v3/lease/revoke", {"ID": lease})
        self.assert_error(status, data, 404, 5, "etcdserver: requested lease not found")

    def test_lock_and_unlock(self):
        lease = self.post(0, "/v3/lease/grant", {"TTL": 60})["ID"]
        held = self.post(1, "/v3/lock/lock", {"name": b64("hf-lock"), "lease": lease})
        self.assertTrue(unb64(held["key"]).startswith("hf-lock/"))
        self.post(2, "/v3/lock/unlock", {"key": held["key"]})
        self.post(0, "/v3/lease/revoke", {"ID": lease})

    def test_watch_streams_a_put_made_after_it_started(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.cluster.members[1].client_port,
                                          timeout=15)
        try:
            conn.request("POST", "/v3/watch",
                         body=json.dumps({"create_request": {"key": b64("hf/watched")}}))
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
            created = json.loads(resp.readline())
            self.assertTrue(created["result"]["created"], created)
            # Written after the watch exists, through another member and over gRPC.
            self.cluster.etcdctl("put", "hf/watched", "seen", endpoint=2)
            event = json.loads(resp.readline())["result"]["events"][0]
            self.assertEqual(unb64(event["kv"]["key"]), "hf/watched")
            self.assertEqual(unb64(event["kv"]["value"]), "seen")
        finally:
            conn.close()
        # The member cancels the call of a client that left; it keeps serving.
        self.post(1, "/v3/kv/range", {"key": b64("hf/watched")})

    # ------------------------------------------------------------ health, version, metrics
    def test_health_and_version(self):
        for i in range(3):
            for path in ("/health", "/health?serializable=true"):
                status, _, data = self.request(i, "GET", path)
                self.assertEqual((status, json.loads(data)), (200, {"health": "true"}), path)
        status, _, data = self.request(0, "GET", "/version")
        self.assertEqual(status, 200)
        version = json.loads(data)
        # As Patroni reads it: every dot-separated part an integer, server >= 3.0.4, cluster 3.4.
        server = tuple(int(x) for x in version["etcdserver"].split("."))
        cluster = tuple(int(x) for x in version["etcdcluster"].split("."))
        self.assertGreaterEqual(server, (3, 0, 4))
        self.assertEqual(cluster[:2], (3, 4))

    def metrics(self, i):
        status, headers, data = self.request(i, "GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        values = {}
        for line in data.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return data, values

    def test_metrics_have_etcds_names_and_pass_promtool(self):
        self.post(0, "/v3/kv/put", {"key": b64("hf/metric"), "value": b64("v")})
        leaders = 0
        for i in range(3):
            raw, m = self.metrics(i)
            for name in ("etcd_server_has_leader", "etcd_server_is_leader",
                         "etcd_server_leader_changes_seen_total",
                         "etcd_server_proposals_committed_total",
                         "etcd_server_proposals_applied_total", "etcd_server_proposals_pending",
                         "etcd_server_proposals_failed_total", "etcd_mvcc_db_total_size_in_bytes",
                         "process_resident_memory_bytes",
                         "etcd_disk_wal_fsync_duration_seconds_count"):
                self.assertIn(name, m, "member %d" % i)
            self.assertEqual(m["etcd_server_has_leader"], 1)
            self.assertGreaterEqual(m["etcd_server_leader_changes_seen_total"], 1)
            self.assertGreater(m["etcd_server_proposals_applied_total"], 0)
            self.assertGreater(m["etcd_disk_wal_fsync_duration_seconds_count"], 0)
            self.assertEqual(m['etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"}'],
                             m["etcd_disk_wal_fsync_duration_seconds_count"])
            self.assertGreater(m["process_resident_memory_bytes"], 1 << 20)
            self.assertGreater(m["etcd_mvcc_db_total_size_in_bytes"], 0)
            self.assertGreaterEqual(m["regent_mvcc_keys"], 1)
            leaders += m["etcd_server_is_leader"]
            check = subprocess.run([PROMTOOL, "check", "metrics"], input=raw,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            self.assertEqual(check.returncode, 0, "promtool: %s" % check.stdout.decode())
        self.assertEqual(leaders, 1)
        # Every call the member finished, by method and code, as etcd's go-grpc-prometheus has
        # it: the gateway's puts above went through member 0's gRPC server.
        _, m0 = self.metrics(0)
        put_ok = ('grpc_server_handled_total{grpc_code="OK",grpc_method="Put",'
                  'grpc_service="etcdserverpb.KV",grpc_type="unary"}')
        self.assertGreaterEqual(m0.get(put_ok, 0), 1, sorted(k for k in m0 if "grpc" in k))
        self.post(0, "/v3/kv/put", {"key": b64("hf/metric"), "value": b64("x")})
        self.assertEqual(self.metrics(0)[1][put_ok], m0[put_ok] + 1)
        # A failed call is counted under its code.
        self.request(0, "POST", "/v3/kv/range", {"key": b64("a"), "revision": "99999999"})
        _, m0 = self.metrics(0)
        self.assertTrue(any(k.startswith('grpc_server_handled_total{grpc_code="OutOfRange",'
                                         'grpc_method="Range"') for k in m0),
                        sorted(k for k in m0 if "grpc" in k))
        # A counter that means something: applied follows the writes.
        before = self.metrics(0)[1]["etcd_server_proposals_applied_total"]
        self.post(0, "/v3/kv/put", {"key": b64("hf/metric"), "value": b64("w")})
        after = self.metrics(0)[1]["etcd_server_proposals_applied_total"]
        self.assertGreater(after, before)

    def background_etcdctl(self, i, *args):
        """etcdctl against member i, left running; the caller stops it by pid."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        return subprocess.Popen([ETCDCTL, "--endpoints=" + self.cluster.members[i].client_url]
                                + list(args), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def wait_gauge(self, i, name, want, what):
        wait_until(lambda: self.metrics(i)[1].get(name) == want, timeout=20, interval=0.2,
                   what="%s (%s == %s on member %d)" % (what, name, want, i))

    def test_elections_locks_and_watchers_are_counted_as_they_come_and_go(self):
        # etcdctl's recipes hold them: a lock's key is empty, an election's holds the proposal.
        _, m = self.metrics(1)
        base = {k: m[k] for k in ("regent_locks_held", "regent_elections_held",
                                  "regent_watchers", "regent_watch_streams")}
        for args, gauge in ((("lock", "hf-gauge-lock"), "regent_locks_held"),
                            (("elect", "hf-gauge-election", "p1"), "regent_elections_held")):
            holder = self.background_etcdctl(0, *args)
            try:
                # Counted from the store: member 1 sees what member 0's client holds.
                self.wait_gauge(1, gauge, base[gauge] + 1, "etcdctl %s to hold" % args[0])
                other = ({"regent_locks_held", "regent_elections_held"} - {gauge}).pop()
                self.assertEqual(self.metrics(1)[1][other], base[other])
                raw, _ = self.metrics(1)
                check = subprocess.run([PROMTOOL, "check", "metrics"], input=raw,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       timeout=30)
                self.assertEqual(check.returncode, 0, "promtool: %s" % check.stdout.decode())
                # SIGINT: etcdctl releases (closes its session, revoking the lease) and exits.
                holder.send_signal(signal.SIGINT)
                holder.wait(timeout=15)
                self.wait_gauge(1, gauge, base[gauge], "etcdctl %s to release" % args[0])
            finally:
                if holder.poll() is None:
                    holder.kill()
                    holder.wait(timeout=10)
        # Watchers are the member's own: member 1 counts a watch opened on it.
        watcher = self.background_etcdctl(1, "watch", "hf-gauge-watch")
        try:
            self.wait_gauge(1, "regent_watchers", base["regent_watchers"] + 1, "a watch")
            self.assertEqual(self.metrics(1)[1]["regent_watch_streams"],
                             base["regent_watch_streams"] + 1)
        finally:
            watcher.kill()
            watcher.wait(timeout=10)
        self.wait_gauge(1, "regent_watchers", base["regent_watchers"], "the watch to end")

    def test_peer_round_trips_are_measured_per_peer(self):
        ids = ["%x" % int(self.cluster.status(i)["header"]["member_id"]) for i in range(3)]

        def counts():
            out = {}
            for name, value in self.metrics(0)[1].items():
                match = re.match(r'etcd_network_peer_round_trip_time_seconds_count\{To="(\w+)"\}$',
                                 name)
                if match:
                    out[match.group(1)] = value
            return out
        first = counts()
        # One series per other member, labelled with its id as etcd labels them.
        self.assertEqual(sorted(first), sorted(ids[1:]))
        # Probed every few seconds: each count grows, and each round trip on this host is far
        # under a second.
        wait_until(lambda: all(counts()[p] > first[p] for p in first), timeout=20, interval=0.5,
                   what="every peer to be probed again")
        _, m = self.metrics(0)
        for p in first:
            label = '{To="%s"}' % p
            total = m["etcd_network_peer_round_trip_time_seconds_count" + label]
            self.assertEqual(
                m['etcd_network_peer_round_trip_time_seconds_bucket{To="%s",le="+Inf"}' % p],
                total)
            self.assertLess(m["etcd_network_peer_round_trip_time_seconds_sum" + label] / total,
                            0.5)
            # etcd's buckets for this histogram: 0.1 ms doubling.
            self.assertIn('etcd_network_peer_round_trip_time_seconds_bucket{To="%s",le="0.0001"}'
                          % p, m)

    # ------------------------------------------------------------ bad input
    def test_bad_input_gets_etcds_status_codes(self):
        status, _, data = self.request(0, "POST", "/v3/kv/range", b'{"key":')
        self.assert_error(status, data, 400, 3, "invalid JSON")
        status, _, data = self.request(0, "POST", "/v3/kv/range", b'{"limit":"lots"}')
        self.assert_error(status, data, 400, 3)
        status, _, data = self.request(0, "POST", "/v3/kv/nothing", b"{}")
        self.assertEqual(status, 404, data)
        status, _, data = self.request(0, "GET", "/no/such/page")
        self.assertEqual(status, 404, data)
        status, headers, data = self.request(0, "GET", "/v3/kv/range")
        self.assertEqual(status, 405, data)
        self.assertEqual(headers.get("Allow"), "POST")
        status, headers, data = self.request(0, "POST", "/health", b"")
        self.assertEqual(status, 405, data)
        # Over the limit (--max-request-bytes 1.5 MiB by default, as JSON a third more plus
        # gRPC's margin: 2.5 MiB): refused before it is parsed.
        big = json.dumps({"key": b64("hf/big"), "value": "A" * (4 << 20)}).encode()
        status, _, data = self.request(0, "POST", "/v3/kv/put", big)
        self.assert_error(status, data, 413, 8, "request body larger than")
        # Too large as a request though not as a body: the service's own error.
        status, _, data = self.request(0, "POST", "/v3/kv/put", {
            "key": b64("hf/big"), "value": base64.b64encode(b"x" * (1600 << 10)).decode()})
        self.assert_error(status, data, 400, 3, "etcdserver: request is too large")
        # Nothing of it was written.
        got = self.post(1, "/v3/kv/range", {"key": b64("hf/big")})
        self.assertNotIn("kvs", got)

    def test_slow_and_silent_clients_cost_others_nothing(self):
        port = self.cluster.members[0].client_port
        silent = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(20)]
        slow = socket.create_connection(("127.0.0.1", port), timeout=20)
        slow.sendall(b"POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        try:
            began = time.monotonic()
            self.post(0, "/v3/kv/put", {"key": b64("hf/slow"), "value": b64("v")})
            self.cluster.etcdctl("get", "hf/slow", endpoint=0)
            self.assertLess(time.monotonic() - began, 5)
            # The member closes a connection that never says anything (5 s to speak) and one that
            # never finishes its request (10 s for a whole request).
            for s in silent:
                self.assertEqual(s.recv(1024), b"")
            closed = slow.recv(65536)
            while closed:  # a 408/400 answer may come first; then the close
                closed = slow.recv(65536)
            self.assertLess(time.monotonic() - began, 18)
        finally:
            for s in silent + [slow]:
                s.close()
        self.assertTrue(all(self.cluster.alive(i) for i in range(3)))


class HttpFaceLeaderLossTest(ClusterTestCase, unittest.TestCase):
    """A member's HTTP face as the cluster loses members: SIGTERM with a watch open over HTTP,
    then /health, /metrics and a write on a member left without a leader."""

    def get(self, c, i, path):
        conn = http.client.HTTPConnection("127.0.0.1", c.members[i].client_port, timeout=15)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def test_stop_with_a_watch_open_then_no_leader(self):
        c = Cluster(3)
        self._clusters_to_dump = [c]
        with c:
            c.wait_healthy()
            conn = http.client.HTTPConnection("127.0.0.1", c.members[0].client_port, timeout=15)
            conn.request("POST", "/v3/watch",
                         body=json.dumps({"create_request": {"key": b64("lost/w")}}))
            resp = conn.getresponse()
            self.assertTrue(json.loads(resp.readline())["result"]["created"])
            # A graceful stop is not held up by the open stream; the stream ends.
            began = time.monotonic()
            self.assertEqual(c.stop(0), 0)
            self.assertLess(time.monotonic() - began, 10)
            rest = b""
            try:
                rest = resp.read()
            except (http.client.IncompleteRead, ConnectionError) as e:
                rest = getattr(e, "partial", b"")
            for line in rest.decode().splitlines():
                self.assertNotIn("events", json.loads(line).get("result", {}))
            conn.close()

            c.kill(1)
            # Member 2 alone: no leader within an election timeout or two.
            wait_until(lambda: self.get(c, 2, "/health")[0] == 503, 15, interval=0.2,
                       what="/health to answer 503 without a leader")
            for path in ("/health", "/health?serializable=true"):
                status, body = self.get(c, 2, path)
                self.assertEqual((status, json.loads(body)), (503, {"health": "false"}), path)
            status, body = self.get(c, 2, "/metrics")
            self.assertIn(b"\netcd_server_has_leader 0\n", body)
            conn = http.client.HTTPConnection("127.0.0.1", c.members[2].client_port, timeout=15)
            try:
                conn.request("POST", "/v3/kv/put",
                             body=json.dumps({"key": b64("lost/k"), "value": b64("v")}))
                resp = conn.getresponse()
                err = json.loads(resp.read())
            finally:
                conn.close()
            self.assertEqual((resp.status, err["code"]), (503, 14), err)
            self.assertIn("no leader", err["error"])


class MetricsPortTest(unittest.TestCase):
    """--listen-metrics-urls, as etcd's: another port with /metrics and /health and nothing else."""

    def get(self, port, method, path):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            conn.request(method, path, body=b"{}" if method == "POST" else None)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def test_the_metrics_port_serves_metrics_and_health_only(self):
        port = free_ports(1)[0]
        with Cluster(1, listen_metrics_urls="http://127.0.0.1:%d" % port) as c:
            status, body = self.get(port, "GET", "/metrics")
            self.assertEqual(status, 200)
            self.assertIn(b"etcd_server_has_leader 1", body)
            check = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            self.assertEqual(check.returncode, 0, "promtool: %s" % check.stdout.decode())
            status, body = self.get(port, "GET", "/health")
            self.assertEqual((status, json.loads(body)), (200, {"health": "true"}))
            for method, path in (("GET", "/version"), ("POST", "/v3/kv/range")):
                status, body = self.get(port, method, path)
                self.assertEqual(status, 404, path)
                self.assertIn("/metrics and /health only", json.loads(body)["error"])
            # gRPC is not served there; the client port still serves everything.
            refused = c.etcdctl("get", "x", endpoint="http://127.0.0.1:%d" % port, check=False,
                                command_timeout="2s")
            self.assertNotEqual(refused.returncode, 0)
            status, _ = self.get(c.members[0].client_port, "GET", "/version")
            self.assertEqual(status, 200)


class FollowerLagTest(unittest.TestCase):
    """The leader's regent_follower_lag_entries and _recently_active: what an operator watches to
    see a member fall behind, and come back."""

    def metrics(self, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            conn.request("GET", "/metrics")
            body = conn.getresponse().read().decode()
        finally:
            conn.close()
        out = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    def follower_series(self, c, leader, metric, follower_id):
        m = self.metrics(c.members[leader].client_port)
        for name, value in m.items():
            if name.startswith(metric + "{") and 'follower="%x"' % follower_id in name:
                return value
        return None

    def test_a_stopped_follower_shows_its_lag_on_the_leader_and_catches_up(self):
        with Cluster(3) as c:
            leader = c.leader_index()
            slow = (leader + 1) % 3
            slow_id = int(c.status(slow)["header"]["member_id"])
            self.assertEqual(self.follower_series(c, leader, "regent_follower_lag_entries",
                                                  slow_id), 0)
            self.assertEqual(self.follower_series(c, leader, "regent_follower_recently_active",
                                                  slow_id), 1)
            # Followers say nothing of the others.
            self.assertNotIn("regent_follower_lag_entries",
                             " ".join(self.metrics(c.members[slow].client_port)))
            c.pause(slow)
            try:
                for i in range(20):
                    c.etcdctl("put", "lag-%d" % i, "v", endpoint=leader)
                lag = self.follower_series(c, leader, "regent_follower_lag_entries", slow_id)
                self.assertGreaterEqual(lag, 20)
                wait_until(lambda: self.follower_series(c, leader,
                                                        "regent_follower_recently_active",
                                                        slow_id) == 0,
                           timeout=10, what="the leader to notice the stopped follower")
            finally:
                c.resume(slow)
            wait_until(lambda: self.follower_series(c, leader, "regent_follower_lag_entries",
                                                    slow_id) == 0,
                       timeout=20, what="the follower to catch up")


if __name__ == "__main__":
    unittest.main()
