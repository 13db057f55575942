"""TLS on the client and peer ports, with certificates the test makes with openssl (tls_pki.py):
who is refused (a plain-text client on a TLS port, a client certificate from another CA or none
at all under --client-cert-auth, a peer without a certificate or with a Common Name
--peer-cert-allowed-cn does not allow) and who gets through, with the same operations, through
etcdctl 3.4, python etcd3, regentctl and the HTTP face (gateway, /health, /metrics) on the same
port; a 3-member cluster whose peers speak TLS elects and replicates; and a certificate replaced
on disk is presented to the next connection without a restart.

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENTCTL=/path/to/regentctl \\
       /usr/bin/python3 -m unittest -v test_tls.py
"""

import json
import os
import shutil
import socket
import ssl
import subprocess
import unittest
import urllib.request

import tls_pki
from regent_cluster import (Cluster, ClusterTestCase, client_module, progress, scratch_dir,
                            wait_until)
from test_regentctl import regentctl_binary

HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def make_pki(directory):
    """The CA every member and client trusts, a second CA nobody trusts, and their leaves."""
    pki = {"dir": directory}
    ca = tls_pki.Ca(directory, "ca")
    other = tls_pki.Ca(directory, "other-ca")
    pki["ca"] = ca
    pki["server"] = ca.issue("server", "member")
    pki["client"] = ca.issue("client", "root")
    pki["intruder"] = ca.issue("intruder", "intruder")
    pki["other_client"] = other.issue("other-client", "root")
    return pki


class PkiTestCase(ClusterTestCase):
    """Removes the class's certificates with its cluster (kept, like the cluster's files, when a
    test failed)."""

    pki_dir = None

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()
        if cls.pki_dir and not cls.failed:
            shutil.rmtree(cls.pki_dir, ignore_errors=True)


