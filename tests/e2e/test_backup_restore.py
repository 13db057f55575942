"""Backup and restore, as an operator runs them: `etcdctl snapshot save` and `regentctl snapshot
save` against a member that keeps taking writes, `regentctl snapshot status` on the files, the
cluster destroyed, and a new cluster made with `regentctl snapshot restore` on every member: it
holds every key acknowledged before the backup, at the backup's revision and hash, under its own
members. Also what is refused: damaged, truncated and foreign files, a data dir in use.

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENTCTL=/path/to/regentctl \\
       /usr/bin/python3 -m unittest -v test_backup_restore.py
"""

import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from regent_cluster import Cluster, progress, scratch_dir

KEYS = 300


def regentctl_binary():
    path = os.environ.get("REGENTCTL")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("REGENTCTL is not set to the regentctl binary (CMake sets it)")
    return os.path.abspath(path)


def regentctl(*args, endpoint=None, check=True, timeout=60):
    cmd = [regentctl_binary()]
    if endpoint:
        cmd.append("--endpoints=" + endpoint)
    cmd += [str(a) for a in args]
    cp = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                        text=True)
    if check and cp.returncode != 0:
        raise AssertionError("regentctl %s failed (exit %d)\nstdout: %s\nstderr: %s" % (
            " ".join(cmd[1:]), cp.returncode, cp.stdout, cp.stderr))
    return cp


class Writer:
    """Puts load-<n> keys through etcdctl, one after another, until stopped (bounded in count)."""

    def __init__(self, cluster, endpoint):
        self.cluster, self.endpoint = cluster, endpoint
        self.stop = threading.Event()
        self.acknowledged = 0
        self.thread = threading.Thread(target=self.run)

    def run(self):
        for n in range(2000):
            if self.stop.is_set():
                return
            cp = self.cluster.etcdctl("put", "load-%05d" % n, "v%d" % n, endpoint=self.endpoint,
                                      check=False)
            if cp.returncode == 0:
                self.acknowledged += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=60)


class BackupRestoreTest(unittest.TestCase):
    def test_a_backup_taken_under_load_restores_into_a_new_cluster(self):
        files = scratch_dir("backups-")
        self.addCleanup(shutil.rmtree, files, True)
        with Cluster(3) as old:
            leader = old.leader_index()
            follower = (leader + 1) % old.size
            for i in range(KEYS):
                old.etcdctl("put", "key-%04d" % i, "value-%d" % i, endpoint=leader)
            acknowledged_rev = old.revision(leader)
            etcdctl_file = os.path.join(files, "etcdctl.backup")
            regentctl_file = os.path.join(files, "regentctl.backup")
            with Writer(old, leader) as writer:
                time.sleep(0.5)
                saved = old.etcdctl("snapshot", "save", etcdctl_file, endpoint=follower,
                                    timeout=60)
                self.assertIn("Snapshot saved at", saved.stdout + saved.stderr)
                regentctl("snapshot", "save", regentctl_file,
                          endpoint=old.members[leader].client_url)
                time.sleep(0.5)
            self.assertGreater(writer.acknowledged, 0, "no write went through during the saves")
            progress("%d puts acknowledged while the backups were taken" % writer.acknowledged)

            statuses = {}
            for path in (etcdctl_file, regentctl_file):
                st = json.loads(regentctl("snapshot", "status", path, "-w", "json").stdout)
                self.assertGreaterEqual(st["revision"], acknowledged_rev, path)
                self.assertGreaterEqual(st["totalKey"], KEYS, path)
                self.assertEqual(st["totalSize"], os.path.getsize(path))
                # The same bytes a member hashes at that revision: the backup is that state.
                live = old.hashkv(leader, rev=st["revision"])
                self.assertEqual(st["hash"], live["hash"], "%s: hash differs from the member's "
                                 "HashKV at revision %d" % (path, st["revision"]))
                statuses[path] = st
            table = regentctl("snapshot", "status", regentctl_file, "-w", "table").stdout
            self.assertIn("TOTAL KEYS", table)
            backup = statuses[etcdctl_file]

        new = Cluster(3)  # Not started: its data dirs come from the backup first.
        try:
            for m in new.members:
                done = regentctl("snapshot", "restore", etcdctl_file, "--name", m.name,
                                 "--initial-cluster", new.initial_cluster,
                                 "--initial-cluster-token", new.token,
                                 "--initial-advertise-peer-urls", m.peer_url,
                                 "--data-dir", m.data_dir)
                self.assertIn("Restored", done.stdout)
            # A directory made by restore is not written over by a second restore.
            again = regentctl("snapshot", "restore", etcdctl_file, "--name", "n1",
                              "--initial-cluster", new.initial_cluster,
                              "--initial-cluster-token", new.token,
                              "--initial-advertise-peer-urls", new.members[0].peer_url,
                              "--data-dir", new.members[0].data_dir, check=False)
            self.assertEqual(again.returncode, 1)
            self.assertIn("not empty", again.stderr)
            new.start()
            leader = new.leader_index()
            for i in range(0, KEYS, 7):
                got = new.etcdctl("get", "key-%04d" % i, "--print-value-only", endpoint=leader)
                self.assertEqual(got.stdout.strip(), "value-%d" % i)
            self.assertEqual(len(new.keys(leader, "key-")), KEYS)
            self.assertEqual(new.hashkv(leader, rev=backup["revision"])["hash"], backup["hash"])
            members = new.etcdctl_json("member", "list", endpoint=leader)["members"]
            self.assertEqual(sorted(m["name"] for m in members), ["n1", "n2", "n3"])
            # It takes writes, after the backup's revision.
            new.etcdctl("put", "after-restore", "yes", endpoint=leader)
            self.assertGreater(new.revision(leader), backup["revision"])
        except BaseException:
            new.dump_logs()
            raise
        finally:
            new.close()

    def test_damaged_truncated_and_foreign_files_are_refused_with_the_reason(self):
        with Cluster(1) as c:
            c.etcdctl("put", "a", "b", endpoint=0)
            good = os.path.join(c.dir, "good.backup")
            regentctl("snapshot", "save", good, endpoint=c.members[0].client_url)
            with open(good, "rb") as f:
                data = f.read()
            cases = {
                "truncated": data[:len(data) - 9],
                "damaged": data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0x40]) +
                           data[len(data) // 2 + 1:],
                "not a Regent backup": b"SQLite format 3\x00" + data[16:],
            }
            for why, content in cases.items():
                path = os.path.join(c.dir, why.replace(" ", "-") + ".backup")
                with open(path, "wb") as f:
                    f.write(content)
                st = regentctl("snapshot", "status", path, check=False)
                self.assertEqual(st.returncode, 1, why)
                self.assertIn(why, st.stderr, why)
                target = os.path.join(c.dir, "restore-" + why.replace(" ", "-"))
                rs = regentctl("snapshot", "restore", path, "--data-dir", target, check=False)
                self.assertEqual(rs.returncode, 1, why)
                self.assertIn(why, rs.stderr, why)
                self.assertFalse(os.path.exists(target), "%s: restore wrote %s" % (why, target))
            # save with several endpoints is refused, as etcdctl refuses it.
            two = regentctl("snapshot", "save", os.path.join(c.dir, "x"),
                            endpoint="%s,%s" % (c.members[0].client_url, c.members[0].client_url),
                            check=False)
            self.assertEqual(two.returncode, 2)


if __name__ == "__main__":
    unittest.main()
