"""examples/singleton-worker on a 3-member cluster: three replicas, one leader doing the work,
fail-over after kill -9 within the lease duration plus an election, and a stale leader's write
refused by the fencing token.

The worker binary is named by $REGENT_SINGLETON_WORKER (set by ctest)."""

import os
import re
import signal
import subprocess
import time
import unittest

from regent_cluster import Cluster, ClusterTestCase, LineProcess, progress, wait_until

LEASE_SECONDS = 3


def worker_binary():
    path = os.environ.get("REGENT_SINGLETON_WORKER")
    if not path or not os.access(path, os.X_OK):
        raise unittest.SkipTest("REGENT_SINGLETON_WORKER does not name the singleton-worker binary")
    return path


class Replica(LineProcess):
    """One singleton-worker process."""

    def __init__(self, endpoints, identity):
        self.identity = identity
        super().__init__([worker_binary(), "--endpoints", ",".join(endpoints), "run",
                          "--identity", identity, "--lease-seconds", str(LEASE_SECONDS),
                          "--interval-ms", "100"])

    def matching(self, pattern):
        return [(t, m) for t, line in self.timed_lines() for m in [re.search(pattern, line)] if m]

    def tokens_led(self):
        return [int(m.group(1)) for _, m in self.matching(r"^leading token=(\d+)")]


class SingletonWorkerTest(ClusterTestCase, unittest.TestCase):
    def test_failover_and_fencing(self):
        worker_binary()
        with Cluster(3) as c:
            self.cluster = c
            endpoints = [m.client_url for m in c.members]
            replicas = [Replica(endpoints, "replica-%d" % i) for i in range(3)]
            try:
                self.run_scenario(c, endpoints, replicas)
            finally:
                for r in replicas:
                    r.stop()

    def run_scenario(self, c, endpoints, replicas):
        progress("waiting for one replica to lead")
        wait_until(lambda: sum(1 for r in replicas if r.tokens_led()) >= 1, 20, what="a leader")
        time.sleep(1.0)  # Let everyone settle and the leader write a few units.
        leaders = [r for r in replicas if r.tokens_led()]
        self.assertEqual(len(leaders), 1, "exactly one replica leads")
        old = leaders[0]
        old_token = old.tokens_led()[-1]
        for r in replicas:
            if r is not old:
                self.assertEqual(r.matching(r"^unit \d+ written"), [],
                                 "%s wrote work without leading" % r.identity)
        self.assertGreater(len(old.matching(r"^unit \d+ written token=%d" % old_token)), 0)

        progress("kill -9 the leader %s (token %d)" % (old.identity, old_token))
        killed_at = time.monotonic()
        os.kill(old.proc.pid, signal.SIGKILL)
        others = [r for r in replicas if r is not old]
        wait_until(lambda: any(r.tokens_led() for r in others),
                   LEASE_SECONDS + 10, what="another replica to take over")
        new = next(r for r in others if r.tokens_led())
        took_over_at, m = new.matching(r"^leading token=(\d+)")[0]
        new_token = int(m.group(1))
        gap = took_over_at - killed_at
        progress("%s leads with token %d, %.2fs after the kill" % (new.identity, new_token, gap))
        # The old lease must expire (its TTL) and the next candidate win: one election's worth
        # of slack on top, for the keep-alive period and the campaign round trips.
        self.assertLess(gap, LEASE_SECONDS + 2.5)
        self.assertGreater(new_token, old_token, "fencing tokens only grow")
        wait_until(lambda: new.matching(r"^unit \d+ written token=%d" % new_token), 10,
                   what="the new leader's first unit of work")

        progress("a late write with the old token %d must be refused" % old_token)
        late = subprocess.run([worker_binary(), "--endpoints", ",".join(endpoints), "write",
                               "--token", str(old_token), "--unit", "late"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(late.returncode, 3, late.stdout + late.stderr)
        self.assertIn("refused token=%d" % old_token, late.stdout)
        late_key = c.etcdctl("get", "/singleton-worker/units/late", "--keys-only").stdout
        self.assertEqual(late_key.strip(), "", "the refused write left nothing behind")
        fence = c.etcdctl("get", "/singleton-worker/fence", "--print-value-only").stdout.strip()
        self.assertGreaterEqual(int(fence), new_token)

if __name__ == "__main__":
    unittest.main()
