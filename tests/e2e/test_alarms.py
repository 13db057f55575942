"""Quotas, alarms, defragment and corruption checks, as an operator meets them through etcdctl:

- a cluster with a small --quota-backend-bytes fills up: puts are refused with etcd's "database
  space exceeded" on every member, `etcdctl alarm list` shows the NOSPACE alarm, /health turns
  false, while reads, deletes and compaction still work; after compacting and defragmenting,
  `endpoint status` shows the size in use and on disk come back, `etcdctl alarm disarm` clears
  the alarm and puts work again;
- one member's snapshot is damaged past its checksums between runs: with
  --experimental-initial-corrupt-check it refuses to start ("found data inconsistency with
  peers"); with --experimental-corrupt-check-time the leader finds it, raises CORRUPT, and then
  writes are refused cluster-wide and the damaged member serves no reads.

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENT_CORRUPT_SNAPSHOT=/path/to/tool \\
       /usr/bin/python3 -m unittest -v test_alarms.py
"""

import glob
import json
import os
import subprocess
import time
import unittest
import urllib.request

from regent_cluster import Cluster, progress, wait_until

NOSPACE = "etcdserver: mvcc: database space exceeded"
CORRUPT = "etcdserver: corrupt cluster"
QUOTA = 400 * 1024
VALUE = "v" * 8192


def health(cluster, i):
    try:
        with urllib.request.urlopen(cluster.members[i].client_url + "/health", timeout=5) as r:
            return json.loads(r.read())["health"]
    except urllib.error.HTTPError as e:
        return json.loads(e.read())["health"]


class QuotaTest(unittest.TestCase):
    def test_quota_raises_nospace_and_an_operator_recovers(self):
        with Cluster(3, quota_backend_bytes=QUOTA, snapshot_count=50) as c:
            progress("filling the store until the quota refuses")
            refused = None
            for n in range(200):  # 200 x 8 KiB is four times the quota: bounded.
                cp = c.etcdctl("put", "fill/%03d" % n, VALUE, endpoint=n % 3, check=False)
                if cp.returncode != 0:
                    refused = n
                    self.assertIn(NOSPACE, cp.stderr)
                    break
            self.assertIsNotNone(refused, "the quota never refused a put")
            self.assertGreater(refused, 20, "refused long before the quota was reached")
            status = c.status(0)
            self.assertLessEqual(status["dbSizeInUse"], QUOTA + len(VALUE) + 1024)

            progress("the alarm is raised on every member")
            alarms = c.etcdctl("alarm", "list").stdout
            self.assertIn("alarm:NOSPACE", alarms)
            for i in range(3):
                cp = c.etcdctl("put", "other", "x", endpoint=i, check=False)
                self.assertNotEqual(cp.returncode, 0, "member %d took a put under NOSPACE" % i)
                self.assertIn(NOSPACE, cp.stderr)
                self.assertEqual(health(c, i), "false")
            lease = c.etcdctl("lease", "grant", "60", check=False)
            self.assertIn(NOSPACE, lease.stderr, "a lease grant takes space too")
            self.assertTrue(any("NOSPACE" in e for e in c.status(1).get("errors", [])),
                            "endpoint status shows the alarm")

            progress("reads, deletes and compaction still work")
            self.assertEqual(c.etcdctl("get", "fill/000", "--print-value-only").stdout.strip(), VALUE)
            c.etcdctl("del", "fill/", "--prefix")
            rev = c.revision(0)
            in_use_before = c.status(0)["dbSizeInUse"]
            c.etcdctl("compact", str(rev))
            wait_until(lambda: c.status(0)["dbSizeInUse"] < in_use_before / 10, 10,
                       what="the size in use to drop after compaction")

            progress("defragment gives the disk space back")
            on_disk_before = {i: c.status(i)["dbSize"] for i in range(3)}
            out = c.etcdctl("defrag", "--command-timeout=30s").stdout
            self.assertEqual(out.count("Finished defragmenting etcd member"), 3, out)
            for i in range(3):
                after = c.status(i)["dbSize"]
                self.assertLess(after, on_disk_before[i],
                                "member %d: %d bytes before, %d after" % (i, on_disk_before[i], after))

            progress("disarm: writes are accepted again")
            out = c.etcdctl("alarm", "disarm").stdout
            self.assertIn("alarm:NOSPACE", out)
            self.assertEqual(c.etcdctl("alarm", "list").stdout.strip(), "")
            c.etcdctl("put", "after", "disarm")
            wait_until(lambda: all(health(c, i) == "true" for i in range(3)), 10,
                       what="every member healthy after disarm")

    def test_a_negative_quota_means_none(self):
        with Cluster(1, quota_backend_bytes=-1) as c:
            for n in range(40):
                c.etcdctl("put", "k%d" % n, VALUE)
            self.assertEqual(c.etcdctl("alarm", "list").stdout.strip(), "")


