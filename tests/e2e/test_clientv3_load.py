"""tools/clientv3-load (the load generator on etcd's own Go client) against a 3-member cluster.

The test builds the tool with scripts/build-clientv3-load (which installs Go and etcd's Go
sources if they are missing), then runs short put and range loads and checks what they report
against what the cluster holds: a broken tool fails here, not in a benchmark nobody reads.

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENT_BUILD_DIR=/path/to/build/release \\
       /usr/bin/python3 -m unittest -v test_clientv3_load.py
(REGENTD may name etcd 3.4's binary: the same checks hold for it.)
"""

import json
import os
import subprocess
import unittest

from regent_cluster import SETPRIV, ClusterTestCase, _LIVE, _LIVE_LOCK, _kill_pid, progress

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_SCRIPT = os.path.join(ROOT, "scripts", "build-clientv3-load")
KEY_SPACE = 500
KEY_SIZE = 8
VALUE_SIZE = 100


def key_name(i):
    """The tool's (and regent-bench's) name for key i: "k" and the index, zero-padded."""
    return "k" + str(i).rjust(KEY_SIZE - 1, "0")


def build_tool():
    build_dir = os.environ.get("REGENT_BUILD_DIR") or os.path.join(ROOT, "build", "release")
    progress("building clientv3-load into %s" % build_dir)
    cp = subprocess.run([BUILD_SCRIPT, build_dir], capture_output=True, text=True, timeout=240)
    if cp.returncode != 0:
        raise RuntimeError("scripts/build-clientv3-load failed (exit %d):\n%s" % (
            cp.returncode, cp.stderr[-3000:]))
    return cp.stdout.strip().splitlines()[-1]


class Clientv3LoadTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = build_tool()
        cls.start_shared_cluster()

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def load(self, *args, seconds):
        """Runs the tool to completion (killed by pid if it overruns) and returns its JSON."""
        eps = ",".join(m.client_url for m in self.cluster.members)
        cmd = [self.tool] + [str(a) for a in args] + [
            "--endpoints", eps, "--clients", "8", "--conns", "3", "--duration", str(seconds),
            "--key-space-size", str(KEY_SPACE), "--key-size", str(KEY_SIZE),
            "--val-size", str(VALUE_SIZE), "--timeout", "5", "--json"]
        if SETPRIV:
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        with _LIVE_LOCK:
            _LIVE[proc.pid] = proc
        try:
            out, err = proc.communicate(timeout=seconds + 60)
        finally:
            _kill_pid(proc)  # Every process the test starts is stopped by pid.
            with _LIVE_LOCK:
                _LIVE.pop(proc.pid, None)
        self.assertEqual(proc.returncode, 0, "clientv3-load %s failed: %s" % (args, err[-2000:]))
        result = json.loads(out)
        progress("%s: %d ok, %.0f req/s, p99 %.2f ms" % (
            result["workload"], result["ok"], result["throughput"], result["latency_ms"]["p99"]))
        return result

    def assert_clean(self, result):
        self.assertGreater(result["ok"], 0, result)
        self.assertEqual(result["errors"], 0, result)
        self.assertEqual(result["total"], result["ok"], result)
        self.assertGreater(result["throughput"], 0, result)
        lat = result["latency_ms"]
        self.assertTrue(0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], lat)

    def test_1_put_writes_every_key_it_counts(self):
        r = self.load("put", "--sequential-keys", seconds=2)
        self.assert_clean(r)
        # Request n writes key n, and no request failed: keys 0 .. min(ok, space) - 1 exist.
        expected = {key_name(i) for i in range(min(r["ok"], KEY_SPACE))}
        self.assertEqual(self.cluster.keys(0, "k", serializable=False), expected)
        value = self.cluster.etcdctl("get", key_name(0), "--print-value-only").stdout
        self.assertEqual(len(value.rstrip("\n")), VALUE_SIZE)

    def test_2_linearizable_range_finds_the_preloaded_keys(self):
        r = self.load("range", "--consistency", "l", seconds=2)
        self.assert_clean(r)
        self.assertEqual(r["empty_reads"], 0, r)
        self.assertEqual(r["workload"], "range (linearizable)")

    def test_3_serializable_range_finds_the_preloaded_keys(self):
        r = self.load("range", "--consistency", "s", seconds=1)
        self.assert_clean(r)
        self.assertEqual(r["empty_reads"], 0, r)
        self.assertEqual(r["workload"], "range (serializable)")

    def test_bad_arguments_are_refused(self):
        for args in (["get"], ["put", "--duration", "0"], ["range", "--consistency", "x",
                                                           "--duration", "1"]):
            cp = subprocess.run([self.tool] + args, capture_output=True, text=True, timeout=30)
            self.assertNotEqual(cp.returncode, 0, args)
            self.assertIn("clientv3-load:", cp.stderr, args)


if __name__ == "__main__":
    unittest.main()
