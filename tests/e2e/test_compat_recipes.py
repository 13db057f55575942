"""etcd's own election and lock recipes against the cluster: `etcdctl elect`, `etcdctl lock` and
python etcd3's Lock. They build elections and locks from Txn, Lease and Watch themselves, so
this checks those APIs together the way real clients use them."""

import os
import time
import unittest

from regent_cluster import ClusterTestCase, LineProcess, client_module, progress, wait_until


def Etcdctl(cluster, *args):
    """A long-running etcdctl (elect, lock) against every member."""
    cmd = ["etcdctl", "--endpoints", ",".join(m.client_url for m in cluster.members)]
    return LineProcess(cmd + list(args), env=dict(os.environ, ETCDCTL_API="3"))


class CompatRecipesTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_shared_cluster(with_clients=True)

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def test_etcdctl_elect(self):
        first = Etcdctl(self.cluster, "elect", "compat-election", "first")
        second = None
        observer = None
        try:
            wait_until(lambda: "first" in first.output(), 15, what="the first candidate to win")
            second = Etcdctl(self.cluster, "elect", "compat-election", "second")
            observer = Etcdctl(self.cluster, "elect", "-l", "compat-election")
            wait_until(lambda: "first" in observer.output(), 15, what="the observer to see first")
            time.sleep(1.0)
            self.assertNotIn("second", second.output(), "two leaders at once")
            progress("interrupting the leader: it resigns")
            first.interrupt()
            wait_until(lambda: "second" in second.output(), 15, what="the second to win")
            wait_until(lambda: "second" in observer.output(), 15, what="the observer to see it")
        finally:
            for p in (first, second, observer):
                if p is not None:
                    p.stop()

    def test_etcdctl_lock_excludes(self):
        # Each holder appends "start" and "end" lines; with the lock held they never interleave.
        log = os.path.join(self.cluster.dir, "lock-log.txt")
        script = "echo start >> %s; sleep 0.5; echo end >> %s" % (log, log)
        holders = [Etcdctl(self.cluster, "lock", "compat-lock", "--", "sh", "-c", script)
                   for _ in range(3)]
        try:
            wait_until(lambda: all(h.proc.poll() is not None for h in holders), 30,
                       what="three lock holders to finish")
            for h in holders:
                self.assertEqual(h.proc.returncode, 0, h.output())
        finally:
            for h in holders:
                h.stop()
        with open(log) as f:
            lines = f.read().split()
        self.assertEqual(lines, ["start", "end"] * 3)

    def test_python_lock_excludes_releases_and_expires(self):
        # Debian's python3-etcd3 0.12 waits between attempts with a callback the installed
        # tenacity no longer calls that way (TypeError), so a *waiting* acquire cannot work with
        # any server; attempts that do not wait (timeout=0) exercise the same Txn and Lease path.
        a = self.clients[0].lock("compat-py-lock", ttl=2)
        b = self.clients[1].lock("compat-py-lock", ttl=2)
        self.assertTrue(a.acquire(timeout=0))
        self.assertTrue(a.is_acquired())
        self.assertFalse(b.acquire(timeout=0), "two holders at once")
        a.release()
        self.assertFalse(a.is_acquired())
        self.assertTrue(b.acquire(timeout=0))
        # b now holds it and never refreshes: its lease expires and the lock with it.
        held_at = time.monotonic()
        c = self.clients[2].lock("compat-py-lock", ttl=2)
        wait_until(lambda: c.acquire(timeout=0), 15, interval=0.2,
                   what="the abandoned lock to expire")
        self.assertGreater(time.monotonic() - held_at, 1.0)
        c.release()

if __name__ == "__main__":
    client_module()
    unittest.main()