def corrupt_tool():
    path = os.environ.get("REGENT_CORRUPT_SNAPSHOT")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("REGENT_CORRUPT_SNAPSHOT is not set (CMake sets it)")
    return path


class CorruptionTest(unittest.TestCase):
    def damage_member_2(self, c):
        """Makes member 2 of `c` hold, in its newest snapshot, a value the others do not; leaves
        it stopped."""
        c.etcdctl("put", "victim", "GOOD-VALUE")
        for n in range(60):
            c.etcdctl("put", "filler/%02d" % n, "x")
        c.wait_same_revision()
        c.stop(2)
        snaps = sorted(glob.glob(os.path.join(c.members[2].data_dir, "snap", "*.snap")))
        self.assertTrue(snaps, "member 2 took no snapshot")
        out = subprocess.run([corrupt_tool(), snaps[-1], "GOOD-VALUE", "EVIL-VALUE"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_initial_check_refuses_to_start_a_member_that_differs(self):
        with Cluster(3, snapshot_count=20, experimental_initial_corrupt_check=True) as c:
            self.damage_member_2(c)
            rc, log = c.run_until_exit(2, timeout=30)
            self.assertIsNotNone(rc, "the damaged member kept running\n" + log[-2000:])
            self.assertNotEqual(rc, 0)
            self.assertIn("found data inconsistency with peers", log)
            # The others were checked the same way at their restarts and carry on.
            c.restart(0)
            c.wait_leader(members=[0, 1])

    def test_periodic_check_raises_corrupt_and_the_member_stops_serving(self):
        with Cluster(3, snapshot_count=20, experimental_corrupt_check_time="1s") as c:
            self.damage_member_2(c)
            c.restart(2, wait=False)  # Its health may turn false at once: the alarm.
            progress("waiting for the leader's check to find member 2")
            wait_until(lambda: "alarm:CORRUPT" in c.etcdctl("alarm", "list", endpoint=0).stdout,
                       30, what="a CORRUPT alarm")
            alarms = c.etcdctl("alarm", "list", endpoint=0).stdout
            damaged_id = c.status(2)["header"]["member_id"]
            self.assertIn("memberID:%d alarm:CORRUPT" % damaged_id, alarms)
            self.assertEqual(alarms.count("alarm:CORRUPT"), 1, "only the damaged member: " + alarms)
            for i in range(3):
                cp = c.etcdctl("put", "k", "v", endpoint=i, check=False)
                self.assertIn(CORRUPT, cp.stderr, "member %d took a write" % i)
            cp = c.etcdctl("get", "victim", endpoint=2, check=False)
            self.assertNotEqual(cp.returncode, 0, "the damaged member served " + cp.stdout)
            self.assertNotIn("EVIL-VALUE", cp.stdout)
            self.assertEqual(
                c.etcdctl("get", "victim", "--print-value-only", endpoint=0).stdout.strip(),
                "GOOD-VALUE")


if __name__ == "__main__":
    unittest.main()
