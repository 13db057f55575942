"""Watches against a 3-member cluster: etcdctl watch (key, --prefix, --rev from history,
--prev-kv, compacted), the python etcd3 watch API (watch, watch_prefix, watch_once, cancel_watch,
add_watch_callback, a compacted start revision), raw Watch streams (ids, filters, cancel,
progress), nothing lost or repeated under concurrent writers and across restarts of the member
serving the stream, a slow watcher that stops reading, and hasleader streams.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_watch.py

Against real etcd 3.4 (REGENTD=.../etcd) every test runs too: they were checked that way.

What python etcd3 0.12 does (read from /usr/lib/python3/dist-packages/etcd3/watch.py): watch()
returns (iterator, cancel) once the server answered `created`; a response with compact_revision
set makes the iterator raise etcd3.exceptions.RevisionCompactedError(compacted_revision) (and
the client cancels that watch); a stream error is raised from the iterator as the grpc.RpcError.
Its etcdrpc is older than etcd 3.4: WatchCreateRequest has no watch_id or fragment, WatchRequest
no progress_request; raw_watch() below writes those fields by hand.
"""

import base64
import json
import os
import queue
import signal
import subprocess
import threading
import time
import unittest

import grpc

from regent_cluster import (ETCDCTL, Cluster, ClusterTestCase, Writers, client_module, progress,
                            wait_until)

etcd3 = client_module()
rpc = etcd3.etcdrpc

HASLEADER = (("hasleader", "true"),)


def _quiet_closed_channel_watchers(args, _default=threading.excepthook):
    """python-etcd3's watch thread re-opens its stream forever, so once a client is closed it
    dies with "Channel closed" (with etcd as with Regent): that one is noise, not a failure."""
    if (args.exc_type is ValueError and "Channel closed" in str(args.exc_value)
            and args.thread is not None and args.thread.name.startswith("etcd3_watch")):
        return
    _default(args)


threading.excepthook = _quiet_closed_channel_watchers
PROGRESS_INTERVAL_S = 1


# ---------------------------------------------------------------- raw Watch streams
def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def create_request(key, range_end=b"", start_revision=0, watch_id=0, filters=(), prev_kv=False,
                   progress_notify=False):
    """A serialized WatchRequest{create_request}; watch_id (field 7) is written by hand."""
    cr = rpc.WatchCreateRequest(key=_b(key), range_end=_b(range_end), start_revision=start_revision,
                                progress_notify=progress_notify, filters=list(filters),
                                prev_kv=prev_kv)
    body = cr.SerializeToString()
    if watch_id:
        body += b"\x38" + _varint(watch_id)
    return b"\x0a" + _varint(len(body)) + body


def cancel_request(watch_id):
    return rpc.WatchRequest(cancel_request=rpc.WatchCancelRequest(watch_id=watch_id)).SerializeToString()


PROGRESS_REQUEST = b"\x1a\x00"  # WatchRequest{progress_request: {}} (field 3).


def _b(s):
    return s.encode() if isinstance(s, str) else s


def prefix_end(prefix):
    p = bytearray(_b(prefix))
    p[-1] += 1
    return bytes(p)


class RawWatch:
    """One Watch stream over its own channel. Requests are fed from a queue; a reader thread (started
    at once, or later with start_reader() to play a client that does not read) moves responses
    into a queue, and the stream's end (status code and details) into `ended`."""

    def __init__(self, port, metadata=None, read=True, timeout=180):
        # As Go clients do: etcd sends a catching-up watcher many revisions in one response
        # (13 MB here), beyond grpc-python's default 4 MiB. Regent caps a response at about
        # --max-request-bytes + 512 KiB unless one revision alone is larger.
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % port,
                                             options=[("grpc.max_receive_message_length", -1)])
        self.requests = queue.Queue()
        self.responses = queue.Queue()
        self.ended = None
        call = self.channel.stream_stream("/etcdserverpb.Watch/Watch",
                                          request_serializer=lambda b: b,
                                          response_deserializer=rpc.WatchResponse.FromString)
        self.stream = call(self._feed(), timeout=timeout, metadata=metadata)
        self.reader = None
        if read:
            self.start_reader()

    def _feed(self):
        while True:
            item = self.requests.get()
            if item is None:
                return
            yield item

    def send(self, request_bytes):
        self.requests.put(request_bytes)

    def start_reader(self):
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        try:
            for r in self.stream:
                self.responses.put(r)
            self.ended = (grpc.StatusCode.OK, "")
        except grpc.RpcError as e:
            self.ended = (e.code(), e.details())
        self.responses.put(None)

    def next(self, timeout=10):
        """The next response; None once the stream ended; raises on timeout."""
        try:
            return self.responses.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no watch response within %ss" % timeout) from None

    def quiet(self, seconds):
        """Asserts nothing arrives for `seconds`."""
        try:
            r = self.responses.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError("unexpected watch response: %s" % r)

    def close(self):
        self.requests.put(None)
        self.stream.cancel()
        if self.reader is not None:
            self.reader.join(timeout=10)
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def event_tuples(responses):
    """(type, key, value, mod_revision) of every event, types as 'PUT'/'DELETE'."""
    out = []
    for r in responses:
        for e in r.events:
            out.append(("PUT" if e.type == 0 else "DELETE", e.kv.key.decode(), e.kv.value.decode(),
                        e.kv.mod_revision))
    return out


