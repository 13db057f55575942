"""Fault injection against a 3-member cluster: kill -9, snapshot catch-up, SIGSTOP, quorum loss,
SIGTERM of the leader. Every scenario starts its own cluster.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_faults.py
"""

import os
import signal
import time
import unittest

from regent_cluster import (Cluster, Writers, client_module, progress, regentd_binary,
                            wait_until)


class FaultsTest(unittest.TestCase):

    # ------------------------------------------------------------ helpers
    def others(self, c, i):
        return [j for j in range(c.size) if j != i]

    def check_converged(self, c, writers, members=None, timeout=30):
        """All given members reach one revision, hold every acknowledged key, and agree on HashKV."""
        members = members if members is not None else list(range(c.size))
        rev = c.wait_same_revision(members, timeout=timeout)
        acked = writers.acked_keys()
        for i in members:
            have = c.keys(i, writers.prefix + "/")
            missing = acked - have
            self.assertFalse(missing, "member %s lacks %d acknowledged keys, e.g. %s" % (
                c.members[i].name, len(missing), sorted(missing)[:5]))
        # Writers have stopped, so the revision is stable: HashKV at the latest revision (rev 0).
        # (etcd refuses HashKV at a revision <= the compacted one, even at exactly it.)
        hashes = {i: c.hashkv(i, 0) for i in members}
        self.assertEqual(len({h["hash"] for h in hashes.values()}), 1,
                         "HashKV differs at revision %d: %s" % (rev, hashes))
        for h in hashes.values():
            self.assertEqual(h["header"]["revision"], rev)
        progress("members %s converged at revision %d with %d acknowledged keys" % (
            [c.members[i].name for i in members], rev, len(acked)))
        return rev

    # ------------------------------------------------------------ (a)
    def test_a_kill9_leader_under_load(self):
        with Cluster(3) as c:
            with Writers(c, "ka", threads=3) as w:
                w.wait_count(100)
                li = c.leader_index()
                self.assertIsNotNone(li)
                progress("killing leader %s with -9 after %d acknowledged writes" % (c.members[li].name, w.count()))
                c.kill(li, signal.SIGKILL)
                t_kill = time.monotonic()
                wait_until(lambda: w.first_ack_started_after(t_kill), 10,
                           what="a write sent after the kill to be acknowledged")
                resumed = w.first_ack_started_after(t_kill) - t_kill
                progress("writes resumed %.2fs after the kill" % resumed)
                self.assertLess(resumed, 10)
                new = c.wait_leader(timeout=10, members=self.others(c, li), exclude=(li,))
                self.assertNotEqual(new, li)
                n_after = w.count()
                w.wait_count(n_after + 50)
            self.assertGreater(len(w.acked), 150)
            # The two survivors hold every acknowledged write.
            self.check_converged(c, w, members=self.others(c, li))
            progress("restarting %s" % c.members[li].name)
            c.restart(li)
            self.check_converged(c, w)

    # ------------------------------------------------------------ (b)
    def test_b_catch_up_by_snapshot(self):
        flags = {"snapshot_count": 100}
        if os.path.basename(regentd_binary()) != "etcd":
            # Regent keeps --snapshot-catchup-entries (default 5000, as etcd) after a snapshot;
            # fewer than the writes below puts the follower behind the leader's log.
            flags["snapshot_catchup_entries"] = 200
        with Cluster(3, **flags) as c:
            li = c.leader_index()
            f = self.others(c, li)[0]
            progress("killing follower %s with -9" % c.members[f].name)
            c.kill(f, signal.SIGKILL)
            etcd3 = client_module()
            with Writers(c, "snap", threads=3, max_writes=500) as w:
                wait_until(lambda: all(not th.is_alive() for th in w._threads), 60, interval=0.2,
                           what="1500 writes")
            self.assertGreaterEqual(len(w.acked), 1400, "too many failed writes: %s" % w.errors[:5])
            progress("wrote %d keys while %s was down" % (len(w.acked), c.members[f].name))
            rev = c.revision(li)
            c.etcdctl("compaction", rev, endpoint=li)
            progress("compacted at %d; restarting %s" % (rev, c.members[f].name))
            c.restart(f)
            self.check_converged(c, w)
            self.assertEqual(c.hashkv(f)["compact_revision"], rev)
            client = etcd3.client("127.0.0.1", c.members[f].client_port, timeout=10)
            try:
                self.assertEqual(sum(1 for _ in client.get_prefix("snap/", keys_only=True, serializable=True)),
                                 len(w.acked))
            finally:
                client.close()
            if not c.is_etcd:
                self.assertIn("installed snapshot at index", c.last_run_log(f),
                              "the restarted follower should have caught up by snapshot")

    # ------------------------------------------------------------ (c)
    def test_c_sigstop_follower(self):
        with Cluster(3) as c:
            li = c.leader_index()
            f = self.others(c, li)[0]
            term0 = c.status(li)["raftTerm"]
            with Writers(c, "stop", threads=2) as w:
                w.wait_count(50)
                progress("SIGSTOP %s for 3s" % c.members[f].name)
                c.pause(f)
                n0 = w.count()
                time.sleep(3)
                self.assertGreater(w.count(), n0 + 20, "the cluster must keep writing without the paused member")
                c.resume(f)
                progress("SIGCONT %s; watching leader and term for 4s" % c.members[f].name)
                deadline = time.monotonic() + 4
                samples = 0
                for _ in range(100):
                    if time.monotonic() > deadline:
                        break
                    sts = c.statuses(list(range(3)))
                    for i, st in sts.items():
                        self.assertEqual(st["leader"], c.member_ids()[li],
                                         "member %s sees another leader: %s" % (c.members[i].name, st))
                        self.assertEqual(st["raftTerm"], term0, "term changed on %s" % c.members[i].name)
                    samples += 1
                    time.sleep(0.2)
                self.assertGreater(samples, 5)
            self.check_converged(c, w)
            self.assertEqual(c.leader_index(), li)
            self.assertEqual(c.status(f)["raftTerm"], term0)

    # ------------------------------------------------------------ (d)
    def test_d_no_leader(self):
        with Cluster(3) as c:
            c.etcdctl("put", "nl/before", "x")
            li = c.leader_index()
            survivor = self.others(c, li)[0]
            for i in range(3):
                if i != survivor:
                    c.kill(i, signal.SIGKILL)
            progress("killed all but %s; waiting for it to notice it has no leader" % c.members[survivor].name)
            wait_until(lambda: c.status(survivor)["leader"] == 0, 10, interval=0.2,
                       what="the survivor to report no leader")
            bound = c.election_timeout_ms * 3 / 1000.0 + 5
            if c.is_etcd:
                # etcd 3.4 does not answer "no leader" to a plain put: the proposal waits for its
                # server-side request timeout (5 s + 2 * election timeout) and then fails with
                # "context deadline exceeded". Give it that much plus slack.
                bound = max(bound, 5 + 2 * c.election_timeout_ms / 1000.0 + 3)
            t0 = time.monotonic()
            cp = c.etcdctl("put", "nl/k", "v", endpoint=survivor, check=False, timeout=bound + 30,
                           command_timeout="%ds" % int(bound + 20))
            took = time.monotonic() - t0
            progress("put without a leader: exit %d after %.2fs: %s" % (
                cp.returncode, took, cp.stderr.strip().splitlines()[-1:] if cp.stderr else ""))
            self.assertNotEqual(cp.returncode, 0)
            self.assertLess(took, bound, "a put without a leader must fail promptly, not hang")
            if not c.is_etcd:
                self.assertIn("etcdserver: no leader", cp.stderr)
            self.assertTrue(c.alive(survivor))
            # A serializable read is local: it still answers.
            cp = c.etcdctl("get", "nl/before", "--consistency=s", "--print-value-only", endpoint=survivor)
            self.assertEqual(cp.stdout, "x\n")

    # ------------------------------------------------------------ (e)
    def test_e_sigterm_leader(self):
        with Cluster(3) as c:
            with Writers(c, "term", threads=3) as w:
                w.wait_count(100)
                li = c.leader_index()
                others = self.others(c, li)
                progress("SIGTERM leader %s" % c.members[li].name)
                t0 = time.monotonic()
                rc = c.stop(li, timeout=20)
                t_exit = time.monotonic()
                progress("leader exited with %s after %.2fs" % (rc, t_exit - t0))
                if c.is_etcd:
                    # etcd 3.4 re-raises the signal after its shutdown handlers: it dies of SIGTERM.
                    self.assertIn(rc, (0, -signal.SIGTERM))
                else:
                    self.assertEqual(rc, 0)
                new = c.wait_leader(timeout=5, members=others, exclude=(li,))
                took = time.monotonic() - t0
                progress("new leader %s seen %.2fs after SIGTERM" % (c.members[new].name, took))
                self.assertIn(new, others)
                self.assertLess(took, 5 + (t_exit - t0))
                n = w.count()
                w.wait_count(n + 50)
            if c.is_etcd:
                self.assertIn("finished leadership transfer from", c.log(li))
            else:
                self.assertIn("transferred leadership to", c.log(li))
            self.check_converged(c, w, members=others)
            c.restart(li)
            self.check_converged(c, w)


if __name__ == "__main__":
    unittest.main()
