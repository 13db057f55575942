"""The status page every member serves at / (its HTML and script come from the binary), read
in a real browser (Debian's chromium, headless): it shows the member's view of the cluster, the
election and the lock etcdctl holds (holder, fencing token, TTL left), the alarms, and after the
leader is killed a surviving member's page names the new leader and the cause of the change. A
screenshot is kept in the build tree (e2e-artifacts/status-page.png).

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENT_BUILD_DIR=/path/to/build \\
       /usr/bin/python3 -m unittest -v test_status_page.py
"""

import base64
import html.parser
import json
import os
import shutil
import signal
import subprocess
import unittest
import urllib.request

from regent_cluster import ETCDCTL, Cluster, wait_until

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Dom(html.parser.HTMLParser):
    """The text of every element with an id, and the rows of each table body, from a dump."""

    def __init__(self, text):
        super().__init__()
        self.by_id, self.rows, self._open, self._row = {}, {}, [], None
        self._table = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
        if tag == "tr" and self._table:
            self._row = []
            self.rows.setdefault(self._table, []).append(self._row)
        if tag == "td" and self._row is not None:
            self._row.append("")
        self._open.append(a.get("id"))

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()
        if tag == "table":
            self._table, self._row = None, None

    def handle_data(self, data):
        for i in self._open:
            if i:
                self.by_id[i] = self.by_id.get(i, "") + data
        if self._row is not None and self._row:
            self._row[-1] += data


def browse(url, screenshot=None):
    """The page's DOM once its script has run (chromium's virtual time lets the fetches finish)."""
    cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--virtual-time-budget=4000"]
    if screenshot:
        cmd += ["--window-size=1200,800", "--screenshot=" + screenshot]
    else:
        cmd += ["--dump-dom"]
    cp = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=90)
    if cp.returncode != 0:
        raise AssertionError("chromium failed (%d): %s" % (cp.returncode, cp.stderr[-800:]))
    return Dom(cp.stdout) if not screenshot else None


def status(c, i):
    return json.loads(urllib.request.urlopen(c.members[i].client_url + "/regent/status",
                                             timeout=10).read())


