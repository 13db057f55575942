"""Patroni (PostgreSQL high availability) with its etcd3 DCS pointed at a 3-member Regent cluster:
Patroni speaks etcd v3 only through the JSON gateway (GET /version, then /v3/cluster, kv, lease
and watch). Two PostgreSQL 15 instances under two Patroni processes, run as the unprivileged
`postgres` user: one becomes the primary, the other a streaming replica; a row is written
through the primary; the primary's Patroni and postgres are killed with SIGKILL; the replica is
promoted and serves the row. The time from the kill to the promotion is printed (BENCHMARKS.md
has it beside etcd's, with the same ttl 10 / loop_wait 2).

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_patroni.py
(REGENTD may name etcd 3.4's binary.) Needs Debian's patroni, postgresql-15 and python3-etcd
(scripts/install-deps.sh installs them).
"""

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from regent_cluster import Cluster, _LIVE, _LIVE_LOCK, _kill_pid, free_ports, progress, wait_until

PG_BIN = "/usr/lib/postgresql/15/bin"
PATRONI = shutil.which("patroni") or "/usr/bin/patroni"
TTL, LOOP_WAIT, RETRY_TIMEOUT = 10, 2, 5


def patroni_config(name, scope, dcs_hosts, rest_port, pg_port, data_dir):
    # YAML is a superset of JSON: Patroni reads this as its configuration file.
    return {
        "scope": scope,
        "name": name,
        "restapi": {"listen": "127.0.0.1:%d" % rest_port, "connect_address": "127.0.0.1:%d" % rest_port},
        "etcd3": {"hosts": dcs_hosts, "protocol": "http"},
        "bootstrap": {
            "dcs": {"ttl": TTL, "loop_wait": LOOP_WAIT, "retry_timeout": RETRY_TIMEOUT,
                    "maximum_lag_on_failover": 1048576,
                    "postgresql": {"use_pg_rewind": False,
                                   "parameters": {"wal_level": "replica", "hot_standby": "on",
                                                  "max_wal_senders": 5, "max_replication_slots": 5,
                                                  "wal_keep_size": "64MB"}}},
            "initdb": [{"encoding": "UTF8"}, "data-checksums"],
            "pg_hba": ["host replication replicator 127.0.0.1/32 trust",
                       "host all all 127.0.0.1/32 trust", "local all all trust"],
        },
        "postgresql": {
            "listen": "127.0.0.1:%d" % pg_port,
            "connect_address": "127.0.0.1:%d" % pg_port,
            "data_dir": data_dir,
            "bin_dir": PG_BIN,
            "pgpass": os.path.join(os.path.dirname(data_dir), "pgpass"),
            "authentication": {"replication": {"username": "replicator", "password": "rep"},
                               "superuser": {"username": "postgres", "password": "pg"}},
            "parameters": {"unix_socket_directories": os.path.dirname(data_dir)},
        },
        "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
    }


