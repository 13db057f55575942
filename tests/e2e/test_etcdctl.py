"""etcdctl (Debian etcd-client 3.4, API v3) against a 3-member cluster.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_etcdctl.py
"""

import base64
import json
import unittest

from regent_cluster import ClusterTestCase, wait_until


def b64(s):
    return base64.b64encode(s.encode()).decode()


def unb64(s):
    return base64.b64decode(s).decode()


class EtcdctlTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_shared_cluster()

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    # ------------------------------------------------------------ helpers
    def ctl(self, *args, **kw):
        return self.cluster.etcdctl(*args, **kw)

    def put(self, key, value, **kw):
        """Put and return the revision of the write (from the response header)."""
        out = self.cluster.etcdctl_json("put", key, value, **kw)
        return out["header"]["revision"]

    def get_json(self, *args, **kw):
        return self.cluster.etcdctl_json("get", *args, **kw)

    def kvs(self, *args, **kw):
        """[(key, value)] of a get, decoded from -w json (etcdctl base64-encodes bytes there)."""
        out = self.get_json(*args, **kw)
        return [(unb64(kv["key"]), unb64(kv.get("value", ""))) for kv in out.get("kvs", [])]

    def fails_with(self, text, *args, **kw):
        cp = self.ctl(*args, check=False, **kw)
        self.assertNotEqual(cp.returncode, 0, "etcdctl %s should fail; stdout=%r" % (args, cp.stdout))
        self.assertIn(text, cp.stderr)
        return cp

    def txn(self, compares, success, failure, endpoint=None):
        """etcdctl txn --interactive=false; returns (succeeded, json output)."""
        body = "\n".join(compares) + "\n\n" + "\n".join(success) + "\n\n" + "\n".join(failure) + "\n\n"
        out = json.loads(self.ctl("txn", "--interactive=false", "-w", "json", input=body,
                                  endpoint=endpoint).stdout)
        # etcdctl's json writer omits false booleans: a missing "succeeded" means false.
        return out.get("succeeded", False), out

    def follower(self):
        li = self.cluster.wait_leader()
        return li, [i for i in range(3) if i != li]

    # ------------------------------------------------------------ KV
    def test_put_get_versions(self):
        cp = self.ctl("put", "pg/first", "x")
        self.assertEqual(cp.stdout, "OK\n")
        rev1 = self.put("pg/k", "v1")
        self.assertEqual(self.ctl("get", "pg/k").stdout, "pg/k\nv1\n")
        kv = self.get_json("pg/k")["kvs"][0]
        self.assertEqual((unb64(kv["key"]), unb64(kv["value"])), ("pg/k", "v1"))
        self.assertEqual(kv["create_revision"], rev1)
        self.assertEqual(kv["mod_revision"], rev1)
        self.assertEqual(kv["version"], 1)

        rev2 = self.put("pg/k", "v2")
        self.assertGreater(rev2, rev1)
        out = self.get_json("pg/k")
        kv = out["kvs"][0]
        self.assertEqual(kv["create_revision"], rev1)
        self.assertEqual(kv["mod_revision"], rev2)
        self.assertEqual(kv["version"], 2)
        self.assertEqual(out["count"], 1)
        self.assertGreaterEqual(out["header"]["revision"], rev2)
        self.assertEqual(self.ctl("get", "pg/k", "--print-value-only").stdout, "v2\n")

        # A value with spaces and non-ASCII bytes round-trips.
        self.put("pg/u", "héllo wörld  ")
        self.assertEqual(self.kvs("pg/u"), [("pg/u", "héllo wörld  ")])

        # A missing key: exit 0, nothing printed, count 0.
        cp = self.ctl("get", "pg/missing")
        self.assertEqual(cp.stdout, "")
        self.assertNotIn("kvs", self.get_json("pg/missing"))

        # put --prev-kv shows the previous pair.
        cp = self.ctl("put", "pg/k", "v3", "--prev-kv")
        self.assertEqual(cp.stdout, "OK\npg/k\nv2\n")

    def test_prefix_limit_keys_only_from_key_range(self):
        keys = ["rg/a", "rg/b", "rg/c", "rg/d", "rg/e"]
        for k in keys:
            self.put(k, "val-" + k)
        self.put("rg0", "outside")  # just past the prefix: must not show up

        self.assertEqual(self.kvs("rg/", "--prefix"), [(k, "val-" + k) for k in keys])
        self.assertEqual(self.ctl("get", "rg/", "--prefix").stdout,
                         "".join("%s\nval-%s\n" % (k, k) for k in keys))

        # --limit: first two keys, but count is still the total and "more" is set.
        out = self.get_json("rg/", "--prefix", "--limit", "2")
        self.assertEqual([unb64(kv["key"]) for kv in out["kvs"]], keys[:2])
        self.assertEqual(out["count"], 5)
        self.assertTrue(out.get("more", False))
        self.assertEqual(self.ctl("get", "rg/", "--prefix", "--limit", "2").stdout,
                         "rg/a\nval-rg/a\nrg/b\nval-rg/b\n")

        # --keys-only: keys, no values (simple format prints each key followed by an empty line).
        cp = self.ctl("get", "rg/", "--prefix", "--keys-only")
        self.assertEqual([l for l in cp.stdout.splitlines() if l], keys)
        self.assertNotIn("val-", cp.stdout)
        out = self.get_json("rg/", "--prefix", "--keys-only")
        self.assertTrue(all("value" not in kv for kv in out["kvs"]))

        # etcdctl 3.4 has no --count-only flag (3.5 added it): the count is in the json header.
        cp = self.ctl("get", "rg/", "--prefix", "--count-only", check=False)
        if cp.returncode == 0:  # a newer etcdctl
            self.assertIn("5", cp.stdout)

        # --print-value-only
        self.assertEqual(self.ctl("get", "rg/", "--prefix", "--print-value-only").stdout,
                         "".join("val-%s\n" % k for k in keys))

        # --from-key: every key >= rg/c, in order (other tests' keys may follow).
        got = [k for k, _ in self.kvs("rg/c", "--from-key")]
        self.assertEqual(got[:4], ["rg/c", "rg/d", "rg/e", "rg0"])
        self.assertEqual(got, sorted(got))
        self.assertTrue(all(k >= "rg/c" for k in got))

        # Explicit [key, range_end)
        self.assertEqual([k for k, _ in self.kvs("rg/b", "rg/d")], ["rg/b", "rg/c"])
        # Descending order
        self.assertEqual([k for k, _ in self.kvs("rg/", "--prefix", "--order=DESCEND")],
                         list(reversed(keys)))

    def test_get_at_revision(self):
        r1 = self.put("rev/k", "one")
        r2 = self.put("rev/k", "two")
        out = self.cluster.etcdctl_json("del", "rev/k")
        r3 = out["header"]["revision"]
        self.assertEqual(out["deleted"], 1)
        self.assertEqual(self.ctl("get", "rev/k", "--rev", r1, "--print-value-only").stdout, "one\n")
        self.assertEqual(self.ctl("get", "rev/k", "--rev", r2, "--print-value-only").stdout, "two\n")
        self.assertEqual(self.ctl("get", "rev/k", "--rev", r3).stdout, "")
        self.assertEqual(self.ctl("get", "rev/k").stdout, "")
        kv = self.get_json("rev/k", "--rev", r2)["kvs"][0]
        self.assertEqual((kv["create_revision"], kv["mod_revision"], kv["version"]), (r1, r2, 2))
        self.fails_with("required revision is a future revision", "get", "rev/k", "--rev", r3 + 100000)

    def test_delete(self):
        for k in ("del/a", "del/b", "del/c", "del/d", "dex"):
            self.put(k, "v-" + k)
        self.assertEqual(self.ctl("del", "del/a").stdout.strip(), "1")
        self.assertEqual(self.ctl("del", "del/a").stdout.strip(), "0")
        self.assertEqual(self.ctl("del", "del/missing").stdout.strip(), "0")
        # del --prev-kv: count then key/value pairs of what was deleted.
        cp = self.ctl("del", "del/", "--prefix", "--prev-kv")
        self.assertEqual(cp.stdout, "3\ndel/b\nv-del/b\ndel/c\nv-del/c\ndel/d\nv-del/d\n")
        self.assertEqual(self.ctl("get", "del/", "--prefix").stdout, "")
        self.assertEqual(self.kvs("dex"), [("dex", "v-dex")])
        # A [key, range_end) delete
        for k in ("dr/1", "dr/2", "dr/3"):
            self.put(k, "x")
        out = self.cluster.etcdctl_json("del", "dr/1", "dr/3", "--prev-kv")
        self.assertEqual(out["deleted"], 2)
        self.assertEqual([unb64(kv["key"]) for kv in out["prev_kvs"]], ["dr/1", "dr/2"])
        self.assertEqual([k for k, _ in self.kvs("dr/", "--prefix")], ["dr/3"])

    # ------------------------------------------------------------ Txn
    def test_txn(self):
        r1 = self.put("tx/k", "v1")
        r2 = self.put("tx/k", "v2")  # version 2, create r1, mod r2

        # Every kind of compare true -> success branch.
        ok, out = self.txn(['value("tx/k") = "v2"', 'version("tx/k") = "2"',
                            'create("tx/k") = "%d"' % r1, 'mod("tx/k") = "%d"' % r2],
                           ["put tx/s yes", "get tx/k"], ["put tx/f yes"])
        self.assertTrue(ok)
        self.assertEqual(len(out["responses"]), 2)
        rng = out["responses"][1]["Response"]["ResponseRange"]
        self.assertEqual(unb64(rng["kvs"][0]["value"]), "v2")
        self.assertEqual(self.kvs("tx/s"), [("tx/s", "yes")])
        self.assertEqual(self.kvs("tx/f"), [])

        # <, >, != forms
        ok, _ = self.txn(['version("tx/k") > "1"', 'mod("tx/k") < "%d"' % (r2 + 1),
                          'create("tx/k") != "0"', 'value("tx/k") != "zzz"'], ["put tx/s2 yes"], [])
        self.assertTrue(ok)
        self.assertEqual(self.kvs("tx/s2"), [("tx/s2", "yes")])

        # One false compare -> failure branch only.
        for bad in ['value("tx/k") = "v1"', 'version("tx/k") = "1"', 'create("tx/k") = "%d"' % r2,
                    'mod("tx/k") = "%d"' % r1]:
            self.ctl("del", "tx/f")
            self.ctl("del", "tx/s")
            ok, out = self.txn(['value("tx/k") = "v2"', bad], ["put tx/s yes"], ["put tx/f no", "get tx/k"])
            self.assertFalse(ok, bad)
            self.assertEqual(self.kvs("tx/s"), [], bad)
            self.assertEqual(self.kvs("tx/f"), [("tx/f", "no")], bad)

        # Simple output format
        cp = self.ctl("txn", "--interactive=false",
                      input='value("tx/k") = "v2"\n\nput tx/o a\n\nput tx/o b\n\n')
        self.assertEqual(cp.stdout.splitlines()[0], "SUCCESS")
        cp = self.ctl("txn", "--interactive=false",
                      input='value("tx/k") = "nope"\n\nput tx/o a\n\nput tx/o b\n\n')
        self.assertEqual(cp.stdout.splitlines()[0], "FAILURE")
        self.assertEqual(self.kvs("tx/o"), [("tx/o", "b")])

        # Compare on a missing key: a value compare is false (even against ""), version/create/mod
        # compare as 0.
        ok, _ = self.txn(['value("tx/missing") = ""'], ["put tx/m1 s"], ["put tx/m1 f"])
        self.assertFalse(ok)
        self.assertEqual(self.kvs("tx/m1"), [("tx/m1", "f")])
        ok, _ = self.txn(['version("tx/missing") = "0"', 'create("tx/missing") = "0"',
                          'mod("tx/missing") = "0"'], ["put tx/m2 s"], ["put tx/m2 f"])
        self.assertTrue(ok)
        self.assertEqual(self.kvs("tx/m2"), [("tx/m2", "s")])

        # A txn's writes share one revision; deletes in a txn.
        ok, out = self.txn(['version("tx/missing") = "0"'], ["put tx/a 1", "put tx/b 2", "del tx/m2"], [])
        self.assertTrue(ok)
        rev = out["header"]["revision"]
        a = self.get_json("tx/a")["kvs"][0]
        b = self.get_json("tx/b")["kvs"][0]
        self.assertEqual((a["mod_revision"], b["mod_revision"]), (rev, rev))
        self.assertEqual(self.kvs("tx/m2"), [])

    # ------------------------------------------------------------ compaction
    def test_compaction(self):
        r1 = self.put("cp/k", "one")
        r2 = self.put("cp/k", "two")
        r3 = self.put("cp/k", "three")
        cp = self.ctl("compaction", r2)
        self.assertIn("compacted revision %d" % r2, cp.stdout)
        self.fails_with("etcdserver: mvcc: required revision has been compacted",
                        "get", "cp/k", "--rev", r1)
        # Every member refuses the compacted revision (serializable read per member).
        for i in range(3):
            self.fails_with("required revision has been compacted",
                            "get", "cp/k", "--rev", r1, "--consistency=s", endpoint=i)
        self.assertEqual(self.ctl("get", "cp/k", "--rev", r2, "--print-value-only").stdout, "two\n")
        self.assertEqual(self.ctl("get", "cp/k", "--rev", r3, "--print-value-only").stdout, "three\n")
        self.assertEqual(self.ctl("get", "cp/k", "--print-value-only").stdout, "three\n")
        # Compacting again at (or below) the compacted revision is refused the same way.
        self.fails_with("required revision has been compacted", "compaction", r2)
        self.fails_with("required revision has been compacted", "compaction", r1)
        # ... and so is a compaction into the future.
        self.fails_with("required revision is a future revision", "compaction", r3 + 100000)
        self.assertEqual(self.cluster.hashkv(0)["compact_revision"], r2)

    # ------------------------------------------------------------ cluster
    def test_endpoint_status_and_alarms(self):
        out = self.cluster.etcdctl_json("endpoint", "status", endpoint=list(range(3)))
        self.assertEqual(len(out), 3)
        self.assertEqual([o["Endpoint"] for o in out], self.cluster.endpoints)
        sts = [o["Status"] for o in out]
        ids = [st["header"]["member_id"] for st in sts]
        self.assertEqual(len(set(ids)), 3)
        leaders = {st["leader"] for st in sts}
        self.assertEqual(len(leaders), 1, sts)
        self.assertIn(leaders.pop(), ids)
        self.assertEqual(sum(1 for st in sts if st["leader"] == st["header"]["member_id"]), 1)
        self.assertEqual(len({st["header"]["cluster_id"] for st in sts}), 1)
        for st in sts:
            self.assertGreater(st["raftTerm"], 0)
            self.assertGreater(st["raftIndex"], 0)
            self.assertEqual(st["raftTerm"], st["header"]["raft_term"])
        # The table form marks exactly one leader.
        cp = self.ctl("endpoint", "status", "-w", "table", endpoint=list(range(3)))
        self.assertIn("IS LEADER", cp.stdout)
        # endpoint health (a linearizable Range of key "health" through etcdctl)
        cp = self.ctl("endpoint", "health", endpoint=list(range(3)))
        self.assertEqual(cp.stdout.count("is healthy") + cp.stderr.count("is healthy"), 3)
        # No alarms are raised.
        self.assertEqual(self.ctl("alarm", "list").stdout.strip(), "")

    def test_member_list(self):
        out = self.cluster.etcdctl_json("member", "list")
        members = out["members"]
        self.assertEqual(len(members), 3)
        by_name = {m["name"]: m for m in members}
        self.assertEqual(sorted(by_name), ["n1", "n2", "n3"])
        ids = self.cluster.member_ids()
        for m in self.cluster.members:
            got = by_name[m.name]
            self.assertEqual(got["peerURLs"], [m.peer_url])
            self.assertEqual(got["clientURLs"], [m.client_url])
            self.assertEqual(got["ID"], ids[m.index])
        # Simple format: "ID, started, name, peer, client, is_learner"
        lines = self.ctl("member", "list").stdout.strip().splitlines()
        self.assertEqual(len(lines), 3)
        for line in lines:
            f = [x.strip() for x in line.split(",")]
            m = self.cluster.members[int(f[2][1:]) - 1]
            self.assertEqual(f[0], "%x" % ids[m.index])
            self.assertEqual(f[1], "started")
            self.assertEqual((f[3], f[4]), (m.peer_url, m.client_url))
            self.assertEqual(f[5], "false")
        # Every member gives the same answer.
        for i in range(3):
            o = self.cluster.etcdctl_json("member", "list", endpoint=i)
            self.assertEqual(sorted(m["ID"] for m in o["members"]), sorted(ids))

    def test_move_leader(self):
        li, followers = self.follower()
        target = followers[0]
        term0 = self.cluster.status(li)["raftTerm"]
        ids = self.cluster.member_ids()
        cp = self.ctl("move-leader", "%x" % ids[target], endpoint=list(range(3)))
        self.assertIn("Leadership transferred from %x to %x" % (ids[li], ids[target]), cp.stdout)
        wait_until(lambda: self.cluster.leader_index() == target, 10, what="member %d to lead" % target)
        st = self.cluster.status(target)
        self.assertEqual(st["leader"], ids[target])
        self.assertGreater(st["raftTerm"], term0)
        # The cluster still serves writes through the new leader.
        self.put("ml/k", "after", endpoint=target)
        self.assertEqual(self.kvs("ml/k", endpoint=li), [("ml/k", "after")])
        # move-leader given only follower endpoints cannot find the leader: it fails.
        others = [i for i in range(3) if i != target]
        cp = self.ctl("move-leader", "%x" % ids[others[0]], endpoint=others, check=False)
        self.assertNotEqual(cp.returncode, 0)

    def test_hashkv_equal(self):
        for n in range(30):
            self.put("hk/%02d" % n, "v%d" % n, endpoint=n % 3)
        self.ctl("del", "hk/0", "--prefix")
        rev = self.cluster.wait_same_revision(list(range(3)))
        out = self.cluster.etcdctl_json("endpoint", "hashkv", "--cluster", "--rev=%d" % rev,
                                        endpoint=0)
        self.assertEqual(sorted(o["Endpoint"] for o in out), sorted(self.cluster.endpoints))
        hashes = {o["Endpoint"]: o["HashKV"]["hash"] for o in out}
        self.assertEqual(len(set(hashes.values())), 1, hashes)
        self.assertNotEqual(list(hashes.values())[0], 0)
        # Simple format: "endpoint, hash"
        lines = self.ctl("endpoint", "hashkv", "--cluster", "--rev=%d" % rev).stdout.strip().splitlines()
        self.assertEqual(len(lines), 3)
        self.assertEqual(len({l.split(",")[1].strip() for l in lines}), 1)
        # The hash at a revision does not change when later writes happen.
        h0 = self.cluster.hashkv(1, rev)["hash"]
        self.put("hk/later", "x")
        self.assertEqual(self.cluster.hashkv(1, rev)["hash"], h0)

    def test_follower_write_and_linearizable_read(self):
        li, (f1, f2) = self.follower()
        for n in range(15):
            key, val = "fw/%02d" % n, "val%d" % n
            rev = self.put(key, val, endpoint=f1)  # forwarded to the leader
            # Immediately visible through a linearizable read on the other follower and on f1.
            for who in (f2, f1, li):
                kv = self.get_json(key, endpoint=who)["kvs"][0]
                self.assertEqual((unb64(kv["value"]), kv["mod_revision"]), (val, rev), (n, who))
        # A delete and a txn through a follower too.
        self.assertEqual(self.ctl("del", "fw/00", endpoint=f2).stdout.strip(), "1")
        self.assertEqual(self.ctl("get", "fw/00", endpoint=f1).stdout, "")
        ok, _ = self.txn(['value("fw/01") = "val1"'], ["put fw/t yes"], [], endpoint=f2)
        self.assertTrue(ok)
        self.assertEqual(self.kvs("fw/t", endpoint=f1), [("fw/t", "yes")])

    def test_serializable_get_on_follower(self):
        li, (f1, f2) = self.follower()
        rev = self.put("sg/k", "v", endpoint=li)
        for f in (f1, f2):
            def seen(f=f):
                out = self.get_json("sg/k", "--consistency=s", endpoint=f)
                return out.get("kvs") and out["header"]["revision"] >= rev
            wait_until(seen, 5, what="serializable read on member %d" % f)
            self.assertEqual(self.ctl("get", "sg/k", "--consistency=s", "--print-value-only",
                                      endpoint=f).stdout, "v\n")


if __name__ == "__main__":
    unittest.main()
