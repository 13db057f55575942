"""Authentication and roles (issue 17) on a 3-member cluster that runs mutual TLS on both ports
and auth enabled, as a production cluster would: users with bcrypt-hashed passwords, roles
with key-range permissions, simple tokens with a TTL, a client certificate's Common Name as the
user, root-only calls, and the JSON gateway honouring the same tokens. Driven by etcdctl 3.4,
python etcd3 and the HTTP face; every refusal the issue lists is asserted with etcd's words.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_auth.py
"""

import base64
import json
import os
import ssl
import time
import unittest
import urllib.error
import urllib.request

import subprocess

import grpc

import tls_pki
from regent_cluster import Cluster, client_module, progress, scratch_dir, wait_until
from test_regentctl import regentctl_binary
from test_tls import PkiTestCase

TOKEN_TTL_S = 2
ROOT_PW = "root-secret"
ALICE_PW = "alice-secret"


def b64(s):
    return base64.b64encode(s.encode()).decode()


class AuthTest(PkiTestCase, unittest.TestCase):
    """alice may read and write keys under a/ (role kv-a) and read keys under r/ (role
    reader); root may do anything. Client certificates: CN root, CN alice, and CN nobody (a name
    that is no user), all from the cluster's CA."""

    @classmethod
    def setUpClass(cls):
        directory = cls.pki_dir = scratch_dir("regent-auth-pki-")
        ca = tls_pki.Ca(directory, "ca")
        cls.ca = ca
        server = ca.issue("server", "member")
        cls.certs = {cn: ca.issue(cn, cn) for cn in ("root", "alice", "nobody")}
        progress("starting a 3-member cluster with mutual TLS on both ports")
        cluster = Cluster(3, client_scheme="https", peer_scheme="https",
                          cert_file=server[0], key_file=server[1], trusted_ca_file=ca.cert,
                          client_cert_auth=True, peer_cert_file=server[0],
                          peer_key_file=server[1], peer_trusted_ca_file=ca.cert,
                          peer_client_cert_auth=True, auth_token_ttl=TOKEN_TTL_S)
        cluster.etcdctl_tls = cls.tls_args("root")
        cls.start_own_cluster(cluster)
        c = cls.cluster
        progress("adding users and roles, then enabling auth")
        c.etcdctl("user", "add", "root:" + ROOT_PW)
        c.etcdctl("user", "grant-role", "root", "root")
        c.etcdctl("user", "add", "alice:" + ALICE_PW)
        c.etcdctl("role", "add", "kv-a")
        c.etcdctl("role", "grant-permission", "kv-a", "readwrite", "a/", "--prefix=true")
        c.etcdctl("role", "add", "reader")
        c.etcdctl("role", "grant-permission", "reader", "read", "r/", "--prefix=true")
        c.etcdctl("user", "grant-role", "alice", "kv-a")
        c.etcdctl("user", "grant-role", "alice", "reader")
        c.etcdctl("put", "r/seen", "readable")
        c.etcdctl("put", "b/hidden", "secret")
        out = c.etcdctl("auth", "enable").stdout
        assert "Authentication Enabled" in out, out

    @classmethod
    def tls_args(cls, cn):
        cert, key = cls.certs[cn]
        return ["--cacert=" + cls.ca.cert, "--cert=" + cert, "--key=" + key]

    def etcdctl(self, cn, *args, user=None, endpoint=0):
        """etcdctl with the client certificate named `cn`, and `--user` if given."""
        saved = self.cluster.etcdctl_tls
        self.cluster.etcdctl_tls = self.tls_args(cn) + (["--user=" + user] if user else [])
        try:
            return self.cluster.etcdctl(*args, endpoint=endpoint, check=False, timeout=30,
                                        command_timeout="5s")
        finally:
            self.cluster.etcdctl_tls = saved

    def assert_refused(self, cp, message):
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn(message, cp.stderr)

    def assert_ok(self, cp):
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp.stdout

    def python_client(self, user, password, member=0):
        etcd3 = client_module()
        m = self.cluster.members[member]
        cert, key = self.certs["nobody"]
        return etcd3.client("127.0.0.1", m.client_port, ca_cert=self.ca.cert, cert_cert=cert,
                            cert_key=key, timeout=10, user=user, password=password)

    def https(self, path, body, token=None, member=0):
        """POST to the JSON gateway; (status, parsed body or list of stream lines)."""
        url = "https://127.0.0.1:%d%s" % (self.cluster.members[member].client_port, path)
        ctx = ssl.create_default_context(cafile=self.ca.cert)
        ctx.load_cert_chain(*self.certs["nobody"])
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        if token:
            req.add_header("Authorization", token)
        try:
            r = urllib.request.urlopen(req, timeout=15, context=ctx)  # The caller closes it.
            return r.status, r
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode())

    def gateway(self, path, body, token=None, member=0):
        status, r = self.https(path, body, token, member)
        if status == 200:
            with r:
                return status, json.loads(r.read().decode())
        return status, r

    # ------------------------------------------------------------------ allowed
    def test_a_user_with_its_password_through_etcdctl(self):
        self.assert_ok(self.etcdctl("nobody", "put", "a/etcdctl", "v1", user="alice:" + ALICE_PW))
        out = self.assert_ok(self.etcdctl("nobody", "get", "a/etcdctl", "--print-value-only",
                                          user="alice:" + ALICE_PW, endpoint=2))
        self.assertEqual(out.strip(), "v1")
        out = self.assert_ok(self.etcdctl("nobody", "get", "r/seen", "--print-value-only",
                                          user="alice:" + ALICE_PW, endpoint=1))
        self.assertEqual(out.strip(), "readable")

    def test_a_user_with_its_password_through_regentctl(self):
        def regentctl(*args, endpoint=1):
            cmd = [regentctl_binary(), "--endpoints=" + self.cluster.members[endpoint].client_url,
                   "--command-timeout=5s", "--user=alice:" + ALICE_PW] + self.tls_args("nobody")
            return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=30)
        self.assert_ok(regentctl("put", "a/regentctl", "v"))
        out = self.assert_ok(regentctl("get", "a/regentctl", "--print-value-only", endpoint=2))
        self.assertEqual(out.strip(), "v")
        self.assert_refused(regentctl("put", "b/regentctl", "v"), "etcdserver: permission denied")

    def test_a_certificates_common_name_is_its_user(self):
        # CN alice, no --user: alice's rights, no more.
        self.assert_ok(self.etcdctl("alice", "put", "a/by-cert", "v", endpoint=1))
        self.assert_refused(self.etcdctl("alice", "put", "b/by-cert", "v", endpoint=1),
                            "etcdserver: permission denied")
        # CN root: everything, including root-only calls.
        self.assert_ok(self.etcdctl("root", "put", "b/by-root", "v"))
        self.assertIn("alice", self.assert_ok(self.etcdctl("root", "user", "list")))
        # A name that is no user gets nothing.
        self.assert_refused(self.etcdctl("nobody", "get", "a/by-cert"),
                            "etcdserver: permission denied")

    def test_python_etcd3_with_a_password(self):
        c = self.python_client("alice", ALICE_PW, member=1)
        try:
            c.put("a/python", "v")
            self.assertEqual(c.get("a/python")[0], b"v")
            with self.assertRaises(grpc.RpcError) as e:
                c.put("b/python", "v")
            self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            self.assertEqual(e.exception.details(), "etcdserver: permission denied")
        finally:
            c.close()

    def test_the_gateway_honours_tokens(self):
        status, body = self.gateway("/v3/auth/authenticate", {"name": "alice",
                                                              "password": ALICE_PW})
        self.assertEqual(status, 200, body)
        token = body["token"]
        status, body = self.gateway("/v3/kv/put", {"key": b64("a/gw"), "value": b64("v")},
                                    token=token, member=2)
        self.assertEqual(status, 200, body)
        status, body = self.gateway("/v3/kv/range", {"key": b64("a/gw")}, token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["kvs"][0]["value"], b64("v"))
        # Without a token (the gateway's calls carry no certificate): no user.
        status, body = self.gateway("/v3/kv/range", {"key": b64("a/gw")})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["message"], "etcdserver: user name is empty")
        status, body = self.gateway("/v3/kv/put", {"key": b64("b/gw"), "value": b64("v")},
                                    token=token)
        self.assertEqual(status, 403, body)
        self.assertEqual(body["message"], "etcdserver: permission denied")
        status, body = self.gateway("/v3/kv/range", {"key": b64("a/gw")}, token="made-up.1")
        self.assertEqual(status, 401, body)
        self.assertEqual(body["message"], "etcdserver: invalid auth token")

    # ------------------------------------------------------------------ refused
    def test_a_wrong_password_is_refused(self):
        self.assert_refused(self.etcdctl("nobody", "get", "a/x", user="alice:wrong"),
                            "etcdserver: authentication failed, invalid user ID or password")
        self.assert_refused(self.etcdctl("nobody", "get", "a/x", user="mallory:whatever"),
                            "etcdserver: authentication failed, invalid user ID or password")

    def test_writing_outside_the_roles_range_is_refused(self):
        alice = "alice:" + ALICE_PW
        for args in (("put", "b/x", "v"), ("put", "r/seen", "overwritten"),
                     ("del", "a/", "--prefix"),  # [a/, a0) is inside, but...
                     ("get", "b/hidden"), ("get", "", "--from-key")):
            cp = self.etcdctl("nobody", *args, user=alice)
            if args[0] == "del":
                self.assertEqual(cp.returncode, 0, cp.stderr)  # ...it is alice's to delete.
                continue
            self.assert_refused(cp, "etcdserver: permission denied")
        # A txn is checked on every compare and both branches.
        txn = 'mod("a/t") = "0"\n\nput a/t 1\n\nput b/t 1\n\n'
        saved = self.cluster.etcdctl_tls
        self.cluster.etcdctl_tls = self.tls_args("nobody") + ["--user=" + alice]
        try:
            cp = self.cluster.etcdctl("txn", check=False, input=txn)
            self.assert_refused(cp, "etcdserver: permission denied")
            cp = self.cluster.etcdctl("txn", check=False,
                                      input='mod("b/hidden") > "0"\n\nput a/t 1\n\n\n')
            self.assert_refused(cp, "etcdserver: permission denied")
        finally:
            self.cluster.etcdctl_tls = saved
        out = self.assert_ok(self.etcdctl("root", "get", "b/", "--prefix", "--keys-only"))
        self.assertNotIn("b/t", out)
        self.assertIn("secret", self.assert_ok(self.etcdctl("root", "get", "b/hidden")))

    def test_root_only_calls_are_refused_to_others(self):
        alice = "alice:" + ALICE_PW
        for args, message in ((("user", "list"), "etcdserver: permission denied"),
                              (("role", "add", "sneaky"), "etcdserver: permission denied"),
                              (("user", "grant-role", "alice", "root"),
                               "etcdserver: permission denied"),
                              (("auth", "disable"), "etcdserver: permission denied"),
                              (("compaction", "1"), "etcdserver: permission denied"),
                              (("defrag",), "etcdserver: permission denied"),
                              (("endpoint", "hashkv"), "etcdserver: permission denied"),
                              (("member", "remove", "1234"), "etcdserver: permission denied")):
            self.assert_refused(self.etcdctl("nobody", *args, user=alice), message)
        # Status and the member list are open to every user, as etcd's.
        self.assert_ok(self.etcdctl("nobody", "endpoint", "status", user=alice))
        self.assert_ok(self.etcdctl("nobody", "member", "list", user=alice))
        # A user may look at itself.
        self.assertIn("kv-a", self.assert_ok(self.etcdctl("nobody", "user", "get", "alice",
                                                          user=alice)))

    def test_an_expired_token_is_refused(self):
        c = self.python_client("alice", ALICE_PW, member=2)
        try:
            c.put("a/ttl", "v")
            time.sleep(TOKEN_TTL_S + 1.5)  # Unused for longer than --auth-token-ttl.
            with self.assertRaises(grpc.RpcError) as e:
                c.get("a/ttl")
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
            self.assertEqual(e.exception.details(), "etcdserver: invalid auth token")
        finally:
            c.close()

    def test_a_token_in_use_stays_valid_and_works_on_every_member(self):
        status, body = self.gateway("/v3/auth/authenticate", {"name": "alice",
                                                              "password": ALICE_PW}, member=0)
        token = body["token"]
        # Every member learns the token when it applies the Authenticate entry (the issuer
        # answered once it had): soon after, not necessarily before the client's next call,
        # which is why clients authenticate again on "invalid auth token", as with etcd.
        for m in range(3):
            wait_until(lambda: self.gateway("/v3/kv/range", {"key": b64("a/x")}, token=token,
                                            member=m)[0] == 200,
                       timeout=10, what="member %d to know the token" % m)
        deadline = time.monotonic() + 2 * TOKEN_TTL_S + 1
        while time.monotonic() < deadline:  # Each use pushes the expiry a TTL away.
            status, body = self.gateway("/v3/kv/range", {"key": b64("a/x")}, token=token,
                                        member=1)
            self.assertEqual(status, 200, body)
            time.sleep(TOKEN_TTL_S / 4)

    def test_a_revoked_permission_takes_effect_on_the_next_request(self):
        root = "root:" + ROOT_PW
        self.assert_ok(self.etcdctl("nobody", "role", "add", "temp", user=root))
        self.assert_ok(self.etcdctl("nobody", "role", "grant-permission", "temp", "readwrite",
                                    "t/", "--prefix=true", user=root))
        self.assert_ok(self.etcdctl("nobody", "user", "grant-role", "alice", "temp", user=root))
        c = self.python_client("alice", ALICE_PW, member=2)
        try:
            c.put("t/1", "v")
            self.assert_ok(self.etcdctl("nobody", "role", "revoke-permission", "temp", "t/",
                                        "--prefix=true", user=root, endpoint=0))
            # The very next request, on another member. A request stamped before that member
            # applied the revocation is refused as "revision of auth store is old", which
            # clients answer by asking again: the second answer must be the refusal itself.
            for _ in range(2):
                with self.assertRaises(grpc.RpcError) as e:
                    c.put("t/2", "v")
                if e.exception.details() != "etcdserver: revision of auth store is old":
                    break
            self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            self.assertEqual(e.exception.details(), "etcdserver: permission denied")
        finally:
            c.close()
        out = self.assert_ok(self.etcdctl("root", "get", "t/", "--prefix", "--keys-only"))
        self.assertIn("t/1", out)
        self.assertNotIn("t/2", out)

    def test_a_watch_on_a_key_the_user_cannot_read_is_refused(self):
        status, body = self.gateway("/v3/auth/authenticate", {"name": "alice",
                                                              "password": ALICE_PW})
        token = body["token"]
        for key, refused in (("b/hidden", True), ("a/watched", False)):
            status, r = self.https("/v3/watch", {"create_request": {"key": b64(key)}},
                                   token=token, member=1)
            self.assertEqual(status, 200)
            first = json.loads(r.readline().decode())["result"]
            r.close()
            self.assertTrue(first.get("created"), first)
            if refused:
                self.assertTrue(first.get("canceled"), first)
                self.assertEqual(first.get("cancel_reason"), "etcdserver: permission denied")
            else:
                self.assertFalse(first.get("canceled", False), first)

    def test_authentication_attempts_are_rate_limited_per_connection(self):
        etcd3 = client_module()
        c = self.python_client("alice", ALICE_PW, member=0)
        try:
            stub = etcd3.etcdrpc.AuthStub(c.channel)
            codes = []
            start = time.monotonic()
            for _ in range(30):
                try:
                    stub.Authenticate(etcd3.etcdrpc.AuthenticateRequest(name="alice",
                                                                        password="guess"),
                                      timeout=10)
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as e:
                    codes.append(e.code())
            elapsed = time.monotonic() - start
        finally:
            c.close()
        self.assertNotIn(grpc.StatusCode.OK, codes)
        checked = codes.count(grpc.StatusCode.INVALID_ARGUMENT)  # A bcrypt check each.
        limited = codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED)
        # The client's own Authenticate took one of the burst of five.
        self.assertLessEqual(checked, 6, codes)
        self.assertGreaterEqual(limited, 20, codes)
        # Refusals cost no bcrypt: 30 attempts take about as long as the handful checked.
        self.assertLess(elapsed, 5.0, codes)
        # Another connection is not held up by this one's attempts.
        c2 = self.python_client("alice", ALICE_PW, member=0)
        try:
            c2.put("a/after-brute-force", "v")
        finally:
            c2.close()


if __name__ == "__main__":
    unittest.main()
