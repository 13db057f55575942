"""The status page every member serves at / (its HTML and script come from the binary), read
in a real browser (Debian's chromium, headless): it shows the member's view of the cluster, and
after the leader is killed a surviving member's page names the new leader and lists the leader
changes it saw. A screenshot is kept in the build tree (e2e-artifacts/status-page.png).

Run: cd tests/e2e && REGENTD=/path/to/regentd REGENT_BUILD_DIR=/path/to/build \\
       /usr/bin/python3 -m unittest -v test_status_page.py
"""

import html.parser
import os
import shutil
import subprocess
import unittest

from regent_cluster import Cluster, wait_until

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
            self._table = None

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

            c.kill(leader)
            survivor = (leader + 1) % 3
            new_leader = c.wait_leader(timeout=30, exclude=(leader,))
            self.assertNotEqual(new_leader, leader)

            def shows_new_leader():
                d = browse(c.members[survivor].client_url + "/")
                return d if d.by_id.get("leader") == ids[new_leader] else None
            dom = wait_until(shows_new_leader, timeout=30, interval=0.5,
                             what="the page to name the new leader")
            history = [r for r in dom.rows.get("history", []) if r]
            self.assertGreaterEqual(len(history), 2, history)
            self.assertEqual(history[0][2], ids[new_leader], history)
            # The same gap, as /metrics has it: one leaderless spell, less than the test waited.
            import urllib.request
            metrics = urllib.request.urlopen(c.members[survivor].client_url + "/metrics",
                                             timeout=10).read().decode()
            values = dict(line.rsplit(" ", 1) for line in metrics.splitlines()
                          if line.startswith("regent_leader_gap_seconds_"))
            self.assertGreaterEqual(float(values["regent_leader_gap_seconds_count"]), 1)
            self.assertGreater(float(values["regent_leader_gap_seconds_sum"]), 0)
            self.assertLess(float(values["regent_leader_gap_seconds_sum"]), 30)

            out_dir = os.path.join(os.environ.get("REGENT_BUILD_DIR") or c.dir, "e2e-artifacts")
            os.makedirs(out_dir, exist_ok=True)
            shot = os.path.join(out_dir, "status-page.png")
            browse(c.members[new_leader].client_url + "/", screenshot=shot)
            with open(shot, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertGreater(os.path.getsize(shot), 10_000)

    def test_the_status_json_says_what_the_page_shows(self):
        with Cluster(1) as c:
            import json
            import urllib.request
            s = json.loads(urllib.request.urlopen(c.members[0].client_url + "/regent/status",
                                                  timeout=10).read())
            self.assertTrue(s["is_leader"])
            self.assertEqual(s["leader"], s["id"])
            self.assertEqual([m["name"] for m in s["members"]], ["n1"])
            self.assertEqual(s["followers"], [])
            self.assertGreaterEqual(len(s["leader_changes"]), 1)


if __name__ == "__main__":
    unittest.main()
