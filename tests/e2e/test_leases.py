"""Leases against a 3-member cluster: etcdctl (lease grant, revoke, keep-alive, timetolive,
list; put --lease), the python etcd3 lease API and raw gRPC, expiry on every member, and leader
failures (a kept-alive lease survives a kill -9 of the leader; an abandoned one is not renewed to
its full TTL by the new leader; hasleader streams end when the member loses its leader).

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_leases.py

Against real etcd 3.4 (REGENTD=.../etcd) every test runs too; only the bound on an abandoned
lease after a leader change is Regent's (etcd 3.4 checkpoints, if asked to, every 5 minutes).
"""

import base64
import json
import os
import queue
import signal
import subprocess
import threading
import time
import unittest

import grpc

from regent_cluster import (ETCDCTL, Cluster, ClusterTestCase, client_module, progress,
                            regentd_binary, wait_until)

etcd3 = client_module()
rpc = etcd3.etcdrpc

MIN_TTL = 2  # etcd's minimum for a 1 s election timeout: ceil(1.5 * 1 s).


def lease_id_of(grant_output):
    """The hex ID in etcdctl's "lease <id> granted with TTL(<n>s)"."""
    words = grant_output.split()
    assert words[0] == "lease" and words[2] == "granted", grant_output
    return words[1]


