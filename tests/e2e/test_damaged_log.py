"""A member whose log was damaged on disk while it was down (a lost sector, lost writes) never
serves data that is behind what it acknowledged: it refuses to start when synced data changed,
and when what it lost reads like a torn write, it serves nothing until the leader has shown it
what it lost and it has caught up.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_damaged_log.py
"""

import base64
import glob
import json
import os
import shutil
import struct
import time
import unittest

from regent_cluster import Cluster, progress, wait_until

SECTOR = 512
HEADER = 12
MAGIC = 0xA7
SYNC_POINT = 5
BIG = "B" * 4096


def records(path):
    """(offset, type, end) of every record of a WAL segment, up to where the records end."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos + HEADER <= len(data):
        length = struct.unpack_from("<I", data, pos + 4)[0]
        if data[pos + 9] != MAGIC or length > len(data):
            break
        out.append((pos, data[pos + 8], pos + HEADER + length))
        pos += HEADER + length
    return out, data


def zero(path, begin, end):
    with open(path, "r+b") as f:
        f.seek(begin)
        f.write(b"\0" * (end - begin))
        f.flush()
        os.fsync(f.fileno())


class DamagedLogTest(unittest.TestCase):

    def write_big_then_more(self, c, follower):
        """A 4 KiB value, then more writes: every member holds all of them."""
        c.etcdctl("put", "big", BIG)
        for k in range(20):
            c.etcdctl("put", "after/%02d" % k, "v%d" % k)
        c.wait_same_revision()
        c.stop(follower)

    def big_record(self, c, follower):
        """(segment, record offset, record end, data) of the record holding the 4 KiB value."""
        wal = os.path.join(c.members[follower].data_dir, "wal")
        newest = sorted(glob.glob(os.path.join(wal, "*.wal")))[-1]
        recs, data = records(newest)
        for off, _, end in recs:
            if BIG.encode() in data[off:end]:
                return newest, off, end, recs
        self.fail("no record of %s holds the 4 KiB value" % newest)

    def stop_a_follower_after_a_big_write(self, c):
        """Stops a follower once it holds the 4 KiB value and 20 later writes; returns
        (follower, its newest segment, the big record's offset and end, the segment's records,
        a sector wholly inside the 4 KiB value)."""
        follower = (c.wait_leader() + 1) % 3
        self.write_big_then_more(c, follower)
        segment, off, end, recs = self.big_record(c, follower)
        sector = ((off + HEADER) // SECTOR + 2) * SECTOR
        self.assertLessEqual(sector + SECTOR, end)
        return follower, segment, end, recs, sector

    def test_a_zeroed_sector_in_a_synced_record_that_later_writes_follow_stops_the_member(self):
        with Cluster(3) as c:
            follower, segment, end, recs, sector = self.stop_a_follower_after_a_big_write(c)
            self.assertTrue(any(t == SYNC_POINT and o >= end for o, t, _ in recs),
                            "later writes of the follower begin with a sync point")
            zero(segment, sector, sector + SECTOR)

            c.restart(follower, wait=False)
            proc = c.members[follower].proc
            rc = proc.wait(timeout=30)
            c._reap(c.members[follower])
            log = c.last_run_log(follower)
            progress("damaged member exited %s: %s" % (rc, log.strip().splitlines()[-1:]))
            self.assertNotEqual(rc, 0, "the member must refuse to start")
            for words in (os.path.basename(segment), "corrupt at offset", "sync point",
                          "not a torn write"):
                self.assertIn(words, log)
            # The others go on without it.
            c.etcdctl("put", "still", "writable", endpoint=[i for i in range(3) if i != follower])

    def test_a_lost_tail_of_synced_writes_is_cut_and_the_member_catches_up_serving_nothing_stale(self):
        with Cluster(3) as c:
            follower, segment, end, recs, sector = self.stop_a_follower_after_a_big_write(c)
            # A sector inside the 4 KiB value lost, and every write synced after it lost too: a
            # disk that dropped its last writes. The bytes read exactly like a torn write.
            written_end = recs[-1][2]
            zero(segment, sector, sector + SECTOR)
            zero(segment, end, written_end)

            # The others are paused, so the member hears from no leader at first: it must refuse
            # reads (it cannot know yet that what it cut had been acknowledged).
            others = [i for i in range(3) if i != follower]
            for i in others:
                c.pause(i)
            c.restart(follower, wait=False)

            def refused():
                c._check_alive(follower)
                cp = c.etcdctl("get", "big", "--consistency=s", endpoint=follower, check=False,
                               command_timeout="1s")
                return cp.returncode != 0 and "has not heard from a leader" in cp.stderr
            wait_until(refused, 10, interval=0.05, what="a read refused before a leader spoke")
            self.assertFalse(c.health(follower), "unhealthy until a leader has spoken")
            errors = c.etcdctl_json("endpoint", "status", endpoint=follower)[0]["Status"]["errors"]
            self.assertTrue(any("has not heard from a leader" in e for e in errors), errors)
            for i in others:
                c.resume(i)
            want = {"big": BIG}
            want.update({"after/%02d" % k: "v%d" % k for k in range(20)})
            served, refused = 0, 0
            deadline = time.monotonic() + 30
            caught_up = False
            while time.monotonic() < deadline and not caught_up:
                c._check_alive(follower)
                cp = c.etcdctl("get", "", "--prefix", "--consistency=s", "-w", "json",
                               endpoint=follower, check=False, command_timeout="2s")
                if cp.returncode != 0:
                    refused += 1
                    continue
                kvs = json.loads(cp.stdout).get("kvs", [])
                got = {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                       for kv in kvs}
                served += 1
                missing = [k for k in want if got.get(k) != want[k]]
                self.assertFalse(missing, "served a stale read without %s" % missing[:3])
                caught_up = True
            self.assertTrue(caught_up, "the member never served after catching up")
            log = c.last_run_log(follower)
            self.assertIn("torn tail", log)
            self.assertTrue(any("reports its log ends at" in c.log(i) for i in range(3)),
                            "a leader was told where the member's log really ends")
            progress("stale reads refused %d times, then served whole" % refused)
            wait_until(lambda: c.health(follower), 20, what="the member to be healthy again")
            c.wait_same_revision()
            hashes = {c.hashkv(i)["hash"] for i in range(3)}
            self.assertEqual(len(hashes), 1, hashes)

    def test_an_emptied_log_under_a_kept_identity_votes_and_serves_nothing_until_caught_up(self):
        with Cluster(3) as c:
            for k in range(20):
                c.etcdctl("put", "kept/%02d" % k, "v%d" % k)
            c.wait_same_revision()
            for i in range(3):
                self.assertEqual(c.stop(i), 0)
            # n3's log and snapshots are gone, its IDENTITY file stays. No peer is up to say it
            # was bootstrapped, so it boots again: it must know that it lost everything.
            data = c.members[2].data_dir
            for sub in ("wal", "snap"):
                shutil.rmtree(os.path.join(data, sub), ignore_errors=True)
            self.assertTrue(os.path.exists(os.path.join(data, "IDENTITY")))
            c.spawn(2)

            def refused():
                c._check_alive(2)
                cp = c.etcdctl("get", "kept/00", "--consistency=s", endpoint=2, check=False,
                               command_timeout="1s")
                return cp.returncode != 0 and "catching up" in cp.stderr
            wait_until(refused, 15, interval=0.1, what="n3 to refuse reads while it lost its log")
            self.assertIn("holds this member's identity but no log", c.last_run_log(2))

            c.spawn(0)
            c.spawn(1)
            want = {"kept/%02d" % k: "v%d" % k for k in range(20)}

            def whole():
                c._check_alive(2)
                cp = c.etcdctl("get", "kept/", "--prefix", "--consistency=s", "-w", "json",
                               endpoint=2, check=False, command_timeout="2s")
                if cp.returncode != 0:
                    return False
                got = {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
                       for kv in json.loads(cp.stdout).get("kvs", [])}
                self.assertEqual(got, want, "n3 served a read before it had caught up")
                return True
            wait_until(whole, 30, interval=0.2, what="n3 to catch up and serve every key")
            self.assertIn("caught up past entry", c.last_run_log(2))


if __name__ == "__main__":
    unittest.main()
