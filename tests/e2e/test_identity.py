"""A data directory serves the member it was made for (issue 19).

- A member restarted on its data dir with flags that give it another identity (another
  --initial-cluster-token, another --name) refuses to start, naming both identities, instead of
  running as a stray cluster of one. A data dir without the identity file (made by an earlier
  version) gets one on its first start.
- A member whose data dir was emptied and that is started again as --initial-cluster-state new
  refuses to start ("member <id> has already been bootstrapped", etcd's words), while a brand-new
  cluster whose members start seconds apart still boots.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_identity.py
(With REGENTD set to etcd 3.4 the emptied-data-dir and staggered-start tests pass as well; etcd
keeps the identity in its WAL and ignores changed flags, so the first test is Regent's alone.)
"""

import os
import re
import shutil
import time
import unittest

from regent_cluster import Cluster, progress, wait_until

REFUSAL_TIMEOUT = 20  # A refused start exits at once; this only bounds a start that is not refused.


class IdentityTest(unittest.TestCase):

    def set_name(self, c, i, name):
        c.members[i].name = name
        c.initial_cluster = ",".join("%s=%s" % (m.name, m.peer_url) for m in c.members)

    def assert_refused(self, c, i, *needles):
        rc, log = c.run_until_exit(i, timeout=REFUSAL_TIMEOUT)
        self.assertIsNotNone(rc, "member %s kept running; its log:\n%s" % (c.members[i].name, log))
        self.assertNotEqual(rc, 0, log)
        for n in needles:
            self.assertIn(n, log)
        return log

    def test_restart_with_other_token_or_name_is_refused(self):
        with Cluster(3) as c:
            if c.is_etcd:
                self.skipTest("etcd takes the identity from its WAL and ignores changed flags")
            c.etcdctl("put", "id/k", "v")
            st = c.status(0)
            member = "%x" % st["header"]["member_id"]
            cluster = "%x" % st["header"]["cluster_id"]
            self.assertEqual(c.stop(0), 0)
            token = c.token

            c.token = token + "-other"
            log = self.assert_refused(c, 0, "belongs to member %s (name \"n1\") of cluster %s" % (
                member, cluster))
            m = re.search(r"but the flags make this member ([0-9a-f]+) \(name \"n1\"\) of cluster "
                          r"([0-9a-f]+)", log)
            self.assertIsNotNone(m, log)
            self.assertNotEqual(m.group(1), member)
            self.assertNotEqual(m.group(2), cluster)
            progress("another token refused: data dir is member %s, flags say %s" % (member, m.group(1)))

            c.token = token
            self.set_name(c, 0, "n1-renamed")
            self.assert_refused(c, 0, "belongs to member %s (name \"n1\")" % member,
                                "the flags make this member %s (name \"n1-renamed\")" % member)

            # With its own flags it starts again, on its data, and the file was left as it was.
            self.set_name(c, 0, "n1")
            c.restart(0)
            with open(os.path.join(c.members[0].data_dir, "IDENTITY")) as f:
                self.assertIn("name n1\n", f.read())
            self.assertEqual(c.etcdctl("get", "id/k", "--print-value-only", "--consistency=s",
                                       endpoint=0).stdout, "v\n")
            self.assertEqual("%x" % c.status(0)["header"]["member_id"], member)

            # A data dir made before identity files (none, but data) gets one on its first start.
            self.assertEqual(c.stop(0), 0)
            identity = os.path.join(c.members[0].data_dir, "IDENTITY")
            os.remove(identity)
            c.restart(0)
            self.assertIn("created before identity files", c.last_run_log(0))
            with open(identity) as f:
                self.assertEqual(f.read().splitlines()[2], "name n1")
            self.assertEqual(c.stop(0), 0)
            c.token = token + "-other"
            self.assert_refused(c, 0, "belongs to member %s" % member)

    def test_emptied_data_dir_started_as_new_is_refused(self):
        with Cluster(3) as c:
            c.etcdctl("put", "id/k", "v")
            member = c.status(2)["header"]["member_id"]

            def published():
                members = c.etcdctl_json("member", "list")["members"]
                return any(m.get("ID") == member and m.get("clientURLs") for m in members)
            wait_until(published, 20, what="n3 to publish its client URLs")
            self.assertEqual(c.stop(2), 0)
            shutil.rmtree(c.members[2].data_dir)
            os.makedirs(c.members[2].data_dir)
            needles = ["member %x has already been bootstrapped" % member]
            if not c.is_etcd:
                needles += [c.members[2].data_dir, "member remove", "member add"]
            self.assert_refused(c, 2, *needles)
            # The other two still serve.
            c.wait_leader(members=[0, 1])
            c.etcdctl("put", "id/k2", "v2", endpoint=[0, 1])

    def test_new_cluster_members_started_seconds_apart_boot(self):
        c = Cluster(3)
        try:
            for i in range(3):
                c.spawn(i)
                time.sleep(2)
            c.wait_healthy(timeout=30)
            c.wait_leader()
            c.etcdctl("put", "id/k", "v")
            for i in range(3):
                self.assertEqual(c.etcdctl("get", "id/k", "--print-value-only", endpoint=i).stdout,
                                 "v\n")
                self.assertNotIn("already been bootstrapped", c.log(i))
        except BaseException:
            c.dump_logs()
            c.close(keep=True)
            raise
        c.close()


if __name__ == "__main__":
    unittest.main()
