"""A real Prometheus (Debian's `prometheus`, installed by scripts/install-deps.sh) scraping a
3-member cluster's client ports: every target is up, and queries over what it scraped answer as
an operator's dashboard would ask them (one leader, three members that know it, round trips to
each peer from each member).

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_prometheus.py
"""

import json
import os
import shutil
import subprocess
import unittest
import urllib.parse
import urllib.request

from regent_cluster import Cluster, free_ports, wait_until

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


class Prometheus:
    """One prometheus process on 127.0.0.1 with its config and storage under `directory`,
    scraping `targets` (host:port) every second; stopped by pid."""

    def __init__(self, directory, targets):
        self.port = free_ports(1)[0]
        os.makedirs(directory, exist_ok=True)
        config = os.path.join(directory, "prometheus.yml")
        with open(config, "w") as f:
            # JSON is YAML: no YAML writer needed.
            json.dump({"global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
                       "scrape_configs": [{"job_name": "regent",
                                           "static_configs": [{"targets": targets}]}]}, f)
        self.log_path = os.path.join(directory, "prometheus.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [PROMETHEUS, "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(directory, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port],
                stdout=log, stderr=subprocess.STDOUT)

    def query(self, expr):
        """The result vector of an instant query, [] while Prometheus is not answering yet."""
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": expr}))
        try:
            reply = json.loads(urllib.request.urlopen(url, timeout=5).read())
        except OSError:
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited: " + self.log_tail())
            return []
        return reply["data"]["result"] if reply.get("status") == "success" else []

    def log_tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class PrometheusTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.access(PROMETHEUS, os.X_OK),
                        "prometheus is missing: run scripts/install-deps.sh")

    def test_prometheus_scrapes_every_member(self):
        with Cluster(3) as c:
            c.wait_healthy()
            targets = ["127.0.0.1:%d" % m.client_port for m in c.members]
            prom = Prometheus(os.path.join(c.dir, "prometheus"), targets)
            try:
                def all_up():
                    up = prom.query("up")
                    return up if (len(up) == 3 and
                                  all(s["value"][1] == "1" for s in up)) else None
                up = wait_until(all_up, timeout=60, interval=0.5,
                                what="Prometheus to scrape all three members")
                self.assertEqual(sorted(s["metric"]["instance"] for s in up), sorted(targets))

                has_leader = prom.query("etcd_server_has_leader")
                self.assertEqual(len(has_leader), 3, has_leader)
                self.assertTrue(all(s["value"][1] == "1" for s in has_leader), has_leader)
                self.assertEqual(prom.query("sum(etcd_server_is_leader)")[0]["value"][1], "1")
                # Each member's round trips to each of its two peers, labelled as etcd does.
                rtt = wait_until(
                    lambda: (lambda r: r if len(r) == 6 else None)(
                        prom.query("etcd_network_peer_round_trip_time_seconds_count > 0")),
                    timeout=30, interval=0.5, what="round trips to every peer")
                self.assertEqual(len({(s["metric"]["instance"], s["metric"]["To"])
                                      for s in rtt}), 6)
            finally:
                prom.stop()
            self.assertIsNotNone(prom.proc.returncode)


if __name__ == "__main__":
    unittest.main()
