"""Certificates for the TLS end-to-end tests, made with the openssl command line: a CA, a second
CA (whose certificates the members must refuse), and leaf certificates for 127.0.0.1/localhost
usable by servers and clients alike (as etcd's peers use one certificate both ways)."""

import hashlib
import os
import ssl
import subprocess

OPENSSL = "/usr/bin/openssl"


def _run(*args):
    subprocess.run([OPENSSL] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)


class Ca:
    def __init__(self, directory, name):
        self.dir = directory
        self.name = name
        self.cert = os.path.join(directory, name + ".pem")
        self.key = os.path.join(directory, name + "-key.pem")
        self._serial = int.from_bytes(os.urandom(6), "big")
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", self.key, "-out", self.cert, "-days", "2", "-subj", "/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name, common_name, cert_path=None, key_path=None):
        """A leaf certificate named `common_name`; returns (cert path, key path). Written through
        temporary names and renamed, so a member never reads half a file."""
        cert = cert_path or os.path.join(self.dir, name + ".pem")
        key = key_path or os.path.join(self.dir, name + "-key.pem")
        csr = os.path.join(self.dir, name + ".csr")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n")
        _run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", key + ".new", "-out", csr, "-subj", "/CN=" + common_name)
        self._serial += 1
        _run("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key, "-set_serial",
             str(self._serial), "-days", "2", "-extfile", ext, "-out", cert + ".new")
        os.replace(key + ".new", key)
        os.replace(cert + ".new", cert)
        return cert, key


def fingerprint_of_file(path):
    with open(path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def presented_fingerprint(port, ca, cert=None, key=None, alpn=None):
    """The SHA-256 of the certificate a new TLS connection to 127.0.0.1:port is shown."""
    import socket
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()
