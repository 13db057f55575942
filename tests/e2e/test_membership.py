"""Membership changes through etcdctl 3.4, as etcd's operators run them (issue 15).

- The runbook "replace a member" (docs/OPERATIONS.md) under writes: kill a member for good,
  `member remove` it, `member add --learner` a fresh one, start it with
  --initial-cluster-state existing on an empty data directory, wait until it caught up (promote is
  refused until then), `member promote` it; then `member list`, `endpoint hashkv` equal on all
  three, and every acknowledged put readable.
- Grow 3 -> 5 under writes (two voters added one at a time) and shrink 5 -> 3 (two members removed
  while running: each stops itself, and refuses to start again on its data directory).
- etcd's refusals: unknown id, peer URL in use, promoting a voter, promoting a learner that has
  not caught up, and with --strict-reconfig-check adding a voter or removing a member when that
  could cost the quorum; each changes nothing.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_membership.py
"""

import json
import time
import unittest

from regent_cluster import Cluster, Writers, progress, wait_until

REFUSAL_TIMEOUT = 20


def hex_id(i):
    return "%x" % i


class MembershipTest(unittest.TestCase):

    # ------------------------------------------------------------ helpers
    def member_list(self, c, endpoint=None):
        out = c.etcdctl_json("member", "list", endpoint=endpoint)
        return {m["ID"]: m for m in out.get("members", [])}

    def add(self, c, i, learner=False, endpoint=None):
        """`etcdctl member add` for slot i (Cluster.add_member); returns the new member's id."""
        m = c.members[i]
        args = ["member", "add", m.name, "--peer-urls=" + m.peer_url]
        if learner:
            args.append("--learner")
        out = c.etcdctl(*(args + ["-w", "json"]), endpoint=endpoint).stdout
        added = json.loads(out)
        self.assertTrue(any(x["peerURLs"] == [m.peer_url] for x in added["members"]), out)
        m.member_id = added["member"]["ID"]
        progress("added %s as %s%s" % (m.name, hex_id(m.member_id), " (learner)" if learner else ""))
        return m.member_id

    def refused(self, c, args, needle, endpoint=None):
        cp = c.etcdctl(*args, endpoint=endpoint, check=False)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn(needle, cp.stderr)

    def check_converged(self, c, writers, members, timeout=60):
        rev = c.wait_same_revision(members, timeout=timeout)
        acked = writers.acked_keys()
        self.assertGreater(len(acked), 0)
        for i in members:
            missing = acked - c.keys(i, writers.prefix + "/")
            self.assertFalse(missing, "%s lacks %d acknowledged keys, e.g. %s" % (
                c.members[i].name, len(missing), sorted(missing)[:5]))
        hashes = {i: c.hashkv(i, 0)["hash"] for i in members}
        self.assertEqual(len(set(hashes.values())), 1, "HashKV differs: %s" % hashes)
        # And through etcdctl's own command over the three endpoints at once.
        out = c.etcdctl("endpoint", "hashkv", endpoint=members).stdout
        self.assertEqual(len({line.split(", ")[1] for line in out.splitlines() if line}), 1, out)
        progress("members %s converged at revision %d with %d acknowledged keys" % (
            [c.members[i].name for i in members], rev, len(acked)))

    def wait_caught_up(self, c, i, timeout=60):
        def pred():
            # Member i is asked last: the writers go on, and each Status takes an etcdctl run, so
            # asking it first would compare its index with the others' several hundred later.
            sts = c.statuses([j for j in c.live_indexes() if j != i] + [i])
            if i not in sts:
                return None
            top = max(st["raftIndex"] for st in sts.values())
            return (True,) if sts[i]["raftAppliedIndex"] + 50 >= top else None
        wait_until(pred, timeout, interval=0.3, what="%s to catch up" % c.members[i].name)

    def assert_stops_removed(self, c, i):
        m = c.members[i]
        wait_until(lambda: not m.running(), 30, interval=0.2,
                   what="%s to stop itself after its removal" % m.name)
        c._reap(m)
        log = c.last_run_log(i)
        self.assertIn("was removed from cluster", log)
        rc, log = c.run_until_exit(i, timeout=REFUSAL_TIMEOUT)
        self.assertIsNotNone(rc, "removed member %s started again:\n%s" % (m.name, log))
        self.assertNotEqual(rc, 0)
        self.assertIn("this member was removed from its cluster", log)
        progress("%s stopped itself on removal and refuses to start again" % m.name)

    # ------------------------------------------------------------ the runbook
    def test_a_replace_a_dead_member(self):
        with Cluster(3, snapshot_count=300) as c:
            with Writers(c, "rb", threads=2, max_seconds=120) as w:
                w.wait_count(50)
                dead = 2
                dead_id = c.member_ids()[dead]
                c.kill(dead)
                progress("killed %s for good" % c.members[dead].name)
                w.wait_count(w.count() + 50)
                out = c.etcdctl("member", "remove", hex_id(dead_id)).stdout
                self.assertIn("removed from cluster", out)
                self.assertNotIn(dead_id, self.member_list(c))

                new = c.add_member()
                new_id = self.add(c, new, learner=True)
                listed = self.member_list(c)
                self.assertTrue(listed[new_id].get("isLearner"), listed)
                # Not started: it has nothing, so it is not in sync.
                self.refused(c, ["member", "promote", hex_id(new_id)],
                             "can only promote a learner member which is in sync with leader")
                c.spawn(new)
                self.wait_caught_up(c, new)
                wait_until(lambda: c.etcdctl("member", "promote", hex_id(new_id),
                                             check=False).returncode == 0,
                           30, interval=0.5, what="promote to succeed")
                progress("promoted %s" % hex_id(new_id))
                w.wait_count(w.count() + 50)
            listed = self.member_list(c)
            self.assertEqual(len(listed), 3, listed)
            self.assertFalse(any(m.get("isLearner") for m in listed.values()), listed)
            self.assertEqual(sorted(m.get("name") for m in listed.values()), ["n1", "n2", "n4"])
            self.assertEqual(c.etcdctl("endpoint", "health", endpoint=[0, 1, new]).returncode, 0)
            self.check_converged(c, w, [0, 1, new])
            # The dead machine comes back on its old data directory: its peers no longer list
            # it, so it refuses to start, and its data directory remembers that.
            rc, log = c.run_until_exit(dead, timeout=REFUSAL_TIMEOUT)
            self.assertIsNotNone(rc, log)
            self.assertNotEqual(rc, 0, log)
            self.assertIn("was removed from cluster", log)
            rc, log = c.run_until_exit(dead, timeout=REFUSAL_TIMEOUT)
            self.assertNotEqual(rc, 0, log)
            self.assertIn("this member was removed from its cluster", log)
            self.assertEqual(len(self.member_list(c)), 3)
            progress("the removed member refuses to come back")

    # ------------------------------------------------------------ 3 -> 5 -> 3
    def test_b_grow_to_five_and_shrink_to_three(self):
        with Cluster(3, snapshot_count=300) as c:
            with Writers(c, "grow", threads=2, max_seconds=150) as w:
                w.wait_count(50)
                for _ in range(2):
                    i = c.add_member()
                    self.add(c, i)
                    c.spawn(i)
                    c.wait_member_ready(i, timeout=40)
                    self.wait_caught_up(c, i)
                    w.wait_count(w.count() + 30)
                listed = self.member_list(c)
                self.assertEqual(len(listed), 5, listed)
                self.assertFalse(any(m.get("isLearner") for m in listed.values()), listed)
                self.check_leader_sees(c, 5)

                # Shrink: remove the leader first (it steps down), then a follower.
                for _ in range(2):
                    leader = c.wait_leader(members=c.live_indexes())
                    victim_id = c.member_ids()[leader]
                    c.etcdctl("member", "remove", hex_id(victim_id),
                              endpoint=[j for j in c.live_indexes() if j != leader])
                    self.assert_stops_removed(c, leader)
                    w.wait_count(w.count() + 30)
            live = c.live_indexes()
            self.assertEqual(len(live), 3)
            self.assertEqual(len(self.member_list(c, endpoint=live)), 3)
            self.check_converged(c, w, live)

    def check_leader_sees(self, c, n):
        st = c.status(c.wait_leader(members=c.live_indexes()))
        self.assertGreaterEqual(st["raftIndex"], 1)
        self.assertEqual(len(self.member_list(c)), n)

    # ------------------------------------------------------------ refusals
    def test_c_refusals(self):
        with Cluster(3) as c:
            ids = c.member_ids()
            before = self.member_list(c)
            self.refused(c, ["member", "remove", "1234abcd"], "etcdserver: member not found")
            self.refused(c, ["member", "promote", "1234abcd"], "etcdserver: member not found")
            self.refused(c, ["member", "update", "1234abcd", "--peer-urls=http://127.0.0.1:1"],
                         "etcdserver: member not found")
            self.refused(c, ["member", "promote", hex_id(ids[0])],
                         "etcdserver: can only promote a learner member")
            self.refused(c, ["member", "add", "dup", "--peer-urls=" + c.members[1].peer_url],
                         "etcdserver: Peer URLs already exists")
            # From a follower too: the call is forwarded to the leader.
            follower = [j for j in range(3) if j != c.wait_leader()][0]
            self.refused(c, ["member", "promote", hex_id(ids[0])],
                         "etcdserver: can only promote a learner member", endpoint=follower)
            self.assertEqual(self.member_list(c), before)

            # A learner that never started is not in sync; a second learner is too many.
            new = c.add_member()
            new_id = self.add(c, new, learner=True, endpoint=follower)
            self.refused(c, ["member", "promote", hex_id(new_id)],
                         "can only promote a learner member which is in sync with leader")
            self.refused(c, ["member", "add", "l2", "--learner",
                             "--peer-urls=http://127.0.0.1:9"],
                         "etcdserver: too many learner members in cluster")
            c.etcdctl("member", "remove", hex_id(new_id))

            # One of three voters down: another voter could cost the quorum, and so could
            # removing a live one; removing the dead one is fine.
            leader = c.wait_leader()
            down = [j for j in range(3) if j != leader][0]
            c.kill(down)
            time.sleep(2.5 * c.election_timeout_ms / 1000.0)
            self.refused(c, ["member", "add", "v", "--peer-urls=http://127.0.0.1:9"],
                         "etcdserver: unhealthy cluster")
            live_other = [j for j in range(3) if j not in (leader, down)][0]
            self.refused(c, ["member", "remove", hex_id(ids[live_other])],
                         "etcdserver: unhealthy cluster")
            self.assertEqual(len(self.member_list(c)), 3)
            c.etcdctl("member", "remove", hex_id(ids[down]))
            self.assertEqual(len(self.member_list(c)), 2)

    def test_d_joining_without_being_added_is_refused(self):
        with Cluster(3) as c:
            i = c.add_member()
            rc, log = c.run_until_exit(i, timeout=REFUSAL_TIMEOUT)
            self.assertIsNotNone(rc, log)
            self.assertNotEqual(rc, 0, log)
            self.assertIn("has not been added to the cluster", log)
            self.assertEqual(len(self.member_list(c)), 3)

    def test_e_a_member_removed_while_cut_off_is_refused_by_its_peers_and_stops(self):
        # Paused through its removal, it never applies it: when it wakes up its peers end its
        # streams with etcd's "permanently removed" answer, and it stops itself.
        with Cluster(3) as c:
            c.etcdctl("put", "k", "v")
            gone = 2
            gone_id = c.member_ids()[gone]
            c.pause(gone)

            # An attempt made while the paused member still led times out, and may be applied
            # after its client gave up; a retry then answers "member not found". Done is when the
            # member list no longer has it.
            def removed():
                if gone_id not in self.member_list(c, endpoint=0):
                    return True
                c.etcdctl("member", "remove", hex_id(gone_id), endpoint=[0, 1], check=False)
                return gone_id not in self.member_list(c, endpoint=0)

            wait_until(removed, 30, interval=0.5, what="the removal of the paused member")
            c.resume(gone)
            m = c.members[gone]
            wait_until(lambda: not m.running(), 30, interval=0.2,
                       what="%s to stop once its peers refuse it" % m.name)
            c._reap(m)
            self.assertIn("the member has been permanently removed from the cluster",
                          c.last_run_log(gone))
            rc, log = c.run_until_exit(gone, timeout=REFUSAL_TIMEOUT)
            self.assertNotEqual(rc, 0, log)
            self.assertIn("this member was removed from its cluster", log)
            c.etcdctl("put", "k2", "v", endpoint=[0, 1])


if __name__ == "__main__":
    unittest.main()
