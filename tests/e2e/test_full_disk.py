"""A full disk: a member whose data dir is a small tmpfs runs out of space under writes. It must
never lose a write it acknowledged nor damage its data dir: it stops with a message naming the
disk, and once space returns it restarts cleanly, with everything it acknowledged (one member)
or caught up with its peers (three members).

Needs root (mount -t tmpfs), as CI has. Run: cd tests/e2e && REGENTD=/path/to/regentd \\
       /usr/bin/python3 -m unittest -v test_full_disk.py
"""

import os
import subprocess
import unittest

from regent_cluster import Cluster, progress, wait_until

# 200 KiB (given on stdin: an argument that long is refused by exec): the 64 MiB log segment and
# the tmpfs fill in a few hundred puts.
VALUE = "d" * (200 * 1024)
SMALL = "90m"  # One preallocated 64 MiB log segment fits, a second does not.


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path], check=True)


def resize_tmpfs(path, size):
    subprocess.run(["mount", "-o", "remount,size=" + size, path], check=True)


def unmount(path):
    subprocess.run(["umount", "-l", path], check=False)


class FullDiskTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.fail("needs root to mount a tmpfs (CI runs as root)")

    def fill_until_refused(self, c, member, limit=1000):
        """Puts through `member` until one fails; returns the keys acknowledged."""
        acked = []
        for n in range(limit):
            key = "fill/%04d" % n
            cp = c.etcdctl("put", key, endpoint=member, check=False, input=VALUE,
                           command_timeout="10s")
            if cp.returncode != 0:
                progress("put %d refused: %s" % (n, cp.stderr.strip()[:200]))
                return acked
            acked.append(key)
        self.fail("%d puts of %d bytes never filled a %s disk" % (limit, len(VALUE), SMALL))

    def test_one_member_keeps_every_acknowledged_write_across_a_full_disk(self):
        c = Cluster(1, snapshot_count=200)
        mount_tmpfs(c.members[0].data_dir, SMALL)
        try:
            with c:
                acked = self.fill_until_refused(c, 0)
                self.assertGreater(len(acked), 50)
                wait_until(lambda: not c.alive(0), 30, what="the member to stop itself")
                log = c.log(0)
                self.assertIn("No space left on device", log)
                progress("space returns: the member restarts on the same data dir")
                resize_tmpfs(c.members[0].data_dir, "400m")
                c.restart(0)
                keys = c.keys(0, "fill/")
                missing = sorted(set(acked) - set(keys))
                self.assertEqual(missing, [], "acknowledged writes lost")
                c.etcdctl("put", "after", "space", endpoint=0)
        finally:
            unmount(c.members[0].data_dir)

    def test_a_member_out_of_space_stops_and_catches_up_once_space_returns(self):
        c = Cluster(3, snapshot_count=200)
        small = c.members[2].data_dir
        mount_tmpfs(small, SMALL)
        try:
            with c:
                writer = 0
                acked = []
                # The cluster keeps taking writes while member 2 runs out: 2 of 3 is a majority.
                for n in range(600):
                    if not c.alive(2):
                        break
                    cp = c.etcdctl("put", "fill/%04d" % n, endpoint=writer, input=VALUE,
                                   check=False, command_timeout="10s")
                    if cp.returncode == 0:  # Refused: member 2 led, and a new leader comes.
                        acked.append("fill/%04d" % n)
                wait_until(lambda: not c.alive(2), 60, what="member 2 to stop on a full disk")
                self.assertIn("No space left on device", c.log(2))
                c.wait_leader(members=[0, 1])
                c.etcdctl("put", "while", "down", endpoint=writer)
                progress("space returns: member 2 restarts and catches up")
                resize_tmpfs(small, "600m")
                c.restart(2)
                c.wait_same_revision(timeout=60)
                self.assertEqual(c.hashkv(2)["hash"], c.hashkv(writer)["hash"])
                self.assertEqual(sorted(set(acked) - set(c.keys(2, "fill/"))), [])
        finally:
            unmount(small)


if __name__ == "__main__":
    unittest.main()
