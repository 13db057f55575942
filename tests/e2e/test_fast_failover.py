"""Early campaigns when the leader's process is gone (--campaign-on-leader-down).

A follower whose connection to the leader breaks, and whose reconnect is refused, campaigns at
once; a leader that hangs (SIGSTOP) still takes a whole election timeout to replace, and with the
flag off a killed one does too. The election timeout is 2 s here so the difference is plain.

Run: cd tests/e2e && REGENTD=/path/to/regentd /usr/bin/python3 -m unittest -v test_fast_failover.py
"""

import signal
import time
import unittest

from regent_cluster import Cluster, Writers, progress, wait_until

ELECTION_MS = 2000
EARLY_LOG = "is down: dropping its lease, campaigning early"
# Followers count the timeout from the last heartbeat, up to a heartbeat (100 ms) before the fault.
WAITED_OUT_S = ELECTION_MS / 1000 - 0.2


class FastFailoverTest(unittest.TestCase):

    def writes_resume_after(self, c, w, fault):
        """Applies `fault` to the leader under write load; seconds until a write started after
        it is acknowledged, and the leader's index."""
        w.wait_count(50)
        li = c.leader_index()
        self.assertIsNotNone(li)
        fault(li)
        t_fault = time.monotonic()
        wait_until(lambda: w.first_ack_started_after(t_fault), 15,
                   what="a write sent after the fault to be acknowledged")
        return w.first_ack_started_after(t_fault) - t_fault, li

    def early_campaign_logged(self, c, members):
        return any(EARLY_LOG in c.log(i) for i in members)

    def test_killed_leader_is_replaced_well_within_an_election_timeout(self):
        with Cluster(3, election_timeout=ELECTION_MS) as c:
            with Writers(c, "fast", threads=3) as w:
                gap, li = self.writes_resume_after(c, w, lambda i: c.kill(i, signal.SIGKILL))
                progress("writes resumed %.3fs after kill -9 of the leader" % gap)
                others = [j for j in range(c.size) if j != li]
                self.assertTrue(self.early_campaign_logged(c, others), c.dump_logs())
                self.assertLess(gap, ELECTION_MS / 1000 / 2)
                c.wait_leader(members=others, exclude=(li,))

    def test_hung_leader_still_waits_out_the_election_timeout(self):
        with Cluster(3, election_timeout=ELECTION_MS) as c:
            with Writers(c, "hung", threads=3) as w:
                paused = []

                def pause(i):
                    c.pause(i)
                    paused.append(i)
                try:
                    gap, li = self.writes_resume_after(c, w, pause)
                    progress("writes resumed %.3fs after SIGSTOP of the leader" % gap)
                    others = [j for j in range(c.size) if j != li]
                    # Its connections stay open: nothing tells the followers it is gone.
                    self.assertFalse(self.early_campaign_logged(c, others))
                    self.assertGreaterEqual(gap, WAITED_OUT_S)
                finally:
                    for i in paused:
                        c.resume(i)
            # The resumed old leader rejoins as a follower of the new one.
            c.wait_healthy()

    def test_with_the_flag_off_a_killed_leader_waits_out_the_election_timeout(self):
        with Cluster(3, election_timeout=ELECTION_MS, campaign_on_leader_down="false") as c:
            with Writers(c, "slow", threads=3) as w:
                gap, li = self.writes_resume_after(c, w, lambda i: c.kill(i, signal.SIGKILL))
                progress("flag off: writes resumed %.3fs after kill -9 of the leader" % gap)
                others = [j for j in range(c.size) if j != li]
                self.assertFalse(self.early_campaign_logged(c, others))
                self.assertGreaterEqual(gap, WAITED_OUT_S)


if __name__ == "__main__":
    unittest.main()