class LeaseTest(ClusterTestCase, unittest.TestCase):
    """Leases on one shared cluster; each test uses its own keys and leases."""

    @classmethod
    def setUpClass(cls):
        cls.start_shared_cluster(with_clients=True)

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    # ------------------------------------------------------------ helpers
    def ctl(self, *args, **kw):
        return self.cluster.etcdctl(*args, **kw)

    def leader_and_follower(self):
        li = self.cluster.wait_leader()
        return li, (li + 1) % 3

    def grant(self, ttl, endpoint=None):
        return lease_id_of(self.ctl("lease", "grant", str(ttl), endpoint=endpoint).stdout)

    def timetolive(self, lease, endpoint=None, keys=False):
        """etcdctl lease timetolive -w json: (ttl, granted ttl, [keys])."""
        args = ["lease", "timetolive", lease, "-w", "json"] + (["--keys"] if keys else [])
        out = json.loads(self.ctl(*args, endpoint=endpoint).stdout)
        return (out.get("ttl", 0), out.get("granted-ttl", 0),
                sorted(base64.b64decode(k).decode() for k in out.get("keys") or []))

    def revision(self, endpoint):
        out = json.loads(self.ctl("get", "none", "--consistency=s", "-w", "json",
                                  endpoint=endpoint).stdout)
        return out["header"]["revision"]

    def fails_with(self, text, *args, **kw):
        cp = self.ctl(*args, check=False, **kw)
        self.assertNotEqual(cp.returncode, 0, "etcdctl %s should fail: %r" % (args, cp.stdout))
        self.assertIn(text, cp.stderr)

    def assertRpcError(self, code, text, fn, *args, **kw):
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code(), code, cm.exception)
        self.assertIn(text, cm.exception.details())

    def wait_gone(self, keys, timeout):
        """Wait until no member holds any of `keys` (serializable reads: each member's own)."""
        def gone():
            return all(not (self.cluster.keys(i, k) & set(keys)) for i in range(3) for k in keys)
        wait_until(gone, timeout, interval=0.1, what="keys %s to be deleted on every member" % keys)

    # ------------------------------------------------------------ etcdctl
    def test_grant_put_timetolive_list_revoke(self):
        li, f = self.leader_and_follower()
        lease = self.grant(60, endpoint=f)
        self.ctl("put", "lt/a", "1", "--lease=" + lease, endpoint=f)
        self.ctl("put", "lt/b", "2", "--lease=" + lease, endpoint=li)
        self.ctl("put", "lt/free", "3")
        for i in (li, f):  # The leader answers; a follower asks it.
            ttl, granted, keys = self.timetolive(lease, endpoint=i, keys=True)
            self.assertEqual(granted, 60)
            self.assertTrue(55 <= ttl <= 60, ttl)
            self.assertEqual(keys, ["lt/a", "lt/b"])
        self.assertIn("granted with TTL(60s), remaining(",
                      self.ctl("lease", "timetolive", lease, endpoint=f).stdout)
        listed = self.ctl("lease", "list", endpoint=f).stdout.split()
        self.assertIn(lease, listed)
        before = self.revision(li)
        self.assertIn("revoked", self.ctl("lease", "revoke", lease, endpoint=f).stdout)
        self.cluster.wait_same_revision()
        # Both keys went in one revision, on every member.
        for i in range(3):
            self.assertEqual(self.revision(i), before + 1)
            self.assertEqual(self.cluster.keys(i, "lt/"), {"lt/free"})
        self.assertIn("already expired", self.ctl("lease", "timetolive", lease).stdout)
        self.fails_with("etcdserver: requested lease not found", "lease", "revoke", lease)
        self.assertNotIn(lease, self.ctl("lease", "list").stdout.split())

    def test_revoke_of_a_lease_without_keys_changes_no_revision(self):
        li, f = self.leader_and_follower()
        lease = self.grant(30, endpoint=f)
        before = self.revision(li)
        self.ctl("lease", "revoke", lease, endpoint=li)
        self.assertEqual(self.revision(li), before)

    def test_keep_alive_once_renews_through_any_member(self):
        li, f = self.leader_and_follower()
        lease = self.grant(10)
        time.sleep(2.2)
        ttl, _, _ = self.timetolive(lease, endpoint=li)
        self.assertLessEqual(ttl, 8)
        for i in (f, li):
            out = self.ctl("lease", "keep-alive", "--once", lease, endpoint=i).stdout
            self.assertIn("keepalived with TTL(10)", out)
            ttl, _, _ = self.timetolive(lease, endpoint=i)
            self.assertGreaterEqual(ttl, 9)
        self.ctl("lease", "revoke", lease)

    def test_put_with_a_lease_that_does_not_exist_fails(self):
        self.fails_with("etcdserver: requested lease not found",
                        "put", "nl/k", "v", "--lease=123abc")
        # (etcdctl txn ignores --lease on its puts; test_raw_lease_rpcs covers a txn.)
        self.assertEqual(self.cluster.keys(0, "nl/", serializable=False), set())

    def test_minimum_ttl(self):
        out = self.ctl("lease", "grant", "1").stdout
        self.assertIn("granted with TTL(%ds)" % MIN_TTL, out)
        self.ctl("lease", "revoke", lease_id_of(out))

    # ------------------------------------------------------------ expiry
    def test_expiry_deletes_the_keys_on_every_member_in_one_revision(self):
        li, f = self.leader_and_follower()
        lease = self.grant(MIN_TTL, endpoint=f)
        granted_at = time.monotonic()
        for k in ("ex/a", "ex/b", "ex/c"):
            self.ctl("put", k, "v", "--lease=" + lease, endpoint=f)
        before = self.revision(li)
        self.assertLess(time.monotonic() - granted_at, MIN_TTL - 0.5, "the puts took too long")
        self.assertEqual(self.cluster.keys(f, "ex/"), {"ex/a", "ex/b", "ex/c"})
        # Gone within the TTL, a tick and the apply, plus slack for etcdctl's start-up.
        self.wait_gone(["ex/a", "ex/b", "ex/c"], timeout=MIN_TTL + 6)
        took = time.monotonic() - granted_at
        progress("a %d s lease expired on every member %.2f s after its grant" % (MIN_TTL, took))
        self.assertGreaterEqual(took, MIN_TTL - 0.2)
        rev = self.cluster.wait_same_revision()
        self.assertEqual(rev, before + 1)
        self.assertIn("already expired", self.ctl("lease", "timetolive", lease).stdout)

    # ------------------------------------------------------------ python etcd3 and raw gRPC
    def test_python_lease_api(self):
        li, f = self.leader_and_follower()
        c = self.clients[f]
        lease = c.lease(30)
        self.assertGreater(lease.id, 0)
        c.put("py/lease", "v", lease=lease)
        self.assertEqual(lease.granted_ttl, 30)
        self.assertTrue(25 <= lease.remaining_ttl <= 30)
        self.assertEqual(lease.keys, [b"py/lease"])
        value, meta = c.get("py/lease")
        self.assertEqual((value, meta.lease_id), (b"v", lease.id))
        responses = lease.refresh()
        self.assertEqual([(r.ID, r.TTL) for r in responses], [(lease.id, 30)])
        # A lease with a chosen ID, through the leader.
        own = self.clients[li].lease(20, lease_id=0x7ead)
        self.assertEqual(own.id, 0x7ead)
        self.assertEqual(self.clients[f].get_lease_info(0x7ead).grantedTTL, 20)
        lease.revoke()
        own.revoke()
        self.assertEqual(c.get("py/lease"), (None, None))
        self.assertEqual(lease.remaining_ttl, -1)

    def test_raw_lease_rpcs_answer_as_etcd(self):
        li, f = self.leader_and_follower()
        stub = self.clients[f].leasestub
        kv = self.clients[f].kvstub
        grant = stub.LeaseGrant(rpc.LeaseGrantRequest(TTL=40, ID=0x51a))
        self.assertEqual((grant.ID, grant.TTL), (0x51a, 40))
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, "etcdserver: lease already exists",
                            stub.LeaseGrant, rpc.LeaseGrantRequest(TTL=40, ID=0x51a))
        self.assertRpcError(grpc.StatusCode.OUT_OF_RANGE, "etcdserver: too large lease TTL",
                            stub.LeaseGrant, rpc.LeaseGrantRequest(TTL=9000000001, ID=0x51b))
        short = stub.LeaseGrant(rpc.LeaseGrantRequest(TTL=-5, ID=0x51c))
        self.assertEqual(short.TTL, MIN_TTL)
        # etcd takes negative IDs too.
        negative = stub.LeaseGrant(rpc.LeaseGrantRequest(TTL=40, ID=-7))
        self.assertEqual(negative.ID, -7)
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, "etcdserver: requested lease not found",
                            stub.LeaseRevoke, rpc.LeaseRevokeRequest(ID=0x51d))
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, "etcdserver: requested lease not found",
                            kv.Put, rpc.PutRequest(key=b"raw/k", value=b"v", lease=0x51d))
        put_in_txn = rpc.RequestOp(request_put=rpc.PutRequest(key=b"raw/t", value=b"v", lease=0x51d))
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, "etcdserver: requested lease not found",
                            kv.Txn, rpc.TxnRequest(success=[put_in_txn]))
        unknown = stub.LeaseTimeToLive(rpc.LeaseTimeToLiveRequest(ID=0x51d, keys=True))
        self.assertEqual((unknown.ID, unknown.TTL, unknown.grantedTTL, list(unknown.keys)),
                         (0x51d, -1, 0, []))
        # One stream, many requests, one answer each, in order; unknown leases answer TTL 0.
        ids = [0x51a, 0x51d, -7, 0, 0x51a]
        answers = list(stub.LeaseKeepAlive(iter([rpc.LeaseKeepAliveRequest(ID=i) for i in ids]),
                                           timeout=10))
        self.assertEqual([(a.ID, a.TTL) for a in answers],
                         [(0x51a, 40), (0x51d, 0), (-7, 40), (0, 0), (0x51a, 40)])
        self.assertTrue(all(a.header.member_id == self.cluster.member_ids()[f] for a in answers))
        listed = {l.ID for l in stub.LeaseLeases(rpc.LeaseLeasesRequest()).leases}
        self.assertTrue({0x51a, 0x51c, -7} <= listed, listed)
        for i in (0x51a, 0x51c, -7):
            stub.LeaseRevoke(rpc.LeaseRevokeRequest(ID=i))