class Holders:
    """`etcdctl elect` and `etcdctl lock` (running a sleep) in the background, each in a process
    group of its own, stopped by that group's id."""

    def __init__(self, endpoint):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        base = [ETCDCTL, "--endpoints=" + endpoint]
        self.procs = [
            subprocess.Popen(base + ["elect", "sp-election", "proposal-a"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True),
            subprocess.Popen(base + ["lock", "sp-lock", "sleep", "120"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)]

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)


class StatusPageTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.access(CHROMIUM, os.X_OK),
                        "chromium is missing: run scripts/install-deps.sh")

    def test_the_page_shows_the_cluster_and_the_new_leader_after_a_kill(self):
        with Cluster(3) as c:
            ids = {i: "%x" % int(c.status(i)["header"]["member_id"]) for i in range(3)}
            leader = c.leader_index()
            dom = browse(c.members[leader].client_url + "/")
            self.assertEqual(dom.by_id.get("leader"), ids[leader], dom.by_id)
            members = [r for r in dom.rows.get("members", []) if r]
            self.assertEqual(sorted(r[0] for r in members), sorted(ids.values()))
            roles = {r[0]: r[2] for r in members}
            self.assertEqual(roles[ids[leader]], "leader")
            self.assertEqual(sorted(roles.values()), ["follower", "follower", "leader"])
            lags = [r[4] for r in members if r[0] != ids[leader]]
            self.assertEqual(lags, ["0", "0"], members)
            self.assertEqual(dom.by_id.get("alarms"), "none", dom.by_id)

            survivor = (leader + 1) % 3
            holders = Holders(c.members[survivor].client_url)
            try:
                self.check_holders(c, leader)
            finally:
                holders.stop()

            c.kill(leader)
            new_leader = c.wait_leader(timeout=30, exclude=(leader,))
            self.assertNotEqual(new_leader, leader)

            def shows_new_leader():
                d = browse(c.members[survivor].client_url + "/")
                return d if d.by_id.get("leader") == ids[new_leader] else None
            dom = wait_until(shows_new_leader, timeout=30, interval=0.5,
                             what="the page to name the new leader")
            # Newest first: when, term, leader, previous, cause, elected after.
            history = [r for r in dom.rows.get("history", []) if r]
            self.assertGreaterEqual(len(history), 2, history)
            self.assertEqual(history[0][2], ids[new_leader], history)
            self.assertEqual(history[0][3], ids[leader], history)
            # kill -9 on this host: the survivors' transport finds the leader's port refusing
            # connections, and that is the cause the page gives.
            gone = "leader's process gone (peer connection refused)"
            self.assertEqual(history[0][4], gone, history)
            self.assertRegex(history[0][5], r"^\d+ ms$", history)
            self.assertEqual(history[-1][4], "the first leader this member knew since it started")
            # The same gap, as /metrics has it: one leaderless spell under that cause, less than
            # the test waited.
            metrics = urllib.request.urlopen(c.members[survivor].client_url + "/metrics",
                                             timeout=10).read().decode()
            values = dict(line.rsplit(" ", 1) for line in metrics.splitlines()
                          if line.startswith("regent_leader_gap_seconds_"))
            label = '{cause="leader_process_gone"}'
            self.assertEqual(float(values["regent_leader_gap_seconds_count" + label]), 1, values)
            self.assertGreater(float(values["regent_leader_gap_seconds_sum" + label]), 0)
            self.assertLess(float(values["regent_leader_gap_seconds_sum" + label]), 30)

            out_dir = os.path.join(os.environ.get("REGENT_BUILD_DIR") or c.dir, "e2e-artifacts")
            os.makedirs(out_dir, exist_ok=True)
            shot = os.path.join(out_dir, "status-page.png")
            browse(c.members[new_leader].client_url + "/", screenshot=shot)
            with open(shot, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertGreater(os.path.getsize(shot), 10_000)

    def test_a_silent_leader_and_a_transfer_are_named_as_such(self):
        with Cluster(3) as c:
            ids = {i: "%x" % int(c.status(i)["header"]["member_id"]) for i in range(3)}
            leader = c.leader_index()
            others = [i for i in range(3) if i != leader]
            wait_until(lambda: all(status(c, i)["leader"] == ids[leader] for i in range(3)),
                       timeout=20, what="every member to know the leader")

            def newest_change(i, led_by):
                changes = status(c, i)["leader_changes"]
                return changes[-1] if changes and changes[-1]["leader"] == ids[led_by] else None
            # SIGSTOP: the leader's connections stay open, so no member hears it is gone; each
            # follower finds it silent for an election timeout (its own timer, or a pre-vote it
            # granted, which Raft grants only then).
            c.pause(leader)
            try:
                new_leader = c.wait_leader(timeout=30, members=others, exclude=(leader,))
                for i in others:
                    change = wait_until(lambda: newest_change(i, new_leader), timeout=20,
                                        what="member %d to record the new leader" % i)
                    self.assertEqual(change["cause"], "election_timeout", change)
                    self.assertTrue(change["detail"].startswith(
                        "election timeout: no heartbeat from the leader"), change)
                    self.assertEqual(change["previous"], ids[leader], change)
            finally:
                c.resume(leader)
            # A transfer (etcdctl move-leader): every member, the old leader included, says so.
            target = next(i for i in others if i != new_leader)
            wait_until(lambda: c.leader_index() == new_leader and
                       newest_change(leader, new_leader), timeout=20,
                       what="the resumed member to follow the new leader")
            c.etcdctl("move-leader", ids[target], endpoint=new_leader)
            for i in range(3):
                change = wait_until(lambda: newest_change(i, target), timeout=20,
                                    what="member %d to record the transfer" % i)
                self.assertEqual((change["cause"], change["detail"]),
                                 ("transfer", "leadership transfer"), change)

    def check_holders(self, c, leader):
        """The election and the lock etcdctl holds, on the leader's page: holder, fencing token
        (the holder key's create revision, as the store has it) and TTL left."""
        def both_held():
            held = {h["name"]: h for h in status(c, leader)["held"]}
            return held if {"sp-election", "sp-lock"} <= set(held) else None
        held = wait_until(both_held, timeout=20, interval=0.3, what="etcdctl to hold both")
        for name, kind, value in (("sp-election", "election", "proposal-a"),
                                  ("sp-lock", "lock", "")):
            kvs = c.etcdctl_json("get", name + "/", "--prefix", endpoint=leader)["kvs"]
            self.assertEqual(len(kvs), 1, kvs)
            h = held[name]
            self.assertEqual(h["kind"], kind)
            self.assertEqual(h["holder_key"], name + "/" + h["lease"])
            self.assertEqual(h["holder_key"].encode(), base64.b64decode(kvs[0]["key"]))
            self.assertEqual(h["fencing_token"], int(kvs[0]["create_revision"]))
            self.assertEqual(h["holder_value"], value)
            self.assertGreater(h["ttl_left"], 0)
            self.assertLessEqual(h["ttl_left"], h["granted_ttl"])
        dom = browse(c.members[leader].client_url + "/")
        rows = {r[1]: r for r in dom.rows.get("held", []) if r}
        self.assertEqual(set(rows), {"sp-election", "sp-lock"}, dom.rows.get("held"))
        for name, h in held.items():
            kind, _, key, value, token, lease, ttl, candidates = rows[name]
            self.assertEqual((kind, key, value, token, lease, candidates),
                             (h["kind"], h["holder_key"], h["holder_value"],
                              str(h["fencing_token"]), h["lease"], "1"))
            self.assertTrue(ttl.isdigit() and 0 < int(ttl) <= h["granted_ttl"], rows[name])

    def test_the_status_json_says_what_the_page_shows(self):
        with Cluster(1) as c:
            s = status(c, 0)
            self.assertTrue(s["is_leader"])
            self.assertEqual(s["leader"], s["id"])
            self.assertEqual([m["name"] for m in s["members"]], ["n1"])
            self.assertEqual(s["followers"], [])
            self.assertGreaterEqual(len(s["leader_changes"]), 1)
            self.assertEqual(s["leader_changes"][0]["cause"], "started")
            self.assertEqual(s["alarms"], [])
            self.assertEqual(s["held"], [])


if __name__ == "__main__":
    unittest.main()