class PatroniNode:
    def __init__(self, base, name, scope, dcs_hosts, rest_port, pg_port):
        self.name, self.rest_port, self.pg_port = name, rest_port, pg_port
        self.dir = os.path.join(base, name)
        os.makedirs(self.dir)
        self.data_dir = os.path.join(self.dir, "data")
        self.config = os.path.join(self.dir, "patroni.yml")
        self.log_path = os.path.join(self.dir, "patroni.log")
        with open(self.config, "w") as f:
            json.dump(patroni_config(name, scope, dcs_hosts, rest_port, pg_port, self.data_dir), f)
        pw = pwd.getpwnam("postgres")
        for path in (self.dir, self.config):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        # As the postgres user: PostgreSQL refuses to run as root.
        self.proc = subprocess.Popen(["setpriv", "--reuid=postgres", "--regid=postgres",
                                      "--init-groups", "--pdeathsig", "KILL", PATRONI, self.config],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.dir, env={"PATH": "/usr/bin:/bin", "HOME": self.dir})
        log.close()
        with _LIVE_LOCK:
            _LIVE[self.proc.pid] = self.proc

    def rest(self, path="/patroni"):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.rest_port, path),
                                        timeout=2) as r:
                return json.loads(r.read())
        except Exception as e:  # 503 for a replica on /primary, connection refused when down.
            body = getattr(e, "read", lambda: b"")()
            try:
                return json.loads(body) if body else None
            except ValueError:
                return None

    def role(self):
        st = self.rest()
        return st.get("role") if st else None

    def psql(self, sql):
        cp = subprocess.run([os.path.join(PG_BIN, "psql"), "-h", "127.0.0.1", "-p", str(self.pg_port),
                             "-U", "postgres", "-d", "postgres", "-tAc", sql],
                            capture_output=True, text=True, timeout=20)
        return cp

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.data_dir, "postmaster.pid")) as f:
                return int(f.readline().strip())
        except (OSError, ValueError):
            return None

    def kill(self):
        """SIGKILL of Patroni, then of its postgres (the postmaster, whose children follow)."""
        pg = self.postmaster_pid()
        if self.proc is not None:
            _kill_pid(self.proc)
            with _LIVE_LOCK:
                _LIVE.pop(self.proc.pid, None)
        if pg:
            try:
                os.kill(pg, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self):
        self.kill()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class PatroniTest(unittest.TestCase):
    def test_the_replica_is_promoted_when_the_primary_is_killed(self):
        for path in (PATRONI, os.path.join(PG_BIN, "postgres")):
            self.assertTrue(os.access(path, os.X_OK), "%s is missing: run scripts/install-deps.sh" % path)
        with Cluster(3) as dcs:
            hosts = ["127.0.0.1:%d" % m.client_port for m in dcs.members]
            ports = free_ports(4)
            # Under /tmp, which the postgres user can reach whatever the checkout's permissions.
            base = tempfile.mkdtemp(prefix="regent-patroni-", dir="/tmp")
            self.addCleanup(shutil.rmtree, base, True)
            os.chmod(base, 0o755)
            scope = "regent-pg-%d" % os.getpid()
            nodes = [PatroniNode(base, "pg%d" % i, scope, hosts, ports[2 * i], ports[2 * i + 1])
                     for i in range(2)]
            try:
                nodes[0].start()
                wait_until(lambda: nodes[0].role() in ("master", "primary"), timeout=90,
                           interval=0.5, what="pg0 to bootstrap and lead")
                nodes[1].start()
                wait_until(lambda: nodes[1].role() == "replica" and
                           (nodes[1].rest() or {}).get("state") == "running", timeout=120,
                           interval=0.5, what="pg1 to run as a streaming replica")
                primary, replica = nodes
                put = primary.psql("CREATE TABLE t (v text); INSERT INTO t VALUES ('kept');")
                self.assertEqual(put.returncode, 0, put.stderr)
                wait_until(lambda: replica.psql("SELECT v FROM t").stdout.strip() == "kept",
                           timeout=30, interval=0.5, what="the row to reach the replica")
                # The leader key Patroni keeps in the DCS is Regent's.
                keys = dcs.etcdctl("get", "/service/%s/leader" % scope, "--print-value-only",
                                   endpoint=0).stdout.strip()
                self.assertEqual(keys, "pg0")

                killed = time.monotonic()
                primary.kill()
                wait_until(lambda: replica.role() in ("master", "primary"),
                           timeout=TTL + 60, interval=0.2, what="the replica to be promoted")
                promoted = time.monotonic() - killed
                wait_until(lambda: replica.psql("SELECT pg_is_in_recovery()").stdout.strip() == "f",
                           timeout=30, interval=0.2, what="the new primary to leave recovery")
                progress("promotion %.1f s after SIGKILL of the primary (ttl %d, loop_wait %d)" % (
                    promoted, TTL, LOOP_WAIT))
                self.assertEqual(replica.psql("SELECT v FROM t").stdout.strip(), "kept")
                ok = replica.psql("INSERT INTO t VALUES ('after');")
                self.assertEqual(ok.returncode, 0, ok.stderr)
                self.assertEqual(dcs.etcdctl("get", "/service/%s/leader" % scope,
                                             "--print-value-only", endpoint=1).stdout.strip(), "pg1")
            except BaseException:
                for n in nodes:
                    progress("---- %s's Patroni log:\n%s" % (n.name, n.log_tail()))
                raise
            finally:
                for n in nodes:
                    n.stop()


if __name__ == "__main__":
    unittest.main()