class LeaseFaultsTest(unittest.TestCase):
    """Leader failures; every scenario starts its own cluster."""

    def others(self, c, i):
        return [j for j in range(c.size) if j != i]

    def gone_on(self, c, members, key):
        return all(key not in c.keys(i, key) for i in members)

    def test_a_kept_alive_lease_survives_a_kill9_of_the_leader(self):
        with Cluster(3) as c:
            ttl = 4
            lease = lease_id_of(c.etcdctl("lease", "grant", str(ttl)).stdout)
            c.etcdctl("put", "ka/k", "v", "--lease=" + lease)
            env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
            env["ETCDCTL_API"] = "3"
            log_path = os.path.join(c.dir, "keep-alive.txt")
            with open(log_path, "wb") as log:
                keeper = subprocess.Popen(
                    [ETCDCTL, "--endpoints=" + ",".join(c.endpoints), "--dial-timeout=2s",
                     "lease", "keep-alive", lease],
                    stdout=log, stderr=subprocess.STDOUT, env=env)
            try:
                def renewals():
                    with open(log_path, "rb") as f:
                        return f.read().decode().count("keepalived")
                wait_until(lambda: renewals() >= 1, 10, what="a first keep-alive")
                li = c.wait_leader()
                progress("killing leader %s with -9; %s is kept alive by etcdctl" % (
                    c.members[li].name, lease))
                c.kill(li, signal.SIGKILL)
                survivors = self.others(c, li)
                c.wait_leader(timeout=15, members=survivors, exclude=(li,))
                n = renewals()
                # Three TTLs after the kill the key is still there, and renewals went on.
                deadline = time.monotonic() + 3 * ttl
                while time.monotonic() < deadline:
                    for i in survivors:
                        self.assertIn("ka/k", c.keys(i, "ka/"), "member %s lost the key" % i)
                    time.sleep(0.5)
                self.assertGreater(renewals(), n)
                self.assertIsNone(keeper.poll(), "etcdctl keep-alive exited")
            finally:
                keeper.kill()
                keeper.wait(timeout=10)
            # Abandoned now: it expires (TTL, grace, slack).
            stopped_at = time.monotonic()
            wait_until(lambda: self.gone_on(c, survivors, "ka/k"), ttl + 8, interval=0.2,
                       what="the abandoned lease to expire")
            progress("after the keep-alive stopped the lease expired in %.2f s" % (
                time.monotonic() - stopped_at))

    def test_b_an_abandoned_lease_is_not_renewed_to_its_full_ttl_by_a_new_leader(self):
        with Cluster(3) as c:
            ttl = 10
            li = c.wait_leader()
            survivors = self.others(c, li)
            lease = lease_id_of(c.etcdctl("lease", "grant", str(ttl), endpoint=survivors[0]).stdout)
            granted_at = time.monotonic()
            c.etcdctl("put", "ab/k", "v", "--lease=" + lease, endpoint=survivors[0])
            # The leader checkpoints the lease once what a new leader would assume (10 s) is
            # the checkpoint interval (5 s) above what is left, at its first once-a-second scan
            # after 5 s on its clock (which starts when it sees the grant, a tick after ours).
            time.sleep(max(0.0, granted_at + 6.5 - time.monotonic()))
            progress("killing leader %s with -9, 6.5 s into a %d s lease nobody renews" % (
                c.members[li].name, ttl))
            c.kill(li, signal.SIGKILL)
            self.assertFalse(self.gone_on(c, survivors, "ab/k"))
            wait_until(lambda: self.gone_on(c, survivors, "ab/k"), 25, interval=0.2,
                       what="the abandoned lease to expire")
            took = time.monotonic() - granted_at
            progress("the lease expired %.2f s after its grant (TTL %d s, leader killed at 6.5 s)"
                     % (took, ttl))
            self.assertGreater(took, ttl - 0.5)
            if not c.is_etcd:
                # Its remaining TTL was checkpointed (4 or 5 s): the new leader, elected 1 to 2.5 s
                # after the kill, gives it that plus an election timeout of grace: 12.5 to 15 s
                # after the grant. A fresh 10 s would be 6.5 + 1 + 10 + 1 = 18.5 s or more.
                self.assertLess(took, 16)

    def test_c_hasleader_streams_end_when_the_member_loses_its_leader(self):
        with Cluster(3) as c:
            li = c.wait_leader()
            f = self.others(c, li)[0]
            client = etcd3.client("127.0.0.1", c.members[f].client_port, timeout=10)
            try:
                lease = client.lease(60)
                requests = queue.Queue()

                def feed():
                    while True:
                        item = requests.get(timeout=60)
                        if item is None:
                            return
                        yield item
                hasleader = (("hasleader", "true"),)
                stream = client.leasestub.LeaseKeepAlive(feed(), timeout=60, metadata=hasleader)
                requests.put(rpc.LeaseKeepAliveRequest(ID=lease.id))
                self.assertEqual(next(stream).TTL, 60)
                for i in self.others(c, f):
                    c.kill(i, signal.SIGKILL)
                lost_at = time.monotonic()
                ended = {}

                def drain():
                    try:
                        for _ in stream:
                            pass
                        ended["status"] = ("OK", "")
                    except grpc.RpcError as e:
                        ended["status"] = (e.code(), e.details())
                reader = threading.Thread(target=drain, daemon=True)
                reader.start()
                reader.join(timeout=20)
                requests.put(None)
                if reader.is_alive():
                    stream.cancel()
                    reader.join(timeout=10)
                    self.fail("the keep-alive stream did not end within 20 s of losing the leader")
                progress("the hasleader keep-alive stream ended %.2f s after the leader was lost: %s"
                         % (time.monotonic() - lost_at, ended["status"]))
                self.assertEqual(ended["status"][0], grpc.StatusCode.UNAVAILABLE)
                self.assertIn("no leader", ended["status"][1])
                # New calls that ask for a leader are refused at once.
                again = client.leasestub.LeaseKeepAlive(
                    iter([rpc.LeaseKeepAliveRequest(ID=lease.id)]), timeout=10, metadata=hasleader)
                with self.assertRaises(grpc.RpcError) as cm:
                    list(again)
                self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
                self.assertIn("etcdserver: no leader", cm.exception.details())
                with self.assertRaises(grpc.RpcError) as cm:
                    client.leasestub.LeaseTimeToLive(rpc.LeaseTimeToLiveRequest(ID=lease.id),
                                                     timeout=10, metadata=hasleader)
                self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE)
            finally:
                requests.put(None)
                client.close()

    def test_d_leases_travel_in_snapshots(self):
        flags = {"snapshot_count": 20}
        if os.path.basename(regentd_binary()) != "etcd":
            flags["snapshot_catchup_entries"] = 5  # So the follower catches up by snapshot.
        with Cluster(3, **flags) as c:
            li = c.wait_leader()
            lagging = self.others(c, li)[0]
            c.stop(lagging)
            up = self.others(c, lagging)
            lease = lease_id_of(c.etcdctl("lease", "grant", "300", endpoint=up).stdout)
            c.etcdctl("put", "sn/k", "v", "--lease=" + lease, endpoint=up)
            for i in range(60):  # Past a snapshot and its catch-up entries.
                c.etcdctl("put", "sn/filler", str(i), endpoint=up)
            c.restart(lagging)
            c.wait_same_revision()
            self.assertIn(lease, c.etcdctl("lease", "list", endpoint=lagging).stdout.split())
            c.etcdctl("lease", "revoke", lease, endpoint=up)
            c.wait_same_revision()
            for i in range(3):
                self.assertEqual(c.keys(i, "sn/"), {"sn/filler"})
            if not c.is_etcd:
                self.assertIn("snapshot", c.last_run_log(lagging))


if __name__ == "__main__":
    unittest.main()