# ---------------------------------------------------------------- etcdctl watch as a process
class EtcdctlWatch:
    """`etcdctl watch ... -w json` in the background, stdout to a file; lines() parses it. Stopped
    (kill, wait) by stop()/the with block."""

    def __init__(self, cluster, args, endpoint):
        self.path = os.path.join(cluster.dir, "etcdctl-watch-%d.txt" % time.monotonic_ns())
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        cmd = [ETCDCTL, "--endpoints=" + cluster.members[endpoint].client_url, "--dial-timeout=2s",
               "watch", "-w", "json"] + list(args)
        with open(self.path, "wb") as out, open(self.path + ".err", "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)

    def responses(self):
        with open(self.path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        out = []
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # A line still being written.
        return out

    def events(self):
        """(type, key, value, mod_revision, prev_value or None) of every event so far."""
        out = []
        for r in self.responses():
            for e in r.get("Events") or []:
                kv = e.get("kv", {})
                prev = e.get("prev_kv")
                out.append(("DELETE" if e.get("type") == 1 else "PUT",
                            base64.b64decode(kv.get("key", "")).decode(),
                            base64.b64decode(kv.get("value", "")).decode(),
                            int(kv.get("mod_revision", 0)),
                            None if prev is None else base64.b64decode(prev.get("value", "")).decode()))
        return out

    def stderr(self):
        with open(self.path + ".err", "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def collect(iterator, n, timeout, cancel):
    """Up to n items of a blocking python-etcd3 iterator, within timeout (then cancel() ends it).
    Returns (items, exception raised by the iterator or None)."""
    items, raised = [], []

    def run():
        try:
            for x in iterator:
                items.append(x)
                if len(items) >= n:
                    return
        except Exception as e:  # noqa: BLE001 - handed back to the test
            raised.append(e)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        cancel()
        t.join(10)
    return items, (raised[0] if raised else None)


class WatchTest(ClusterTestCase, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.start_shared_cluster(with_clients=True,
                                 experimental_watch_progress_notify_interval="%ds" % PROGRESS_INTERVAL_S)

    @classmethod
    def tearDownClass(cls):
        cls.stop_shared_cluster()

    def c(self, i=0):
        return self.clients[i]

    def put(self, key, value, i=0):
        return self.c(i).put(key, value).header.revision

    # ------------------------------------------------------------ etcdctl
    def test_etcdctl_watch_key_sees_puts_deletes_and_txns_in_order(self):
        with EtcdctlWatch(self.cluster, ["ctl/k"], endpoint=1) as w:
            # The watch starts at "now": a marker written until it shows proves it is on.
            for i in range(100):
                self.put("ctl/k", "ready")
                if any(e[2] == "ready" for e in w.events()):
                    break
                time.sleep(0.1)
            else:
                self.fail("etcdctl watch never saw its key: %s" % w.stderr())
            # Every marker put before this one has been printed once this one is.
            self.put("ctl/k", "sync")
            wait_until(lambda: any(e[2] == "sync" for e in w.events()), 10, what="the sync marker")
            start = [e[2] for e in w.events()].index("sync") + 1
            r1 = self.put("ctl/k", "1")
            self.put("ctl/other", "x")
            r2 = self.c().delete("ctl/k", return_response=True).header.revision
            ok, responses = self.c().transaction(
                compare=[], success=[self.c().transactions.put("ctl/k", "t"),
                                     self.c().transactions.put("ctl/other", "y")], failure=[])
            r3 = self.cluster.revision(0)
            self.c().delete("ctl/never-there")
            want = [("PUT", "ctl/k", "1", r1, None), ("DELETE", "ctl/k", "", r2, None),
                    ("PUT", "ctl/k", "t", r3, None)]
            wait_until(lambda: len(w.events()) >= start + 3, 10, what="etcdctl to print 3 events")
            time.sleep(0.3)
            self.assertEqual(w.events()[start:], want)
            self.assertIsNone(w.proc.poll(), "etcdctl watch exited: %s" % w.stderr())

    def test_etcdctl_watch_prefix_from_history_with_prev_kv(self):
        r1 = self.put("hist/a", "1")
        self.put("hist/b", "1")
        self.put("histX", "outside")
        self.put("hist/a", "2")
        self.c().delete("hist/b")
        with EtcdctlWatch(self.cluster, ["--prefix", "hist/", "--rev=%d" % r1, "--prev-kv"],
                          endpoint=2) as w:
            wait_until(lambda: len(w.events()) >= 4, 10, what="the history")
            r5 = self.put("hist/c", "live")
            wait_until(lambda: len(w.events()) >= 5, 10, what="the live event")
            time.sleep(0.3)
            self.assertEqual(w.events(), [
                ("PUT", "hist/a", "1", r1, None),
                ("PUT", "hist/b", "1", r1 + 1, None),
                ("PUT", "hist/a", "2", r1 + 3, "1"),
                ("DELETE", "hist/b", "", r1 + 4, "1"),
                ("PUT", "hist/c", "live", r5, None),
            ])

    def test_etcdctl_watch_from_a_compacted_revision_is_cancelled(self):
        r1 = self.put("cmp/ctl", "1")
        self.put("cmp/ctl", "2")
        r3 = self.put("cmp/ctl", "3")
        self.c().compact(r3)
        cp = self.cluster.etcdctl("watch", "cmp/ctl", "--rev=%d" % r1, check=False, timeout=20)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("required revision has been compacted", cp.stdout + cp.stderr)

    # ------------------------------------------------------------ python etcd3
    def test_python_watch_iterator_and_cancel(self):
        c = self.c(1)
        it, cancel = c.watch("py/w")
        r1 = c.put("py/w", "1").header.revision
        c.put("py/x", "ignored")
        r2 = c.delete("py/w", return_response=True).header.revision
        events, err = collect(it, 2, 10, cancel)
        cancel()
        self.assertIsNone(err)
        self.assertEqual([(type(e).__name__, e.key, e.mod_revision) for e in events],
                         [("PutEvent", b"py/w", r1), ("DeleteEvent", b"py/w", r2)])
        self.assertEqual(events[0].value, b"1")

    def test_python_watch_prefix_with_prev_kv(self):
        c = self.c(2)
        c.put("pp/a", "0")
        it, cancel = c.watch_prefix("pp/", prev_kv=True)
        c.put("pp/a", "1")
        c.put("pp0", "outside")
        c.put("pp/b", "1")
        events, err = collect(it, 2, 10, cancel)
        cancel()
        self.assertIsNone(err)
        self.assertEqual([(e.key, e.value) for e in events], [(b"pp/a", b"1"), (b"pp/b", b"1")])
        self.assertEqual(events[0].prev_value, b"0")

    def test_python_watch_once_live_and_from_history(self):
        c = self.c(0)
        r = c.put("once/k", "old").header.revision
        ev = c.watch_once("once/k", timeout=5, start_revision=r)
        self.assertEqual((ev.key, ev.value, ev.mod_revision), (b"once/k", b"old", r))
        got = {}

        def wait_once():
            try:
                got["ev"] = c.watch_once("once/k", timeout=10)
            except Exception as e:  # noqa: BLE001
                got["err"] = e
        t = threading.Thread(target=wait_once, daemon=True)
        t.start()
        for i in range(100):
            if not t.is_alive():
                break
            c.put("once/k", "new-%d" % i)
            t.join(0.1)
        t.join(10)
        self.assertNotIn("err", got)
        self.assertTrue(got["ev"].value.startswith(b"new-"))

    def test_python_add_watch_callback_and_cancel_watch(self):
        c = self.c(1)
        got = queue.Queue()
        watch_id = c.add_watch_callback("cb/k", got.put)
        r1 = c.put("cb/k", "1").header.revision
        resp = got.get(timeout=10)
        self.assertEqual([(e.key, e.value, e.mod_revision) for e in resp.events],
                         [(b"cb/k", b"1", r1)])
        self.assertGreaterEqual(resp.header.revision, r1)
        c.cancel_watch(watch_id)
        time.sleep(0.3)
        c.put("cb/k", "2")
        with self.assertRaises(queue.Empty):
            got.get(timeout=1)

    def test_python_watch_from_a_compacted_revision_raises(self):
        c = self.c(2)
        r1 = c.put("cmp/py", "1").header.revision
        c.put("cmp/py", "2")
        r3 = c.put("cmp/py", "3").header.revision
        c.compact(r3)
        it, cancel = c.watch("cmp/py", start_revision=r1)
        events, err = collect(it, 1, 10, cancel)
        self.assertEqual(events, [])
        self.assertIsInstance(err, etcd3.exceptions.RevisionCompactedError)
        self.assertEqual(err.compacted_revision, r3)
        # From the compacted revision itself the history is served (etcd: only below it fails).
        it, cancel = c.watch("cmp/py", start_revision=r3)
        events, err = collect(it, 1, 10, cancel)
        cancel()
        self.assertIsNone(err)
        self.assertEqual([(e.value, e.mod_revision) for e in events], [(b"3", r3)])

    # ------------------------------------------------------------ raw streams
    def test_raw_stream_ids_filters_cancel(self):
        with RawWatch(self.cluster.members[0].client_port) as w:
            w.send(create_request("raw/a"))
            w.send(create_request("raw/", prefix_end("raw/"),
                                  filters=[rpc.WatchCreateRequest.NOPUT]))
            w.send(create_request("raw/a", watch_id=7))
            w.send(create_request("raw/a", watch_id=7))   # Taken.
            w.send(create_request("raw/z", "raw/a"))      # Empty range.
            created = [w.next() for _ in range(5)]
            self.assertEqual([(r.watch_id, r.created, r.canceled) for r in created],
                             [(0, True, False), (1, True, False), (7, True, False),
                              (-1, True, True), (-1, True, True)])
            self.assertIn("duplicate watch ID", created[3].cancel_reason)
            self.assertIn("watcher range is empty", created[4].cancel_reason)
            self.assertGreater(created[0].header.revision, 0)
            r1 = self.put("raw/a", "1")
            r2 = self.c().delete("raw/a", return_response=True).header.revision
            got = {}
            for _ in range(10):  # 0: put, delete; 7: put, delete; 1 (NOPUT): delete; any order
                r = w.next()
                got.setdefault(r.watch_id, []).extend(event_tuples([r]))
                if sum(len(v) for v in got.values()) >= 5:
                    break
            self.assertEqual(got[0], [("PUT", "raw/a", "1", r1), ("DELETE", "raw/a", "", r2)])
            self.assertEqual(got[7], got[0])
            self.assertEqual(got[1], [("DELETE", "raw/a", "", r2)])
            w.send(cancel_request(7))
            r = w.next()
            self.assertEqual((r.watch_id, r.canceled), (7, True))
            w.send(cancel_request(7))  # Unknown now: etcd answers nothing.
            w.send(PROGRESS_REQUEST)
            r = w.next()
            self.assertEqual((r.watch_id, r.canceled, r.created, len(r.events)), (-1, False, False, 0))
            self.assertGreaterEqual(r.header.revision, r2)

    def test_progress_notifications_when_idle(self):
        c = self.c(0)
        got = queue.Queue()
        before = self.cluster.revision(0)
        watch_id = c.add_watch_callback("prog/k", got.put, progress_notify=True)
        try:
            t0 = time.monotonic()
            notes = []
            while time.monotonic() - t0 < 3.5 * PROGRESS_INTERVAL_S + 0.5:
                try:
                    notes.append((time.monotonic() - t0, got.get(timeout=0.2)))
                except queue.Empty:
                    pass
        finally:
            c.cancel_watch(watch_id)
        progress("progress notifications at %s s" % [round(t, 2) for t, _ in notes])
        self.assertGreaterEqual(len(notes), 2)
        for _, r in notes:
            self.assertEqual(r.events, [])
            self.assertGreaterEqual(r.header.revision, before)

    def test_no_event_lost_or_repeated_under_concurrent_writers(self):
        start = self.cluster.revision(2) + 1
        with RawWatch(self.cluster.members[2].client_port) as w:
            w.send(create_request("conc/", prefix_end("conc/"), start_revision=start))
            self.assertTrue(w.next().created)
            with Writers(self.cluster, "conc", threads=3, max_seconds=30) as writers:
                writers.wait_count(300, timeout=30)
            acked = writers.acked_keys()
            last = max(self.cluster.revision(i) for i in range(3))
            seen = []
            deadline = time.monotonic() + 30
            while (not seen or seen[-1][3] < last) and time.monotonic() < deadline:
                r = w.next(timeout=10)
                self.assertIsNotNone(r, "stream ended: %s" % (w.ended,))
                seen.extend(event_tuples([r]))
        keys = [k for _, k, _, _ in seen]
        revs = [rev for _, _, _, rev in seen]
        self.assertEqual(len(keys), len(set(keys)), "an event was repeated")
        self.assertEqual(revs, sorted(set(revs)), "events out of revision order")
        self.assertTrue(acked <= set(keys), "lost: %s" % sorted(acked - set(keys))[:5])
        self.assertTrue(all(k.startswith("conc/") for k in keys))
        progress("%d acknowledged writes from 3 threads, %d events, revisions %d..%d" % (
            len(acked), len(seen), revs[0], revs[-1]))

    def test_slow_watcher_does_not_slow_writes_and_catches_up(self):
        # On the leader, which answers the puts: its loop is the one that must not wait.
        li = self.cluster.wait_leader()
        c = self.c(li)
        value = "v" * 65536

        def timed_puts(prefix, n):
            lat = []
            for i in range(n):
                t = time.monotonic()
                c.put("%s/%04d" % (prefix, i), value)
                lat.append(time.monotonic() - t)
            return sorted(lat)

        def describe(lat):
            return "median %.1f ms, p99 %.1f ms, max %.1f ms" % (
                lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3, lat[-1] * 1e3)

        base = timed_puts("slowbase", 100)
        start = self.cluster.revision(li) + 1
        n = 400  # 26 MB: far beyond what a stream buffers before its client reads.
        with RawWatch(self.cluster.members[li].client_port, read=False) as w:
            w.send(create_request("slow/", prefix_end("slow/"), start_revision=start))
            loaded = timed_puts("slow", n)
            progress("64 KiB puts: alone %s; with a watcher that does not read %s" % (
                describe(base), describe(loaded)))
            self.assertLess(loaded[len(loaded) // 2], 2 * base[len(base) // 2] + 0.02)
            self.assertLess(loaded[int(len(loaded) * 0.99)], max(0.5, 4 * base[int(len(base) * 0.99)]))
            # The client reads again: every event arrives, in order, once.
            t0 = time.monotonic()
            w.start_reader()
            self.assertTrue(w.next().created)
            seen = []
            while len(seen) < n:
                r = w.next(timeout=20)
                self.assertIsNotNone(r, "stream ended: %s" % (w.ended,))
                self.assertFalse(r.canceled, r.cancel_reason)
                seen.extend(event_tuples([r]))
            progress("the slow watcher caught up with %d events (26 MB) in %.2f s" % (
                len(seen), time.monotonic() - t0))
        if not self.cluster.is_etcd:
            # It did fall behind (the client's transport buffers hold only a few MB), and was
            # fed from history afterwards.
            self.assertIn("its client reads too slowly", self.cluster.last_run_log(li))
        self.assertEqual([(k, rev) for _, k, _, rev in seen],
                         [("slow/%04d" % i, start + i) for i in range(n)])

    def test_slow_watcher_overtaken_by_compaction_is_cancelled_clearly(self):
        li = self.cluster.wait_leader()
        c = self.c(li)
        value = "v" * 65536
        start = self.cluster.revision(li) + 1
        n = 200
        with RawWatch(self.cluster.members[li].client_port, read=False) as w:
            w.send(create_request("slowc/", prefix_end("slowc/"), start_revision=start))
            for i in range(n):
                c.put("slowc/%04d" % i, value)
            last = c.put("slowc/last", "x").header.revision
            c.compact(last)
            w.start_reader()
            self.assertTrue(w.next().created)
            seen, end = [], None
            while True:
                r = w.next(timeout=20)
                self.assertIsNotNone(r, "stream ended: %s" % (w.ended,))
                if r.canceled:
                    end = r
                    break
                seen.extend(event_tuples([r]))
                if seen and seen[-1][3] == last:
                    break
        revs = [rev for _, _, _, rev in seen]
        self.assertEqual(revs, list(range(start, start + len(revs))), "a gap or a repeat")
        if end is None:
            progress("the slow watcher got all %d events before the compaction took them" % len(seen))
        else:
            progress("the slow watcher got %d events, then: canceled, compact_revision %d, %r" % (
                len(seen), end.compact_revision, end.cancel_reason))
            self.assertEqual(end.compact_revision, last)
            self.assertLess(revs[-1] if revs else start - 1, last)


class WatchFaultTest(ClusterTestCase, unittest.TestCase):
    """Each test starts its own cluster: members are killed and restarted."""

    def test_a_resume_across_restarts_of_the_member_serving_the_stream(self):
        with Cluster(3) as c:
            self._clusters_to_dump = [c]
            c.wait_leader()
            start = c.revision(0) + 1
            seen = []
            state = {"member": 0, "watch": None}

            def watch_on(i):
                next_rev = seen[-1][3] + 1 if seen else start
                w = RawWatch(c.members[i].client_port)
                w.send(create_request("rs/", prefix_end("rs/"), start_revision=next_rev))
                state["member"], state["watch"] = i, w
                progress("watching from revision %d on %s" % (next_rev, c.members[i].name))

            def drain(seconds):
                """Read for `seconds`; on a stream end, resume on the next live member."""
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    try:
                        r = state["watch"].next(timeout=0.2)
                    except AssertionError:
                        continue
                    if r is None:
                        progress("stream on %s ended: %s" % (c.members[state["member"]].name,
                                                             state["watch"].ended))
                        state["watch"].close()
                        live = [i for i in c.live_indexes() if i != state["member"]]
                        watch_on(live[0])
                        continue
                    if not r.created:
                        seen.extend(event_tuples([r]))

            watch_on(0)
            try:
                with Writers(c, "rs", threads=3, max_seconds=60) as writers:
                    drain(2)
                    progress("kill -9 %s, which serves the stream" % c.members[0].name)
                    c.kill(0, signal.SIGKILL)
                    drain(3)
                    c.restart(0)
                    drain(1)
                    served = state["member"]
                    progress("SIGTERM-restart of %s, which serves the stream" % c.members[served].name)
                    c.stop(served)
                    drain(3)
                    c.restart(served)
                    drain(1)
                acked = writers.acked_keys()
                last = c.wait_same_revision()
                deadline = time.monotonic() + 30
                while (not seen or seen[-1][3] < last) and time.monotonic() < deadline:
                    drain(0.5)
            finally:
                state["watch"].close()
            revs = [rev for _, _, _, rev in seen]
            keys = [k for _, k, _, _ in seen]
            progress("%d events over revisions %d..%d; %d writes acknowledged, %d failed" % (
                len(seen), start, last, len(acked), len(writers.errors)))
            # Only the writers write here: every revision is theirs, each seen once, in order.
            self.assertEqual(revs, list(range(start, last + 1)))
            self.assertEqual(len(keys), len(set(keys)))
            self.assertTrue(acked <= set(keys), "lost: %s" % sorted(acked - set(keys))[:5])

    def test_b_hasleader_stream_ends_when_the_member_loses_its_leader(self):
        with Cluster(3) as c:
            self._clusters_to_dump = [c]
            li = c.wait_leader()
            f = [i for i in range(3) if i != li][0]
            with RawWatch(c.members[f].client_port, metadata=HASLEADER) as w:
                w.send(create_request("hl/k"))
                self.assertTrue(w.next().created)
                for i in range(3):
                    if i != f:
                        c.kill(i, signal.SIGKILL)
                lost_at = time.monotonic()
                bound = 3 * c.election_timeout_ms / 1000.0 + 15
                r = w.next(timeout=bound)
                self.assertIsNone(r, "a response instead of the end: %s" % r)
                progress("the hasleader watch stream ended %.2f s after the leader was lost: %s" % (
                    time.monotonic() - lost_at, w.ended))
                self.assertEqual(w.ended[0], grpc.StatusCode.UNAVAILABLE)
                self.assertIn("no leader", w.ended[1])
            # A new one is refused at once; one without hasleader still works (serializable).
            with RawWatch(c.members[f].client_port, metadata=HASLEADER) as w:
                w.send(create_request("hl/k"))
                self.assertIsNone(w.next(timeout=10))
                self.assertEqual(w.ended[0], grpc.StatusCode.UNAVAILABLE)
                self.assertIn("etcdserver: no leader", w.ended[1])
            with RawWatch(c.members[f].client_port) as w:
                w.send(create_request("hl/k"))
                self.assertTrue(w.next(timeout=10).created)


if __name__ == "__main__":
    unittest.main()
