"""regentctl (the C++ client's CLI) against a 3-member cluster: etcdctl's output formats for the
KV, lease, member and endpoint commands (compared with etcdctl 3.4's own output where the two
can be run on the same state), watch, elect and lock, and the supervisor modes
`elect NAME -- CMD` and `lock NAME -- CMD`: the command runs only while leadership (the lock) is
held, gets the fencing token in REGENT_FENCING_TOKEN, and is stopped with SIGTERM as soon as it
is lost (exit status 3).

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENTCTL=/path/to/regentctl \\
       /usr/bin/python3 -m unittest -v test_regentctl.py
(REGENTD may name etcd 3.4's binary: every test runs against it too.) Tests that need an API the
server does not serve yet (Lease, Watch, Election, Lock answer Unimplemented) are skipped.
"""

import base64
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from regent_cluster import ClusterTestCase, _LIVE, _LIVE_LOCK, _kill_pid, wait_until


def regentctl_binary():
    path = os.environ.get("REGENTCTL")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("REGENTCTL is not set to the regentctl binary (CMake sets it)")
    return os.path.abspath(path)


def unb64(s):
    return base64.b64decode(s).decode()


def drop_ids(obj):
    """A JSON answer without what differs between two runs on the same state: which member
    answered (member_id) and, in nested headers, nothing else."""
    if isinstance(obj, dict):
        return {k: drop_ids(v) for k, v in obj.items() if k != "member_id"}
    if isinstance(obj, list):
        return [drop_ids(v) for v in obj]
    return obj


class RegentctlTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.regentctl = regentctl_binary()
        cls.start_shared_cluster()
        cls.tmp = tempfile.mkdtemp(prefix="regentctl-", dir=cls.cluster.dir)
        cls.unserved = {}

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def setUp(self):
        self.procs = []

    def tearDown(self):
        for p in self.procs:  # Every process a test starts is stopped by pid.
            _kill_pid(p)
            with _LIVE_LOCK:
                _LIVE.pop(p.pid, None)
            if getattr(p, "out", None) is not None:
                p.out.close()

    # ------------------------------------------------------------ helpers
    def ctl(self, *args, input=None, check=True, timeout=30, endpoints=None):
        """Run regentctl to completion; returns the CompletedProcess (text)."""
        eps = endpoints or ",".join(self.cluster.endpoints)
        cmd = [self.regentctl, "--endpoints=" + eps] + [str(a) for a in args]
        cp = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and cp.returncode != 0:
            raise AssertionError("regentctl %s failed (exit %d)\nstdout: %s\nstderr: %s" % (
                " ".join(cmd[1:]), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def spawn(self, *args, name="proc"):
        """Start regentctl in the background; output goes to files under the test's directory."""
        out = open(os.path.join(self.tmp, "%s-%d.out" % (name, len(self.procs))), "w+")
        cmd = [self.regentctl, "--endpoints=" + ",".join(self.cluster.endpoints)] + [
            str(a) for a in args]
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        p.out = out
        with _LIVE_LOCK:
            _LIVE[p.pid] = p
        self.procs.append(p)
        return p

    @staticmethod
    def output(p):
        p.out.flush()
        with open(p.out.name) as f:
            return f.read()

    def etcdctl(self, *args, **kw):
        return self.cluster.etcdctl(*args, **kw)

    def require(self, api):
        """Skip unless the server serves `api` (Lease, Watch, Election, Lock)."""
        cls = type(self)
        if api not in cls.unserved:
            probe = {
                "Lease": ["lease", "list"],
                "Election": ["elect", "-l", "probe-election"],
                "Lock": ["lock", "probe-lock", "true"],
                "Watch": ["watch", "probe-watch", "--rev", "1"],
            }[api]
            try:
                cp = self.ctl(*probe, check=False, timeout=3)
                text = cp.stdout + cp.stderr
            except subprocess.TimeoutExpired:
                text = ""  # Waiting (watch, observe): the service is there.
            cls.unserved[api] = "unknown service" in text or "Unimplemented" in text
        if cls.unserved[api]:
            self.skipTest("the server does not serve %s yet" % api)

    def grant(self, ttl):
        out = self.ctl("lease", "grant", ttl).stdout.split()
        self.assertEqual((out[0], out[2]), ("lease", "granted"), out)
        return out[1]

    # ------------------------------------------------------------ KV
    def test_put_get_del_print_as_etcdctl_does(self):
        self.assertEqual(self.ctl("put", "kv/a", "1").stdout, "OK\n")
        self.assertEqual(self.ctl("put", "kv/a", "2", "--prev-kv").stdout, "OK\nkv/a\n1\n")
        self.ctl("put", "kv/b", "x y")
        for args in (["get", "kv/a"], ["get", "kv/", "--prefix"], ["get", "kv/", "--prefix",
                     "--keys-only"], ["get", "kv/a", "--print-value-only"],
                     ["get", "kv/", "--prefix", "--limit", "1"], ["get", "kv/a", "kv/c"],
                     ["get", "kv/b", "--from-key"], ["get", "nothing"]):
            self.assertEqual(self.ctl(*args).stdout, self.etcdctl(*args).stdout, args)
        for args in (["get", "kv/", "--prefix", "-w", "json"], ["get", "kv/", "--prefix",
                     "--limit", "1", "-w", "json"], ["get", "nothing", "-w", "json"]):
            ours = json.loads(self.ctl(*args).stdout)
            theirs = json.loads(self.etcdctl(*args).stdout)
            self.assertEqual(drop_ids(ours), drop_ids(theirs), args)
        out = json.loads(self.ctl("get", "kv/a", "-w", "json").stdout)
        self.assertEqual(unb64(out["kvs"][0]["value"]), "2")
        self.assertEqual(out["kvs"][0]["version"], 2)
        self.assertEqual(self.ctl("get", "kv/", "--prefix", "--count-only").stdout, "2\n")
        rev = json.loads(self.ctl("put", "kv/c", "3", "-w", "json").stdout)["header"]["revision"]
        self.assertEqual(self.ctl("get", "kv/a", "--rev", rev - 2).stdout, "kv/a\n2\n")
        put = json.loads(self.ctl("put", "kv/c", "4", "--prev-kv", "-w", "json").stdout)
        self.assertEqual(unb64(put["prev_kv"]["value"]), "3")
        self.assertEqual(self.ctl("del", "kv/a", "--prev-kv").stdout, "1\nkv/a\n2\n")
        self.assertEqual(self.ctl("del", "nothing").stdout, "0\n")
        d = json.loads(self.ctl("del", "kv/", "--prefix", "-w", "json").stdout)
        self.assertEqual(d["deleted"], 2)
        self.assertEqual(self.ctl("get", "kv/", "--prefix").stdout, "")

    def test_put_reads_the_value_from_stdin(self):
        self.ctl("put", "stdin/k", input="from stdin")
        self.assertEqual(self.ctl("get", "stdin/k", "--print-value-only").stdout, "from stdin\n")

    def test_errors_use_etcds_words_and_exit_statuses(self):
        cp = self.ctl("put", "", "x", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(cp.stderr, "Error: etcdserver: key is not provided\n")
        cp = self.ctl("get", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("get command needs one argument", cp.stderr)
        cp = self.ctl("get", "k", "-w", "table", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("table not supported", cp.stderr)
        cp = self.ctl("bogus-command", check=False)
        self.assertEqual(cp.returncode, 2)
        start = time.monotonic()
        cp = self.ctl("get", "k", "--command-timeout=2s", endpoints="http://127.0.0.1:1",
                      check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("Error:", cp.stderr)
        self.assertLess(time.monotonic() - start, 10)

    def test_compaction_and_compacted_reads(self):
        self.ctl("put", "cp/k", "1")
        rev = json.loads(self.ctl("put", "cp/k", "2", "-w", "json").stdout)["header"]["revision"]
        self.assertEqual(self.ctl("compaction", rev).stdout, "compacted revision %d\n" % rev)
        cp = self.ctl("get", "cp/k", "--rev", rev - 1, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(cp.stderr, "Error: etcdserver: mvcc: required revision has been compacted\n")

    def test_txn_prints_as_etcdctl_does(self):
        self.ctl("put", "txn/k", "v1")
        body = 'value("txn/k") = "v1"\n\nput txn/k v2\nget txn/k\ndel txn/none\n\nput txn/f x\n\n'
        self.assertEqual(self.ctl("txn", "--interactive=false", input=body).stdout,
                         "SUCCESS\n\nOK\n\ntxn/k\nv2\n\n0\n")
        # Now the comparison fails: the failure branch runs.
        self.assertEqual(self.ctl("txn", "--interactive=false", input=body).stdout,
                         "FAILURE\n\nOK\n")
        out = json.loads(self.ctl("txn", "--interactive=false", "-w", "json", input=body).stdout)
        self.assertNotIn("succeeded", out)  # Go leaves false out.
        self.assertIn("ResponsePut", out["responses"][0]["Response"])
        body2 = 'mod("txn/k") > "0"\nversion("txn/k") = "2"\n\nget txn/ --prefix\n\n\n'
        ours = json.loads(self.ctl("txn", "--interactive=false", "-w", "json", input=body2).stdout)
        theirs = json.loads(self.etcdctl("txn", "--interactive=false", "-w", "json",
                                         input=body2).stdout)
        self.assertEqual(drop_ids(ours), drop_ids(theirs))
        cp = self.ctl("txn", "--interactive=false", input='bogus("k") = "v"\n\n\n\n', check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("malformed comparison", cp.stderr)

    # ------------------------------------------------------------ cluster
    def test_member_list_and_endpoint_status_match_etcdctl(self):
        for args in (["member", "list"], ["member", "list", "-w", "table"]):
            self.assertEqual(self.ctl(*args).stdout, self.etcdctl(*args).stdout, args)
        ours = json.loads(self.ctl("member", "list", "-w", "json").stdout)
        self.assertEqual(len(ours["members"]), 3)
        self.assertEqual(sorted(m["name"] for m in ours["members"]), ["n1", "n2", "n3"])
        ours = json.loads(self.ctl("endpoint", "status", "-w", "json").stdout)
        self.assertEqual([s["Endpoint"] for s in ours], self.cluster.endpoints)
        leaders = {s["Status"]["leader"] for s in ours}
        self.assertEqual(len(leaders), 1)
        lines = self.ctl("endpoint", "status").stdout.splitlines()
        self.assertEqual(len(lines), 3)
        self.assertEqual(sum(1 for l in lines if l.split(", ")[4] == "true"), 1)
        table = self.ctl("endpoint", "status", "-w", "table").stdout.splitlines()
        self.assertIn("IS LEADER", table[1])
        self.assertEqual(len(table), 7)

    def test_endpoint_health(self):
        cp = self.ctl("endpoint", "health")
        self.assertEqual(cp.stderr.count("is healthy: successfully committed proposal"), 3)
        health = json.loads(self.ctl("endpoint", "health", "-w", "json").stdout)
        self.assertTrue(all(h["health"] for h in health))
        cp = self.ctl("endpoint", "health", "--command-timeout=1s",
                      endpoints="http://127.0.0.1:1", check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("is unhealthy", cp.stderr)

    def test_move_leader(self):
        li = self.cluster.wait_leader()
        target = (li + 1) % 3
        target_id = "%x" % self.cluster.member_ids()[target]
        leader_id = "%x" % self.cluster.member_ids()[li]
        out = self.ctl("move-leader", target_id).stdout
        self.assertEqual(out, "Leadership transferred from %s to %s\n" % (leader_id, target_id))
        self.assertEqual(self.cluster.wait_leader(), target)

    # ------------------------------------------------------------ leases
    def test_lease_commands_print_as_etcdctl_does(self):
        self.require("Lease")
        lid = self.grant(100)
        self.ctl("put", "lease/k", "v", "--lease=" + lid)
        self.assertRegex(self.ctl("lease", "timetolive", lid).stdout,
                         r"^lease %s granted with TTL\(100s\), remaining\(\d+s\)\n$" % lid)
        self.assertRegex(self.ctl("lease", "timetolive", lid, "--keys").stdout,
                         r"attached keys\(\[lease/k\]\)\n$")
        ttl = json.loads(self.ctl("lease", "timetolive", lid, "--keys", "-w", "json").stdout)
        self.assertEqual(ttl["granted-ttl"], 100)
        self.assertEqual(ttl["keys"], [base64.b64encode(b"lease/k").decode()])
        self.assertIn(lid, self.ctl("lease", "list").stdout.splitlines())
        self.assertEqual(self.ctl("lease", "list").stdout, self.etcdctl("lease", "list").stdout)
        self.assertEqual(self.ctl("lease", "keep-alive", "--once", lid).stdout,
                         "lease %s keepalived with TTL(100)\n" % lid)
        grant = json.loads(self.ctl("lease", "grant", "50", "-w", "json").stdout)
        self.assertEqual((grant["TTL"], grant["Error"]), (50, ""))
        self.assertEqual(self.ctl("lease", "revoke", lid).stdout, "lease %s revoked\n" % lid)
        self.assertEqual(self.ctl("get", "lease/k").stdout, "")
        self.assertEqual(self.ctl("lease", "timetolive", lid).stdout,
                         "lease %s already expired\n" % lid)
        cp = self.ctl("lease", "revoke", lid, check=False)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("requested lease not found", cp.stderr)

    def test_lease_keep_alive_renews_until_interrupted(self):
        self.require("Lease")
        lid = self.grant(4)
        p = self.spawn("lease", "keep-alive", lid, name="keepalive")
        time.sleep(6)  # Longer than the TTL: only the renewals keep it alive.
        self.assertIn("remaining", self.ctl("lease", "timetolive", lid).stdout)
        os.kill(p.pid, signal.SIGINT)
        self.assertEqual(p.wait(timeout=10), 128 + signal.SIGINT)
        lines = self.output(p).splitlines()
        self.assertGreaterEqual(len(lines), 3)
        self.assertTrue(all(l == "lease %s keepalived with TTL(4)" % lid for l in lines), lines)

    # ------------------------------------------------------------ watch
    def test_watch_prints_events_as_etcdctl_does(self):
        self.require("Watch")
        ours = self.spawn("watch", "watch/", "--prefix", "--prev-kv", name="watch")
        theirs_out = open(os.path.join(self.tmp, "etcdctl-watch.out"), "w+")
        env = dict(os.environ, ETCDCTL_API="3")
        theirs = subprocess.Popen(["etcdctl", "--endpoints=" + ",".join(self.cluster.endpoints),
                                   "watch", "watch/", "--prefix", "--prev-kv"],
                                  stdout=theirs_out, stderr=subprocess.DEVNULL, env=env)
        theirs.out = theirs_out
        self.procs.append(theirs)
        # Both watches exist once both have printed the same sync write.
        marker = [None]

        def synced():
            marker[0] = "watch/sync\ns%f\n" % time.monotonic()
            self.ctl("put", "watch/sync", marker[0].split("\n")[1])
            time.sleep(0.2)
            return all(self.output(p).endswith(marker[0]) for p in (ours, theirs))
        wait_until(synced, 20, interval=0.1, what="both watches to be created")
        self.ctl("put", "watch/a", "1")
        self.ctl("put", "watch/a", "2")
        self.ctl("del", "watch/a")
        expected = "PUT\nwatch/a\n1\nPUT\nwatch/a\n1\nwatch/a\n2\nDELETE\nwatch/a\n2\nwatch/a\n\n"
        after = lambda p: self.output(p).split(marker[0], 1)[-1]  # noqa: E731
        wait_until(lambda: after(ours) == expected, 10, what="regentctl watch output")
        wait_until(lambda: after(theirs) == expected, 10, what="etcdctl's watch output")
        os.kill(ours.pid, signal.SIGTERM)
        self.assertEqual(ours.wait(timeout=10), 128 + signal.SIGTERM)

    def test_watch_of_a_compacted_revision_fails(self):
        self.require("Watch")
        self.ctl("put", "wc/k", "1")
        rev = json.loads(self.ctl("put", "wc/k", "2", "-w", "json").stdout)["header"]["revision"]
        self.ctl("compaction", rev)
        cp = self.ctl("watch", "wc/k", "--rev", 1, check=False, timeout=15)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("required revision has been compacted", cp.stderr)

    # ------------------------------------------------------------ elect
    def test_elect_prints_the_leader_and_observers_follow(self):
        self.require("Election")
        observer = self.spawn("elect", "-l", "obs", name="observer")
        first = self.spawn("elect", "obs", "p1", name="first")
        wait_until(lambda: self.output(first).count("\n") >= 2, 10, what="first elected")
        key, value = self.output(first).splitlines()[:2]
        self.assertTrue(key.startswith("obs/"), key)
        self.assertEqual(value, "p1")
        second = self.spawn("elect", "obs", "p2", name="second")
        time.sleep(1)
        self.assertEqual(self.output(second), "", "the second candidate waits")
        os.kill(first.pid, signal.SIGINT)  # Resigns on the way out.
        self.assertEqual(first.wait(timeout=10), 0)
        wait_until(lambda: self.output(second).endswith("p2\n"), 10, what="second elected")
        wait_until(lambda: self.output(observer).splitlines()[1::2] == ["p1", "p2"], 10,
                   what="the observer to see p1 then p2 (saw %r)" % self.output(observer))
        for p in (second, observer):
            os.kill(p.pid, signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 0)

    def supervised(self, verb, name, tag, ttl=3):
        """`regentctl <verb> --ttl <ttl> <name> -- sh -c <script>`: the script records its
        environment and pid, then waits for SIGTERM (recording it) or for the run file to go."""
        base = os.path.join(self.tmp, tag)
        script = ('echo "$REGENT_FENCING_TOKEN" > {b}.token; echo $$ > {b}.pid; '
                  'echo "$REGENT_LEASE" > {b}.lease; env | grep ^REGENT_ > {b}.env; '
                  'trap "echo TERM > {b}.term; exit 0" TERM; '
                  'while [ ! -e {b}.done ]; do sleep 0.05; done; exit 0').format(b=base)
        p = self.spawn(verb, "--ttl", ttl, name, "--", "sh", "-c", script, name=tag)
        return p, base

    @staticmethod
    def read(path):
        try:
            with open(path) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    def test_elect_runs_the_command_only_while_leading(self):
        self.require("Election")
        a, base_a = self.supervised("elect", "svc", "a")
        wait_until(lambda: self.read(base_a + ".token"), 10, what="a's command to start")
        token_a = int(self.read(base_a + ".token"))
        env = dict(l.split("=", 1) for l in self.read(base_a + ".env").splitlines())
        self.assertTrue(env["REGENT_LEADER_KEY"].startswith("svc/"))
        self.assertEqual(env["REGENT_ENDPOINTS"], ",".join(self.cluster.endpoints))
        self.assertEqual(int(env["REGENT_FENCING_TOKEN"]), token_a)
        b, base_b = self.supervised("elect", "svc", "b")
        time.sleep(2)
        self.assertIsNone(self.read(base_b + ".token"), "b must wait while a leads")
        # a dies without resigning: its command dies with it, and b leads once a's lease expires.
        child_a = int(self.read(base_a + ".pid"))
        killed = time.monotonic()
        os.kill(a.pid, signal.SIGKILL)
        a.wait(timeout=10)
        wait_until(lambda: (self.read("/proc/%d/stat" % child_a) or "x x Z").split()[2] == "Z",
                   10, what="a's command to die with a")
        wait_until(lambda: self.read(base_b + ".token"), 15, what="b's command to start")
        self.assertGreater(time.monotonic() - killed, 1.0, "b waited for a's lease to expire")
        token_b = int(self.read(base_b + ".token"))
        self.assertGreater(token_b, token_a, "fencing tokens grow from leader to leader")
        # b's lease is revoked from outside: b loses leadership, stops its command with
        # SIGTERM, and says so in its exit status.
        self.etcdctl("lease", "revoke", self.read(base_b + ".lease"))
        self.assertEqual(b.wait(timeout=10), 3, self.output(b))
        self.assertEqual(self.read(base_b + ".term"), "TERM")
        self.assertIn("lost", self.output(b))

    def test_elect_command_exit_status_is_passed_on(self):
        self.require("Election")
        cp = self.ctl("elect", "status", "--", "sh", "-c", "exit 7", check=False)
        self.assertEqual(cp.returncode, 7, cp.stderr)
        # It resigned: another campaign wins at once.
        cp = self.ctl("elect", "status", "--", "true", timeout=10)
        self.assertEqual(cp.returncode, 0)
        cp = self.ctl("elect", "status", "--", "/no/such/command", check=False)
        self.assertEqual(cp.returncode, 2)
        self.assertIn("command not found", cp.stderr)

    def test_sigterm_stops_the_command_and_resigns(self):
        self.require("Election")
        p, base = self.supervised("elect", "term", "t", ttl=30)
        wait_until(lambda: self.read(base + ".token"), 10, what="the command to start")
        os.kill(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=10), 128 + signal.SIGTERM)
        self.assertEqual(self.read(base + ".term"), "TERM")
        # Resigned (not left to a 30 s lease): the election is free at once.
        self.assertEqual(self.ctl("get", "term/", "--prefix", "--keys-only").stdout, "")

    # ------------------------------------------------------------ lock
    def test_lock_prints_its_key_and_excludes_others(self):
        self.require("Lock")
        holder = self.spawn("lock", "plain", name="holder")
        wait_until(lambda: self.output(holder).startswith("plain/"), 10, what="the lock")
        waiter = self.spawn("lock", "plain", "--", "echo", "got it", name="waiter")
        time.sleep(1)
        self.assertEqual(self.output(waiter), "", "the waiter waits while the lock is held")
        os.kill(holder.pid, signal.SIGINT)  # Unlocks on the way out.
        self.assertEqual(holder.wait(timeout=10), 0)
        self.assertEqual(waiter.wait(timeout=10), 0)
        self.assertIn("got it", self.output(waiter))

    def test_lock_command_mutual_exclusion(self):
        self.require("Lock")
        inside = os.path.join(self.tmp, "inside")
        log = os.path.join(self.tmp, "lock.log")
        # mkdir is atomic: if it fails, another holder is inside at the same time.
        script = ('mkdir {i} || echo OVERLAP >> {l}; echo "$REGENT_FENCING_TOKEN" >> {l}; '
                  'sleep 0.3; rmdir {i}').format(i=inside, l=log)
        procs = [self.spawn("lock", "mx", "--", "sh", "-c", script, name="mx%d" % i)
                 for i in range(4)]
        for p in procs:
            self.assertEqual(p.wait(timeout=60), 0, self.output(p))
        lines = self.read(log).split()
        self.assertNotIn("OVERLAP", lines)
        tokens = [int(t) for t in lines]
        self.assertEqual(len(tokens), 4)
        self.assertEqual(tokens, sorted(tokens))
        self.assertEqual(len(set(tokens)), 4, "each holder has its own, larger token")

    def test_lock_lost_stops_the_command(self):
        self.require("Lock")
        p, base = self.supervised("lock", "lost", "l", ttl=30)
        wait_until(lambda: self.read(base + ".lease"), 10, what="the command to start")
        env = dict(l.split("=", 1) for l in self.read(base + ".env").splitlines())
        self.assertTrue(env["REGENT_LOCK_KEY"].startswith("lost/"))
        self.etcdctl("lease", "revoke", self.read(base + ".lease"))
        self.assertEqual(p.wait(timeout=15), 3, self.output(p))
        self.assertEqual(self.read(base + ".term"), "TERM")


if __name__ == "__main__":
    unittest.main()
