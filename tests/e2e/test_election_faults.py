"""An election survives what happens to the cluster under it: while one `regentctl elect` leads
and another waits, the Raft leader is killed with -9 and restarted. Leadership must stay with
the first candidate throughout (no second leader, no lost place), and pass to the waiting one,
with a larger fencing token, only once the first one's process dies and its lease expires.

regentctl is named by $REGENTCTL (set by ctest)."""

import os
import re
import signal
import time
import unittest

from regent_cluster import Cluster, ClusterTestCase, LineProcess, progress, wait_until

TTL = 3


def regentctl():
    path = os.environ.get("REGENTCTL")
    if not path or not os.access(path, os.X_OK):
        raise unittest.SkipTest("REGENTCTL does not name the regentctl binary")
    return path


def candidate(cluster, tag):
    script = "echo leading %s $REGENT_FENCING_TOKEN; exec sleep 300" % tag
    return LineProcess([regentctl(), "--endpoints=" + ",".join(cluster.endpoints), "elect",
                        "--ttl", str(TTL), "faults-election", "--", "sh", "-c", script])


def tokens(proc, tag):
    return [int(m.group(1)) for line in proc.output()
            for m in [re.match(r"leading %s (\d+)$" % tag, line)] if m]


class ElectionFaultsTest(ClusterTestCase, unittest.TestCase):
    def test_leader_kill_and_restart_during_an_election(self):
        regentctl()
        with Cluster(3) as c:
            self.cluster = c
            a = candidate(c, "a")
            b = None
            try:
                wait_until(lambda: tokens(a, "a"), 20, what="the first candidate to lead")
                b = candidate(c, "b")
                time.sleep(1.0)
                self.assertEqual(tokens(b, "b"), [], "two leaders at once")

                li = c.leader_index()
                progress("kill -9 the Raft leader %s and restart it" % c.members[li].name)
                c.kill(li, signal.SIGKILL)
                c.wait_leader(members=[i for i in range(3) if i != li])
                c.restart(li)
                c.wait_healthy()
                time.sleep(2 * TTL)  # Longer than a lease: keep-alives must have gone on.
                self.assertEqual(len(tokens(a, "a")), 1, "the leader's term survived")
                self.assertIsNone(a.proc.poll(), a.output())
                self.assertEqual(tokens(b, "b"), [], "the waiting candidate kept waiting")

                progress("kill -9 the leading candidate; the waiting one takes over")
                killed_at = time.monotonic()
                os.kill(a.proc.pid, signal.SIGKILL)
                wait_until(lambda: tokens(b, "b"), TTL + 10, what="the second candidate to lead")
                progress("took over %.2fs after the kill" % (time.monotonic() - killed_at))
                self.assertGreater(tokens(b, "b")[0], tokens(a, "a")[0])
            finally:
                for p in (a, b):
                    if p is not None:
                        p.stop()


if __name__ == "__main__":
    unittest.main()
