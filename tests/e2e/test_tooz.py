"""OpenStack's tooz against a 3-member cluster through its `etcd3+http` driver, which speaks etcd's
JSON gateway (python3-etcd3gw), as an OpenStack service would use it: groups (create, join,
members, leave), a lock per group that excludes a second coordinator, heartbeats that keep a
coordinator's lease, and a lock taken over once its holder stops heartbeating.

Two bugs of Debian's client packages are worked around here, not in Regent: tooz 3.1 passes
`api_path=` to `etcd3gw.client()`, which etcd3gw 2.0 does not accept (so the test gives the
driver a `client()` that does), and tooz's default gateway prefix is `/v3alpha/`, which etcd 3.4
does not serve either (so the URL asks for `api_version=v3`).

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_tooz.py
"""

import time
import unittest

import tooz.coordination
import tooz.drivers.etcd3gw
from etcd3gw.client import Etcd3Client

from regent_cluster import ClusterTestCase, wait_until

LOCK_TIMEOUT_S = 2


def client_with_api_path(host="localhost", port=2379, ca_cert=None, cert_key=None,
                         cert_cert=None, timeout=None, protocol="http", api_path="/v3/"):
    """etcd3gw.client() as tooz 3.1 calls it (with api_path), which etcd3gw 2.0 lacks."""
    return Etcd3Client(host=host, port=port, ca_cert=ca_cert, cert_key=cert_key,
                       cert_cert=cert_cert, timeout=timeout, protocol=protocol, api_path=api_path)


class ToozTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tooz.drivers.etcd3gw.etcd3gw.client = client_with_api_path
        cls.start_shared_cluster()

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def coordinator(self, member_id, member=0):
        m = self.cluster.members[member]
        url = "etcd3+http://127.0.0.1:%d?api_version=v3&timeout=%d&lock_timeout=%d" % (
            m.client_port, LOCK_TIMEOUT_S, LOCK_TIMEOUT_S)
        c = tooz.coordination.get_coordinator(url, member_id.encode())
        c.start(start_heart=False)
        self.addCleanup(self.stop_quietly, c)
        return c

    @staticmethod
    def stop_quietly(c):
        try:
            c.stop()
        except Exception:  # Already stopped, or its lease already gone: nothing to undo.
            pass

    def test_groups_join_list_and_leave(self):
        a = self.coordinator("alpha", member=0)
        b = self.coordinator("beta", member=1)
        a.create_group(b"workers").get()
        with self.assertRaises(tooz.coordination.GroupAlreadyExist):
            b.create_group(b"workers").get()
        a.join_group(b"workers", capabilities=b"cpu").get()
        b.join_group(b"workers").get()
        self.assertEqual(set(a.get_members(b"workers").get()), {b"alpha", b"beta"})
        self.assertIn(b"workers", set(b.get_groups().get()))
        self.assertEqual(a.get_member_capabilities(b"workers", b"alpha").get(), b"cpu")
        b.leave_group(b"workers").get()
        self.assertEqual(set(a.get_members(b"workers").get()), {b"alpha"})

    def test_a_lock_excludes_a_second_coordinator_until_released(self):
        a = self.coordinator("one", member=1)
        b = self.coordinator("two", member=2)
        lock_a = a.get_lock(b"workers-lock")
        lock_b = b.get_lock(b"workers-lock")
        self.assertTrue(lock_a.acquire(blocking=False))
        self.assertFalse(lock_b.acquire(blocking=False))
        # Heartbeats keep the holder's lease alive past its timeout.
        for _ in range(3):
            a.heartbeat()
            time.sleep(LOCK_TIMEOUT_S / 2)
        self.assertFalse(lock_b.acquire(blocking=False), "the lock was lost despite heartbeats")
        self.assertTrue(lock_a.release())
        self.assertTrue(lock_b.acquire(blocking=False))
        self.assertTrue(lock_b.release())

    def test_a_lock_whose_holder_stops_heartbeating_is_taken_over(self):
        a = self.coordinator("gone", member=0)
        b = self.coordinator("next", member=2)
        lock_a = a.get_lock(b"takeover-lock")
        lock_b = b.get_lock(b"takeover-lock")
        self.assertTrue(lock_a.acquire(blocking=False))
        self.assertFalse(lock_b.acquire(blocking=False))
        started = time.monotonic()
        # `a` no longer heartbeats: its lease expires after the lock timeout, and `b` gets in.
        wait_until(lambda: lock_b.acquire(blocking=False), timeout=LOCK_TIMEOUT_S + 15,
                   interval=0.2, what="the lock to be taken over")
        waited = time.monotonic() - started
        self.assertGreaterEqual(waited, LOCK_TIMEOUT_S - 0.5, "taken over before the lease expired")
        self.assertTrue(lock_b.release())


if __name__ == "__main__":
    unittest.main()
