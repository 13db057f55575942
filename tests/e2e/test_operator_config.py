"""regentd configured as etcd is: a 3-member cluster whose first member reads only a config file
(--config-file, etcd's YAML keys), whose second reads only ETCD_* environment variables (as an
etcd unit's EnvironmentFile sets them) and tells systemd's $NOTIFY_SOCKET it is ready (as a
Type=notify unit, Debian's etcd unit, expects), and whose third takes flags with --logger zap, whose
lines must parse as etcd's JSON. Then the bad input: an unknown key, a wrong type, a missing
file, malformed YAML, a bad variable, a variable shadowed by a flag.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_operator_config.py
"""

import json
import os
import shutil
import socket
import subprocess
import unittest

from regent_cluster import Cluster, regentd_binary, scratch_dir


def clean_environment():
    """The test's environment without ETCD_* variables (REGENT_* ones here are the harness's)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ETCD_")}


class ConfiguredCluster(Cluster):
    """Member 0 from a config file, member 1 from ETCD_* variables, member 2 from flags (zap)."""

    def member_settings(self, i):
        m = self.members[i]
        return {
            "name": m.name,
            "data-dir": m.data_dir,
            "listen-client-urls": m.client_url,
            "advertise-client-urls": m.client_url,
            "listen-peer-urls": m.peer_url,
            "initial-advertise-peer-urls": m.peer_url,
            "initial-cluster": self.initial_cluster,
            "initial-cluster-token": self.token,
            "initial-cluster-state": "new",
            "heartbeat-interval": int(self.flags["heartbeat_interval"]),
            "election-timeout": int(self.flags["election_timeout"]),
        }

    def config_path(self):
        return os.path.join(os.path.dirname(self.members[0].log_path), "regentd.conf.yml")

    def write_config_file(self):
        lines = ["# etcd.conf.yml for member %s" % self.members[0].name]
        for key, value in self.member_settings(0).items():
            lines.append("%s: %s" % (key, json.dumps(value)))  # JSON scalars are YAML scalars.
        # etcd's defaults for settings Regent lacks, as etcd's sample file spells them out.
        lines += ["wal-dir:", "max-wals: 5", "quota-backend-bytes: 0",
                  "client-transport-security:", "  auto-tls: false", "  cert-file:"]
        with open(self.config_path(), "w") as f:
            f.write("\n".join(lines) + "\n")

    def command(self, i):
        if i == 0:
            return [self.binary, "--config-file", self.config_path()]
        if i == 1:
            return [self.binary]
        return super().command(i) + ["--logger", "zap"]

    def environment(self, i):
        env = clean_environment()
        if i == 1:
            for key, value in self.member_settings(1).items():
                env["ETCD_" + key.upper().replace("-", "_")] = str(value)
            # As systemd gives a Type=notify unit (Debian's etcd unit is one).
            env["NOTIFY_SOCKET"] = self.notify_path()
        return env

    def notify_path(self):
        return os.path.join(os.path.dirname(self.members[1].log_path), "notify.sock")


class OperatorConfigTest(unittest.TestCase):
    def test_config_file_env_and_zap_members_form_a_cluster(self):
        c = ConfiguredCluster(size=3)
        c.write_config_file()
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(notify.close)
        notify.bind(c.notify_path())
        with c:
            health = c.etcdctl("endpoint", "health", "--cluster")
            report = health.stdout + health.stderr  # etcdctl 3.4 writes the report on stderr.
            self.assertEqual(report.count("is healthy"), 3, report)
            c.etcdctl("put", "ops/k", "from-config-member", endpoint=0)
            for i in range(3):
                got = c.etcdctl("get", "ops/k", "--print-value-only", endpoint=i).stdout
                self.assertEqual(got, "from-config-member\n")
            status = c.etcdctl_json("endpoint", "status", endpoint=1)
            self.assertEqual(len(status), 1)
            self.assert_zap_lines(c.last_run_log(2))
            notify.settimeout(10)
            self.assertIn(b"READY=1", notify.recv(4096))  # Sent once it serves clients.
            if c.is_etcd:
                return  # etcd words its notices otherwise.
            self.assertIn("loaded server configuration from %s" % c.config_path(), c.log(0))
            self.assertIn("recognized and used environment variable ETCD_NAME=n2", c.log(1))

    def assert_zap_lines(self, log):
        lines = [l for l in log.splitlines() if l.strip() and not l.startswith("==== ")]
        self.assertGreater(len(lines), 3, log)
        for line in lines:
            entry = json.loads(line)  # Each line one JSON object, as etcd's zap output.
            self.assertIn(entry["level"], ("debug", "info", "warn", "error"), line)
            self.assertRegex(entry["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line)
            self.assertIsInstance(entry["msg"], str)


class BadConfigurationTest(unittest.TestCase):
    """Each refused before the member touches a data directory, naming what was wrong."""

    def setUp(self):
        self.binary = regentd_binary()
        if os.path.basename(self.binary) == "etcd":
            self.skipTest("etcd ignores unknown keys and exits differently; Regent's rules")
        self.dir = scratch_dir("regent-e2e-config-")
        self.data_dir = os.path.join(self.dir, "data")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_regentd(self, args, env=None):
        full_env = clean_environment()
        full_env.update(env or {})
        # subprocess.run kills the process by pid if it outlives the timeout.
        cp = subprocess.run([self.binary] + args, env=full_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20,
                            cwd=self.dir)
        return cp.returncode, cp.stderr.decode("utf-8", "replace")

    def config(self, text):
        path = os.path.join(self.dir, "regentd.yml")
        with open(path, "w") as f:
            f.write("data-dir: %s\nlisten-client-urls: http://127.0.0.1:1\n" % self.data_dir + text)
        return path

    def assert_refused(self, args, needle, env=None):
        rc, err = self.run_regentd(args, env)
        self.assertEqual(rc, 1, err)
        self.assertIn(needle, err)
        self.assertFalse(os.path.exists(self.data_dir), "a refused start made a data directory")

    def test_unknown_key(self):
        path = self.config("heartbeat-interval: 100\nbogus-key: 1\n")
        self.assert_refused(["--config-file", path],
                            "config file %s: unknown key \"bogus-key\"" % path)

    def test_wrong_type(self):
        path = self.config("heartbeat-interval: fast\n")
        self.assert_refused(["--config-file", path],
                            "config file %s: key heartbeat-interval: invalid value \"fast\"" % path)

    def test_missing_file(self):
        self.assert_refused(["--config-file", os.path.join(self.dir, "none.yml")],
                            "none.yml: cannot be read: No such file or directory")

    def test_malformed_yaml(self):
        path = self.config("name: [n1\n")
        self.assert_refused(["--config-file", path], "malformed YAML at line")

    def test_unimplemented_etcd_setting(self):
        path = self.config("client-crl-file: /etc/ssl/crl.pem\n")
        self.assert_refused(["--config-file", path], "etcd's client-crl-file is not implemented")

    def test_tls_setting_without_https(self):
        """A certificate for a port served over http:// would be used by nothing: refused."""
        path = self.config("client-transport-security:\n  cert-file: /etc/ssl/member.pem\n")
        self.assert_refused(["--config-file", path],
                            "--cert-file, --auto-tls and the like are given but "
                            "--listen-client-urls are http://")

    def test_bad_environment_value(self):
        self.assert_refused(["--data-dir", self.data_dir], "ETCD_ELECTION_TIMEOUT: invalid value \"soon\"",
                            env={"ETCD_ELECTION_TIMEOUT": "soon"})

    def test_variable_shadowed_by_flag(self):
        self.assert_refused(["--data-dir", self.data_dir, "--name", "a"],
                            "conflicting environment variable ETCD_NAME is shadowed",
                            env={"ETCD_NAME": "b"})


if __name__ == "__main__":
    unittest.main()
