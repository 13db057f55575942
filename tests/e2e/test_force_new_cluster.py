"""--force-new-cluster, the runbook for a cluster that lost its quorum for good: two of three
members are gone, the survivor cannot take writes; it is restarted with --force-new-cluster and
serves again as a cluster of one with every write the cluster had acknowledged, stays one on a
plain restart, and grows again with `member add` of a member on an empty data dir.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v \\
       test_force_new_cluster.py
"""

import json
import unittest

from regent_cluster import Cluster, progress, wait_until

KEYS = 60


class ForceNewClusterTest(unittest.TestCase):
    def members(self, c, endpoint):
        return c.etcdctl_json("member", "list", endpoint=endpoint).get("members", [])

    def test_a_survivor_of_a_lost_quorum_becomes_a_cluster_of_one(self):
        with Cluster(3, snapshot_count=25) as c:
            for n in range(KEYS):
                c.etcdctl("put", "k/%03d" % n, "v%d" % n)
            c.wait_same_revision()
            survivor_id = c.status(0)["header"]["member_id"]
            c.kill(1)
            c.kill(2)
            progress("two of three members lost for good")
            cp = c.etcdctl("put", "no", "quorum", endpoint=0, check=False, command_timeout="3s")
            self.assertNotEqual(cp.returncode, 0, "a put without a quorum succeeded")
            c.stop(0)

            c.flags["force_new_cluster"] = True
            c.restart(0, wait=False)
            c.wait_member_ready(0, timeout=30)
            del c.flags["force_new_cluster"]
            listed = self.members(c, 0)
            self.assertEqual([m["ID"] for m in listed], [survivor_id], json.dumps(listed))
            keys = c.keys(0, "k/", serializable=False)
            self.assertEqual(len(keys), KEYS, "acknowledged writes lost")
            self.assertIn("cluster of one", c.log(0))
            c.etcdctl("put", "after", "force", endpoint=0)

            progress("a plain restart keeps the cluster of one and its data")
            c.restart(0)
            self.assertEqual(len(self.members(c, 0)), 1)
            self.assertEqual(len(c.keys(0, "k/", serializable=False)), KEYS)

            progress("the cluster grows again: a new member on an empty data dir")
            new = c.add_member(initial_cluster_members=[0])
            m = c.members[new]
            c.etcdctl("member", "add", m.name, "--peer-urls=" + m.peer_url, endpoint=0)
            c.spawn(new)
            wait_until(lambda: c.alive(new) and c.health(new), 60, what="the new member healthy")
            c.wait_same_revision(members=[0, new], timeout=60)
            self.assertEqual(c.hashkv(new)["hash"], c.hashkv(0)["hash"])
            self.assertEqual(len(self.members(c, 0)), 2)

    def test_a_fresh_data_dir_is_refused(self):
        c = Cluster(1, force_new_cluster=True)
        try:
            rc, log = c.run_until_exit(0, timeout=20)
        finally:
            c.close()
        self.assertNotEqual(rc, 0, log)
        self.assertIn("holds no member's state", log)


if __name__ == "__main__":
    unittest.main()
