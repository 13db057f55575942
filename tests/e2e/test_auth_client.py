"""regentctl's auth, user and role commands and --user/--password against an auth-enabled
cluster: the client half of issue 17.

The expected output and errors are etcdctl 3.4's and etcd's: the same file passed against
REGENTD=/usr/bin/etcd (3.4.23) before Regent served the Auth API. Token renewal after expiry is
tested in tests/unit/client (auth_client_test.cc, against a fake server) and the server's expiry
in test_auth.py.

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENTCTL=/path/to/regentctl \\
       /usr/bin/python3 -m unittest -v test_auth_client.py
"""

import os
import subprocess
import unittest

from regent_cluster import ClusterTestCase, wait_until


def regentctl_binary():
    path = os.environ.get("REGENTCTL")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("REGENTCTL is not set to the regentctl binary")
    return os.path.abspath(path)


class AuthClientTest(ClusterTestCase, unittest.TestCase):
    """One cluster for the class; each test leaves auth disabled and only user root behind."""

    @classmethod
    def setUpClass(cls):
        cls.regentctl = regentctl_binary()
        cls.start_shared_cluster()

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def ctl(self, *args, input=None, check=True, user=None, globals_=()):
        cmd = [self.regentctl, "--endpoints=" + ",".join(self.cluster.endpoints)]
        if user:
            cmd.append("--user=" + user)
        cmd += list(globals_)
        cmd += [str(a) for a in args]
        cp = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=30)
        if check and cp.returncode != 0:
            raise AssertionError("regentctl %s failed (exit %d)\nstdout: %s\nstderr: %s" % (
                " ".join(cmd[1:]), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def enable_auth(self):
        self.ctl("user", "add", "root", "--new-user-password=rootpw")
        self.assertEqual(self.ctl("auth", "enable").stdout, "Authentication Enabled\n")
        self.addCleanup(self.disable_auth)

    def disable_auth(self):
        self.ctl("auth", "disable", user="root:rootpw")
        for u in self.ctl("user", "list").stdout.split():
            self.ctl("user", "delete", u)
        for r in self.ctl("role", "list").stdout.split():
            self.ctl("role", "delete", r)

    # ------------------------------------------------------------------ auth
    def test_enable_gives_root_its_role_and_status_reports_it(self):
        # etcdctl's auth enable adds role root and grants it to user root when missing.
        self.enable_auth()
        self.assertIn("root", self.ctl("role", "list", user="root:rootpw").stdout.split())
        cp = self.ctl("auth", "status", user="root:rootpw", check=False)
        if "unknown method AuthStatus" in cp.stderr:
            return  # etcd 3.4 (AuthStatus is 3.5's); Regent serves it.
        self.assertTrue(cp.stdout.startswith("Authentication Status: true\nAuthRevision: "),
                        cp.stdout + cp.stderr)

    def test_disable_prints_etcdctls_words(self):
        self.enable_auth()
        self.assertEqual(self.ctl("auth", "disable", user="root:rootpw").stdout,
                         "Authentication Disabled\n")

    # ------------------------------------------------------------------ users
    def test_user_lifecycle_output(self):
        self.assertEqual(self.ctl("user", "add", "alice:pw").stdout, "User alice created\n")
        self.assertEqual(self.ctl("role", "add", "reader").stdout, "Role reader created\n")
        self.assertEqual(self.ctl("user", "grant-role", "alice", "reader").stdout,
                         "Role reader is granted to user alice\n")
        self.assertEqual(self.ctl("user", "get", "alice").stdout, "User: alice\nRoles: reader\n")
        self.assertEqual(self.ctl("user", "revoke-role", "alice", "reader").stdout,
                         "Role reader is revoked from user alice\n")
        self.assertEqual(self.ctl("user", "passwd", "alice", input="pw2\n").stdout,
                         "Password updated\n")
        self.assertEqual(self.ctl("user", "delete", "alice").stdout, "User alice deleted\n")
        self.ctl("role", "delete", "reader")

    def test_user_add_reads_a_piped_password_and_no_password_users_cannot_log_in(self):
        self.ctl("user", "add", "bob", input="from-stdin\n")
        self.ctl("user", "add", "carol", "--no-password")
        self.enable_auth()
        self.ctl("user", "grant-role", "bob", "root", user="root:rootpw")
        self.ctl("get", "x", user="bob:from-stdin")
        cp = self.ctl("get", "x", user="carol:anything", check=False)
        self.assertNotEqual(cp.returncode, 0)
        # etcd 3.4.23's words for a password given to a user that has none.
        self.assertEqual(cp.stderr, "Error: auth: authentication failed, password was given for "
                         "no password user\n")

    # ------------------------------------------------------------------ roles
    def test_role_get_lists_ranges_as_etcdctl(self):
        self.ctl("role", "add", "reader")
        self.assertEqual(self.ctl("role", "grant-permission", "reader", "read", "a", "b").stdout,
                         "Role reader updated\n")
        self.ctl("role", "grant-permission", "reader", "readwrite", "p/", "--prefix")
        self.ctl("role", "grant-permission", "reader", "write", "z", "--from-key")
        self.ctl("role", "grant-permission", "reader", "read", "k")
        self.assertEqual(self.ctl("role", "get", "reader").stdout,
                         # etcd keeps a role's permissions sorted by key.
                         "Role reader\nKV Read:\n\t[a, b) (prefix a)\n\tk\n\t[p/, p0) (prefix p/)\n"
                         "KV Write:\n\t[p/, p0) (prefix p/)\n\t[z, <open ended>\n")
        self.assertEqual(self.ctl("role", "revoke-permission", "reader", "a", "b").stdout,
                         "Permission of range [a, b) is revoked from role reader\n")
        self.assertEqual(self.ctl("role", "revoke-permission", "reader", "k").stdout,
                         "Permission of key k is revoked from role reader\n")
        self.ctl("role", "delete", "reader")

    def test_bad_permission_type_and_flags_are_usage_errors(self):
        cp = self.ctl("role", "grant-permission", "r", "rw", "k", check=False)
        self.assertEqual(cp.stderr, "Error: invalid permission type: rw\n")
        cp = self.ctl("role", "grant-permission", "r", "read", "k", "--prefix", "--from-key",
                      check=False)
        self.assertEqual(cp.stderr, "Error: --from-key and --prefix flags are mutually exclusive\n")

    # ------------------------------------------------------------------ tokens on every call
    def test_permissions_are_enforced_on_kv_watch_lease_and_lock(self):
        self.enable_auth()
        root = "root:rootpw"
        self.ctl("user", "add", "alice:pw", user=root)
        self.ctl("role", "add", "app", user=root)
        self.ctl("role", "grant-permission", "app", "readwrite", "app/", "--prefix", user=root)
        self.ctl("user", "grant-role", "alice", "app", user=root)
        self.ctl("put", "app/k", "v", user="alice:pw")
        # --user NAME --password PW, and --user NAME with the password piped in.
        self.assertEqual(self.ctl("get", "app/k", globals_=["--user=alice", "--password=pw"])
                         .stdout, "app/k\nv\n")
        self.assertEqual(self.ctl("get", "app/k", user="alice", input="pw\n").stdout,
                         "app/k\nv\n")
        cp = self.ctl("put", "other", "v", user="alice:pw", check=False)
        self.assertEqual(cp.stderr, "Error: etcdserver: permission denied\n")
        cp = self.ctl("get", "app/k", check=False)  # no credentials while auth is on
        self.assertEqual(cp.stderr, "Error: etcdserver: user name is empty\n")
        # A lock is taken under the caller's rights too: its keys are NAME/<lease>.
        cp = self.ctl("lock", "app/l", "--", "echo", "held", user="alice:pw", check=False)
        self.assertEqual((cp.returncode, cp.stdout), (0, "held\n"), cp.stderr)
        cp = self.ctl("lock", "other", "--", "echo", "held", user="alice:pw", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertNotIn("held", cp.stdout)
        self.assertIn("etcdserver: permission denied", cp.stderr)


if __name__ == "__main__":
    unittest.main()