class ClientTlsTest(PkiTestCase, unittest.TestCase):
    """Three members serving clients over TLS with --client-cert-auth; peers in plain text."""

    @classmethod
    def setUpClass(cls):
        cls.regentctl = regentctl_binary()
        directory = cls.pki_dir = scratch_dir("regent-tls-pki-")
        pki = make_pki(directory)
        cls.pki = pki
        # Each member serves its own copy of the certificate, so one can be rotated alone.
        cls.member_files = []
        for i in range(3):
            cert, key = (os.path.join(directory, "member%d%s.pem" % (i, s)) for s in ("", "-key"))
            for src, dst in zip(pki["server"], (cert, key)):
                with open(src) as f, open(dst, "w") as g:
                    g.write(f.read())
            cls.member_files.append((cert, key))
        progress("starting a 3-member cluster serving clients over TLS")
        cluster = Cluster(3, client_scheme="https", trusted_ca_file=pki["ca"].cert,
                          client_cert_auth=True)
        for i, (cert, key) in enumerate(cls.member_files):
            cluster.member_flags[i] = {"cert_file": cert, "key_file": key}
        cluster.etcdctl_tls = ["--cacert=" + pki["ca"].cert, "--cert=" + pki["client"][0],
                               "--key=" + pki["client"][1]]
        cls.start_own_cluster(cluster)

    def etcdctl_as(self, tls_args, *args, endpoint=0):
        saved = self.cluster.etcdctl_tls
        self.cluster.etcdctl_tls = tls_args
        try:
            return self.cluster.etcdctl(*args, endpoint=endpoint, check=False, timeout=30,
                                        command_timeout="3s")
        finally:
            self.cluster.etcdctl_tls = saved

    def run_regentctl(self, *args, tls=True, endpoint=0):
        cmd = [self.regentctl, "--endpoints=" + self.cluster.members[endpoint].client_url,
               "--command-timeout=3s", "--dial-timeout=2s"]
        if tls:
            cmd += ["--cacert=" + self.pki["ca"].cert, "--cert=" + self.pki["client"][0],
                    "--key=" + self.pki["client"][1]]
        return subprocess.run(cmd + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=30)

    def https_context(self, client=True):
        ctx = ssl.create_default_context(cafile=self.pki["ca"].cert)
        if client:
            ctx.load_cert_chain(*self.pki["client"])
        return ctx

    def https(self, path, body=None, member=0):
        url = "https://127.0.0.1:%d%s" % (self.cluster.members[member].client_port, path)
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(url, data=data, timeout=15,
                                    context=self.https_context()) as r:
            return r.status, r.read().decode()

    # -------------------------------------------------------------- allowed
    def test_etcdctl_with_the_cas_client_certificate(self):
        self.cluster.etcdctl("put", "tls/etcdctl", "v1", endpoint=0)
        out = self.cluster.etcdctl("get", "tls/etcdctl", "--print-value-only", endpoint=2).stdout
        self.assertEqual(out.strip(), "v1")
        members = self.cluster.etcdctl_json("member", "list", endpoint=1)["members"]
        self.assertEqual(sorted(u for m in members for u in m["clientURLs"]),
                         sorted(self.cluster.endpoints))
        self.assertTrue(all(u.startswith("https://") for u in self.cluster.endpoints))

    def test_python_etcd3_with_the_cas_client_certificate(self):
        etcd3 = client_module()
        m = self.cluster.members[1]
        c = etcd3.client("127.0.0.1", m.client_port, ca_cert=self.pki["ca"].cert,
                         cert_cert=self.pki["client"][0], cert_key=self.pki["client"][1],
                         timeout=10)
        try:
            c.put("tls/python", "v2")
            value, _ = c.get("tls/python")
            self.assertEqual(value, b"v2")
            # A lease kept alive through a follower is forwarded to the leader's https:// URL.
            lease = c.lease(30)
            c.put("tls/leased", "v", lease=lease)
            self.assertGreater(lease.refresh()[0].TTL, 0)
            lease.revoke()
        finally:
            c.close()

    def test_regentctl_with_the_cas_client_certificate(self):
        cp = self.run_regentctl("put", "tls/regentctl", "v3")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        cp = self.run_regentctl("get", "tls/regentctl", "--print-value-only", endpoint=2)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.strip(), "v3")

    def test_http_face_on_the_tls_port(self):
        status, body = self.https("/health")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["health"], "true")
        status, body = self.https("/metrics")
        self.assertEqual(status, 200)
        self.assertIn("etcd_server_has_leader", body)
        self.cluster.etcdctl("put", "tls/gateway", "v4")
        status, body = self.https("/v3/kv/range", {"key": "dGxzL2dhdGV3YXk="})  # tls/gateway
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["kvs"][0]["value"], "djQ=")  # v4

    # -------------------------------------------------------------- refused
    def test_plain_text_to_the_tls_port_is_refused(self):
        port = self.cluster.members[0].client_port
        cp = self.etcdctl_as([], "get", "tls/x", endpoint="http://127.0.0.1:%d" % port)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        for first_bytes in (b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", HTTP2_PREFACE):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(first_bytes)
                try:
                    answer = s.recv(4096)
                except (ConnectionResetError, socket.timeout):
                    answer = b""
                self.assertFalse(answer.startswith(b"HTTP/1.1"), answer)
                self.assertNotIn(b"health", answer)

    def test_a_client_certificate_from_another_ca_is_refused(self):
        cp = self.etcdctl_as(["--cacert=" + self.pki["ca"].cert,
                              "--cert=" + self.pki["other_client"][0],
                              "--key=" + self.pki["other_client"][1]], "get", "tls/x")
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            ctx = ssl.create_default_context(cafile=self.pki["ca"].cert)
            ctx.load_cert_chain(*self.pki["other_client"])
            port = self.cluster.members[0].client_port
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                    if not s.recv(4096):
                        raise ConnectionError("closed without an answer")

    def test_no_client_certificate_is_refused(self):
        cp = self.etcdctl_as(["--cacert=" + self.pki["ca"].cert], "get", "tls/x")
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        cp = self.run_regentctl("get", "tls/x", tls=False)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        cp = subprocess.run([self.regentctl, "--endpoints=" + self.cluster.members[0].client_url,
                             "--cacert=" + self.pki["ca"].cert, "--command-timeout=3s", "get",
                             "tls/x"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=30)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)

    def test_an_unknown_server_is_refused_by_the_clients(self):
        """The members' CA unknown to the client: etcdctl and regentctl refuse the member, unless
        told to skip verification."""
        cp = self.etcdctl_as(["--cacert=" + os.path.join(self.pki["dir"], "other-ca.pem"),
                              "--cert=" + self.pki["client"][0],
                              "--key=" + self.pki["client"][1]], "get", "tls/x")
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        base = [self.regentctl, "--endpoints=" + self.cluster.members[0].client_url,
                "--cert=" + self.pki["client"][0], "--key=" + self.pki["client"][1],
                "--command-timeout=3s", "--dial-timeout=2s"]
        cp = subprocess.run(base + ["--cacert=" + os.path.join(self.pki["dir"], "other-ca.pem"),
                                    "get", "tls/x"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        cp = subprocess.run(base + ["--insecure-skip-tls-verify", "put", "tls/skip", "ok"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)

    # -------------------------------------------------------------- rotation
    def test_a_replaced_certificate_is_presented_without_restart(self):
        m = self.cluster.members[2]
        cert, key = self.member_files[2]
        pid = m.proc.pid
        before = tls_pki.presented_fingerprint(m.client_port, self.pki["ca"].cert,
                                               *self.pki["client"])
        self.assertEqual(before, tls_pki.fingerprint_of_file(cert))
        self.pki["ca"].issue("member2-rotated", "member", cert_path=cert, key_path=key)
        rotated = tls_pki.fingerprint_of_file(cert)
        self.assertNotEqual(rotated, before)
        after = wait_until(
            lambda: tls_pki.presented_fingerprint(m.client_port, self.pki["ca"].cert,
                                                  *self.pki["client"]) == rotated,
            10, interval=0.2, what="the rotated certificate to be presented")
        self.assertTrue(after)
        self.assertEqual(m.proc.pid, pid)
        self.assertTrue(m.running())
        self.cluster.etcdctl("put", "tls/after-rotation", "ok", endpoint=2)


class PeerTlsTest(PkiTestCase, unittest.TestCase):
    """Three members whose peers speak mutual TLS with --peer-client-cert-auth and
    --peer-cert-allowed-cn member; clients in plain text."""

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = scratch_dir("regent-tls-pki-")
        cls.pki = make_pki(cls.pki_dir)
        progress("starting a 3-member cluster whose peers speak mutual TLS")
        cls.start_own_cluster(Cluster(3, peer_scheme="https", peer_cert_file=cls.pki["server"][0],
                                      peer_key_file=cls.pki["server"][1],
                                      peer_trusted_ca_file=cls.pki["ca"].cert,
                                      peer_client_cert_auth=True, peer_cert_allowed_cn="member"))

    def peer_answer(self, cert=None, key=None):
        """What the peer port says to an HTTP/2 preface over TLS with this client certificate:
        b"" when it refuses the connection."""
        port = self.cluster.members[0].peer_port
        ctx = ssl.create_default_context(cafile=self.pki["ca"].cert)
        ctx.set_alpn_protocols(["h2"])
        if cert:
            ctx.load_cert_chain(cert, key)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    s.sendall(HTTP2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
                    return s.recv(4096)
        except (ssl.SSLError, ConnectionError, socket.timeout):
            return b""

    def test_a_replaced_peer_certificate_is_presented_without_restart(self):
        """The peer certificate files (shared by the three members here) replaced by a new
        certificate of the same CA and Common Name: a new peer connection is shown it within the
        watcher's period, no member restarts, and the cluster still replicates."""
        c = self.cluster
        cert, key = self.pki["server"]
        pids = [m.proc.pid for m in c.members[:3]]
        port = c.members[1].peer_port
        shown = lambda: tls_pki.presented_fingerprint(port, self.pki["ca"].cert, cert, key,
                                                      alpn=["h2"])
        self.assertEqual(shown(), tls_pki.fingerprint_of_file(cert))
        self.pki["ca"].issue("server", "member")
        rotated = tls_pki.fingerprint_of_file(cert)
        wait_until(lambda: shown() == rotated, 15, interval=0.3,
                   what="the peer port to present the replaced certificate")
        self.assertEqual([m.proc.pid for m in c.members[:3]], pids)
        leader = c.wait_leader(members=[0, 1, 2])
        c.etcdctl("put", "peer-tls/rotated/k", "v", endpoint=leader)
        for i in range(3):
            wait_until(lambda i=i: c.keys(i, "peer-tls/rotated/") == {"peer-tls/rotated/k"}, 10,
                       what="member %d to hold the write made after the rotation" % i)

    def test_elects_and_replicates(self):
        leader = self.cluster.wait_leader()
        self.assertIsNotNone(leader)
        self.cluster.etcdctl("put", "peer-tls/replicated/k", "v", endpoint=leader)
        for i in range(3):
            wait_until(lambda i=i: self.cluster.keys(i, "peer-tls/replicated/") ==
                       {"peer-tls/replicated/k"}, 10,
                       what="member %d to hold the write" % i)
        self.assertTrue(all(m.peer_url.startswith("https://") for m in self.cluster.members))

    def test_a_peer_with_the_allowed_certificate_gets_an_answer(self):
        """The control for the two refusals below: the same connection with the members'
        certificate is answered (an HTTP/2 SETTINGS frame)."""
        self.assertNotEqual(self.peer_answer(*self.pki["server"]), b"")

    def test_a_peer_without_a_certificate_is_refused(self):
        self.assertEqual(self.peer_answer(), b"")

    def test_a_peer_whose_common_name_is_not_allowed_is_refused(self):
        self.assertEqual(self.peer_answer(*self.pki["intruder"]), b"")
        self.assertEqual(self.peer_answer(*self.pki["other_client"]), b"")

    def test_a_member_with_a_wrong_certificate_cannot_join(self):
        """A fourth member added to the cluster but holding a certificate of the right CA whose
        Common Name is not allowed: its peers refuse it, so it cannot learn the cluster it is to
        join and stops with an error, and the cluster goes on serving."""
        c = self.cluster
        i = c.add_member()
        new = c.members[i]
        c.etcdctl("member", "add", new.name, "--peer-urls=" + new.peer_url)
        c.member_flags[i] = {"peer_cert_file": self.pki["intruder"][0],
                             "peer_key_file": self.pki["intruder"][1]}
        try:
            rc, log = c.run_until_exit(i, timeout=30)
            self.assertIsNotNone(rc, "the member with a refused certificate kept running")
            self.assertNotEqual(rc, 0, log)
            self.assertNotIn("joining cluster", log)
            c.etcdctl("put", "peer-tls/still", "serving", endpoint=c.wait_leader(members=[0, 1, 2]))
        finally:
            for m in c.etcdctl_json("member", "list", endpoint=0)["members"]:
                if new.peer_url in m.get("peerURLs", []):
                    c.etcdctl("member", "remove", "%x" % m["ID"], endpoint=0)


class AutoTlsTest(ClusterTestCase, unittest.TestCase):
    """--auto-tls and --peer-auto-tls: each member generates its self-signed certificates in its
    data directory; peers (which do not verify each other's, as etcd) elect and replicate;
    regentctl with --insecure-skip-tls-verify gets through, a client verifying against the
    system's roots is refused."""

    @classmethod
    def setUpClass(cls):
        progress("starting a 3-member cluster with --auto-tls and --peer-auto-tls")
        cls.start_own_cluster(Cluster(3, client_scheme="https", peer_scheme="https",
                                      auto_tls=True, peer_auto_tls=True),
                              start=cls.start_trusting_generated_certificates)

    @classmethod
    def start_trusting_generated_certificates(cls, c):
        for i in range(3):
            c.spawn(i)
        # etcdctl 3.4 ignores --insecure-skip-tls-verify (against etcd too: it still checks the
        # chain), so it trusts the members' generated certificates themselves.
        certs = [os.path.join(m.data_dir, "fixtures", "client", "cert.pem") for m in c.members]
        wait_until(lambda: all(os.path.isfile(p) for p in certs), 20,
                   what="the members to generate their certificates")
        bundle = os.path.join(c.dir, "generated-certs.pem")
        with open(bundle, "w") as out:
            for p in certs:
                with open(p) as f:
                    out.write(f.read())
        c.etcdctl_tls = ["--cacert=" + bundle]
        c.wait_healthy()

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def test_generated_certificates_serve_and_replicate(self):
        c = self.cluster
        leader = c.wait_leader()
        c.etcdctl("put", "auto-tls/k", "v", endpoint=leader)
        for i in range(3):
            wait_until(lambda i=i: c.keys(i, "auto-tls/") == {"auto-tls/k"}, 10,
                       what="member %d to hold the write" % i)
            for side in ("client", "peer"):
                for name in ("cert.pem", "key.pem"):
                    path = os.path.join(c.members[i].data_dir, "fixtures", side, name)
                    self.assertTrue(os.path.isfile(path), path)
        cp = subprocess.run([regentctl_binary(), "--endpoints=" + c.members[0].client_url,
                             "--insecure-skip-tls-verify", "--command-timeout=3s", "get",
                             "auto-tls/k", "--print-value-only"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.strip(), "v")

    def test_a_verifying_client_refuses_the_self_signed_certificate(self):
        saved = self.cluster.etcdctl_tls
        self.cluster.etcdctl_tls = []  # The system's roots: they do not know the certificates.
        try:
            cp = self.cluster.etcdctl("get", "auto-tls/k", endpoint=0, check=False,
                                      command_timeout="3s")
        finally:
            self.cluster.etcdctl_tls = saved
        self.assertNotEqual(cp.returncode, 0, cp.stdout)


if __name__ == "__main__":
    unittest.main()
