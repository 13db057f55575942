"""End-to-end test harness: a cluster of real regentd (or etcd) processes on 127.0.0.1.

The binary is named by $REGENTD. When its basename is "etcd" the harness runs real etcd 3.4
with the same flags (to validate the tests themselves); `Cluster.is_etcd` then lets tests skip
the assertions that only hold for Regent.

Every process the harness starts is stopped by pid in `close()` and, as a last resort, by an
atexit hook; members are also started under `setpriv --pdeathsig KILL` (when available) so
that they die with the test process even if it is SIGKILLed (e.g. by a ctest timeout).
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
SETPRIV = shutil.which("setpriv")

# Never route loopback traffic through a proxy (grpc-go and grpc-python both honour *_proxy).
for _var in ("no_proxy", "NO_PROXY"):
    _cur = os.environ.get(_var, "")
    os.environ[_var] = ",".join(x for x in (_cur, "127.0.0.1,localhost") if x)


def progress(msg):
    """A progress line for long steps (stderr, so unittest -v output stays readable)."""
    sys.stderr.write("  [e2e %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def scratch_dir(prefix):
    """A fresh directory under $REGENT_E2E_TMP (created if a fresh build has none yet) or /tmp."""
    base = os.environ.get("REGENT_E2E_TMP") or "/tmp"
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def regentd_binary():
    path = os.environ.get("REGENTD")
    if not path:
        raise RuntimeError(
            "REGENTD is not set: export REGENTD=/path/to/regentd (or a real etcd 3.4 binary "
            "to validate the tests) before running the e2e tests")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError("REGENTD=%r is not an executable file" % path)
    return os.path.abspath(path)


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (all sockets held open until every port is picked)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_until(pred, timeout, interval=0.1, what="condition"):
    """Poll pred() until it returns a truthy value (returned) or timeout seconds pass (raises).

    Bounded both in time and in the number of polls."""
    deadline = time.monotonic() + timeout
    max_polls = int(timeout / interval) + 10
    last_exc = None
    for _ in range(max_polls):
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - remembered for the error message
            last_exc = e
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s%s" % (
        timeout, what, "" if last_exc is None else " (last error: %r)" % (last_exc,)))


# Every live process started by any Cluster, so the atexit hook can stop them.
_LIVE = {}
_LIVE_LOCK = threading.Lock()


def _kill_pid(proc):
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGCONT)  # a SIGSTOPped process must be resumed to die cleanly
    except ProcessLookupError:
        pass
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


@atexit.register
def _kill_all_live():
    with _LIVE_LOCK:
        procs = list(_LIVE.values())
        _LIVE.clear()
    for p in procs:
        _kill_pid(p)


class Member:
    def __init__(self, index, name, client_port, peer_port, data_dir, log_path,
                 client_scheme="http", peer_scheme="http"):
        self.index = index
        self.client_scheme = client_scheme  # "https": the cluster serves clients over TLS
        self.peer_scheme = peer_scheme
        self.name = name
        self.client_port = client_port
        self.peer_port = peer_port
        self.data_dir = data_dir
        self.log_path = log_path
        self.proc = None
        self.paused = False
        self.member_id = None  # learnt from Maintenance Status (stable across restarts)
        # A member added to the running cluster (Cluster.add_member): started with
        # --initial-cluster-state existing and this --initial-cluster.
        self.joins_with = None

    @property
    def client_url(self):
        return "%s://127.0.0.1:%d" % (self.client_scheme, self.client_port)

    @property
    def peer_url(self):
        return "%s://127.0.0.1:%d" % (self.peer_scheme, self.peer_port)

    def running(self):
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """A cluster of `size` members started with etcd-style flags.

    Extra keyword flags become command-line flags: snapshot_count=100 -> --snapshot-count 100,
    client_cert_auth=True -> --client-cert-auth. `binary` overrides $REGENTD (a test that runs
    etcd 3.4 beside Regent). `client_scheme`/`peer_scheme` "https" give the members https:// URLs
    (the TLS flags come with **flags); `etcdctl_tls` holds the TLS flags every etcdctl call gets,
    and `member_flags[i]` flags for member i alone (they override the cluster's).
    """

    def __init__(self, size=3, binary=None, client_scheme="http", peer_scheme="http", **flags):
        self.client_scheme = client_scheme
        self.peer_scheme = peer_scheme
        self.etcdctl_tls = []
        self.member_flags = {}
        self.binary = os.path.abspath(binary) if binary else regentd_binary()
        self.is_etcd = os.path.basename(self.binary) == "etcd"
        self.size = size
        self.flags = {"heartbeat_interval": 100, "election_timeout": 1000}
        self.flags.update(flags)
        self.election_timeout_ms = int(self.flags["election_timeout"])
        self.dir = scratch_dir("regent-e2e-")
        self.token = "regent-e2e-%d-%d" % (os.getpid(), int(time.time() * 1000))
        ports = free_ports(2 * size)
        self.members = []
        for i in range(size):
            mdir = os.path.join(self.dir, "n%d" % (i + 1))
            os.makedirs(mdir)
            self.members.append(Member(i, "n%d" % (i + 1), ports[2 * i], ports[2 * i + 1],
                                       os.path.join(mdir, "data"), os.path.join(mdir, "log.txt"),
                                       client_scheme, peer_scheme))
        self.initial_cluster = ",".join("%s=%s" % (m.name, m.peer_url) for m in self.members)
        self.closed = False

    # ------------------------------------------------------------------ processes
    def command(self, i):
        m = self.members[i]
        cmd = [self.binary,
               "--name", m.name,
               "--data-dir", m.data_dir,
               "--listen-client-urls", m.client_url,
               "--advertise-client-urls", m.client_url,
               "--listen-peer-urls", m.peer_url,
               "--initial-advertise-peer-urls", m.peer_url,
               "--initial-cluster", m.joins_with or self.initial_cluster,
               "--initial-cluster-token", self.token,
               "--initial-cluster-state", "existing" if m.joins_with else "new"]
        flags = dict(self.flags)
        flags.update(self.member_flags.get(i, {}))
        for k, v in sorted(flags.items()):
            if v is True:
                cmd.append("--" + k.replace("_", "-"))  # A boolean flag, as etcd's --auto-tls.
            elif v is not None:
                cmd += ["--" + k.replace("_", "-"), str(v)]
        return cmd

    def environment(self, i):
        """Member i's environment; None inherits the test's. A subclass may configure a member
        through ETCD_* variables instead of flags."""
        return None

    def _spawn(self, i):
        m = self.members[i]
        assert not m.running(), "member %d is already running" % i
        cmd = self.command(i)
        if SETPRIV:
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + cmd
        with open(m.log_path, "ab") as log:
            log.write(("\n==== %s start: %s\n" % (time.strftime("%H:%M:%S"), " ".join(cmd))).encode())
            log.flush()
            m.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT, cwd=os.path.dirname(m.log_path),
                                      env=self.environment(i))
        m.paused = False
        with _LIVE_LOCK:
            _LIVE[m.proc.pid] = m.proc

    def _reap(self, m):
        with _LIVE_LOCK:
            _LIVE.pop(m.proc.pid, None)

    def start(self, timeout=20):
        for i in range(self.size):
            self._spawn(i)
        self.wait_healthy(timeout=timeout)
        return self

    def add_member(self, initial_cluster_members=None):
        """A new member slot (fresh ports and data directory), not started: its --initial-cluster
        names `initial_cluster_members` (indexes; default every member whose process runs) and
        itself, as etcd's `member add` prints it. Returns its index."""
        i = len(self.members)
        client_port, peer_port = free_ports(2)
        mdir = os.path.join(self.dir, "n%d" % (i + 1))
        os.makedirs(mdir)
        m = Member(i, "n%d" % (i + 1), client_port, peer_port, os.path.join(mdir, "data"),
                   os.path.join(mdir, "log.txt"), self.client_scheme, self.peer_scheme)
        if initial_cluster_members is None:
            initial_cluster_members = [x.index for x in self.members if x.running()]
        others = [self.members[j] for j in initial_cluster_members]
        m.joins_with = ",".join("%s=%s" % (x.name, x.peer_url) for x in others + [m])
        self.members.append(m)
        return i

    def spawn(self, i):
        """Start member i with the current flags, without waiting for anything."""
        self._spawn(i)

    def run_until_exit(self, i, timeout=20):
        """Start member i with the current flags and wait for it to exit by itself; returns its exit
        status and the log of that run, or (None, log) if it was still running after `timeout` (then
        it is killed by pid)."""
        m = self.members[i]
        self._spawn(i)
        try:
            rc = m.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_pid(m.proc)
            rc = None
        self._reap(m)
        return rc, self.last_run_log(i)

    def kill(self, i, sig=signal.SIGKILL):
        """Send `sig` to member i; for SIGKILL also wait for it to be gone."""
        m = self.members[i]
        if not m.running():
            return m.proc.returncode if m.proc else None
        if sig == signal.SIGKILL:
            _kill_pid(m.proc)
            self._reap(m)
            m.paused = False
            return m.proc.returncode
        os.kill(m.proc.pid, sig)
        return None

    def stop(self, i, timeout=20):
        """SIGTERM member i and wait for it to exit; returns its exit status (SIGKILL after timeout)."""
        m = self.members[i]
        if not m.running():
            return m.proc.returncode if m.proc else None
        if m.paused:
            self.resume(i)
        os.kill(m.proc.pid, signal.SIGTERM)
        try:
            rc = m.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_pid(m.proc)
            rc = "timeout"
        self._reap(m)
        return rc

    def restart(self, i, wait=True, timeout=20):
        """Start member i again with the same command line (its data dir holds its state)."""
        m = self.members[i]
        if m.running():
            self.stop(i)
        self._spawn(i)
        if wait:
            self.wait_member_ready(i, timeout=timeout)

    def pause(self, i):
        m = self.members[i]
        os.kill(m.proc.pid, signal.SIGSTOP)
        m.paused = True

    def resume(self, i):
        m = self.members[i]
        os.kill(m.proc.pid, signal.SIGCONT)
        m.paused = False

    def alive(self, i):
        return self.members[i].running()

    def close(self, keep=False):
        """Stop every process (by pid) and remove the data dirs; logs are kept when keep=True."""
        if self.closed:
            return
        self.closed = True
        for m in self.members:
            if m.proc is not None:
                _kill_pid(m.proc)
                self._reap(m)
        if keep:
            progress("cluster files kept in %s" % self.dir)
            for m in self.members:
                shutil.rmtree(m.data_dir, ignore_errors=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.dump_logs()
            self.close(keep=True)
            raise

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not self.closed:
            self.dump_logs()
        self.close(keep=exc_type is not None)

    def log(self, i):
        """Member i's log (stdout+stderr of every run, each run starting with a '==== ' line)."""
        try:
            with open(self.members[i].log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def last_run_log(self, i):
        """Member i's log since its latest (re)start."""
        text = self.log(i)
        cut = text.rfind("\n==== ")
        return text if cut < 0 else text[cut:]

    def log_tail(self, i, lines=40):
        return "\n".join(self.log(i).splitlines()[-lines:])

    def dump_logs(self, lines=40):
        for i, m in enumerate(self.members):
            sys.stderr.write("---- tail of %s (%s)\n%s\n" % (m.name, m.log_path, self.log_tail(i, lines)))

    # ------------------------------------------------------------------ clients
    @property
    def endpoints(self):
        return [m.client_url for m in self.members]

    def live_endpoints(self):
        """Client URLs of members that are running and not paused."""
        return [m.client_url for m in self.members if m.running() and not m.paused]

    def _endpoint_arg(self, endpoint):
        if endpoint is None:
            eps = self.live_endpoints()
        elif isinstance(endpoint, int):
            eps = [self.members[endpoint].client_url]
        elif isinstance(endpoint, str):
            eps = [endpoint]
        else:
            eps = [self.members[e].client_url if isinstance(e, int) else e for e in endpoint]
        return ",".join(eps)

    def etcdctl(self, *args, endpoint=None, check=True, input=None, timeout=30,
                command_timeout="5s"):
        """Run etcdctl (API v3) against `endpoint` (index, URL, list, or None = every live member)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        cmd = [ETCDCTL, "--endpoints=" + self._endpoint_arg(endpoint),
               "--command-timeout=" + command_timeout, "--dial-timeout=2s"] + self.etcdctl_tls + \
            [str(a) for a in args]
        if isinstance(input, str):
            input = input.encode()
        try:
            cp = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("etcdctl %s did not return within %ss" % (" ".join(cmd[1:]), timeout)) from e
        cp.stdout = cp.stdout.decode("utf-8", "replace")
        cp.stderr = cp.stderr.decode("utf-8", "replace")
        if check and cp.returncode != 0:
            raise AssertionError("etcdctl %s failed (exit %d)\nstdout: %s\nstderr: %s" % (
                " ".join(cmd[1:]), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def etcdctl_json(self, *args, **kw):
        return json.loads(self.etcdctl(*(list(args) + ["-w", "json"]), **kw).stdout)

    def status(self, i, timeout=30):
        """Maintenance Status of member i as a dict (etcdctl endpoint status -w json)."""
        st = self.etcdctl_json("endpoint", "status", endpoint=i, timeout=timeout)[0]["Status"]
        # etcdctl's json output omits zero-valued fields (e.g. "leader" when there is none).
        for k in ("leader", "raftTerm", "raftIndex", "raftAppliedIndex", "dbSize", "dbSizeInUse"):
            st.setdefault(k, 0)
        for k in ("member_id", "revision", "raft_term"):
            st.setdefault("header", {}).setdefault(k, 0)
        mid = st["header"]["member_id"]
        if self.members[i].member_id is None:
            self.members[i].member_id = mid
        return st

    def statuses(self, members=None):
        """{index: status} of the given (default: every live, unpaused) member; unreachable ones are left out."""
        out = {}
        for i in (members if members is not None else self.live_indexes()):
            try:
                out[i] = self.status(i)
            except AssertionError:
                pass
        return out

    def live_indexes(self):
        return [m.index for m in self.members if m.running() and not m.paused]

    def index_of_member_id(self, member_id):
        for m in self.members:
            if m.member_id == member_id:
                return m.index
        return None

    def member_ids(self):
        """Member ids of all members (needs each to have answered Status once)."""
        missing = [m.index for m in self.members if m.member_id is None and m.running()]
        if missing:
            self.statuses(missing)
        return [m.member_id for m in self.members]

    def leader_index(self, members=None):
        """Index of the leader agreed on by every reachable member asked, or None."""
        sts = self.statuses(members)
        leaders = {st["leader"] for st in sts.values()}
        if len(sts) == 0 or len(leaders) != 1 or 0 in leaders:
            return None
        lid = leaders.pop()
        self.member_ids()
        return self.index_of_member_id(lid)

    def wait_leader(self, timeout=20, members=None, exclude=()):
        """Wait until the asked members agree on a leader (not in `exclude`); returns its index."""
        def pred():
            li = self.leader_index(members)
            return (li,) if li is not None and li not in exclude else None
        return wait_until(pred, timeout, interval=0.2, what="a leader")[0]

    def health(self, i):
        cp = self.etcdctl("endpoint", "health", endpoint=i, check=False, timeout=15,
                          command_timeout="3s")
        return cp.returncode == 0 and "is healthy" in (cp.stdout + cp.stderr)

    def wait_member_ready(self, i, timeout=20):
        wait_until(lambda: self._check_alive(i) and self.health(i), timeout, interval=0.2,
                   what="member %s to be healthy" % self.members[i].name)
        self.status(i)

    def _check_alive(self, i):
        if not self.members[i].running():
            raise AssertionError("member %s exited with %s; log tail:\n%s" % (
                self.members[i].name, self.members[i].proc.returncode, self.log_tail(i)))
        return True

    def wait_healthy(self, timeout=20):
        """Every running member answers a linearizable read, and all agree on a leader."""
        deadline = time.monotonic() + timeout
        for i in self.live_indexes():
            self.wait_member_ready(i, timeout=max(1.0, deadline - time.monotonic()))
        return self.wait_leader(timeout=max(1.0, deadline - time.monotonic()))

    def revision(self, i):
        return self.status(i)["header"]["revision"]

    def wait_same_revision(self, members=None, timeout=20):
        """Wait until the given members (default: all live) report the same store revision; returns it."""
        idx = members if members is not None else self.live_indexes()

        def pred():
            revs = {i: self.revision(i) for i in idx}
            return (revs[idx[0]],) if len(set(revs.values())) == 1 else None
        return wait_until(pred, timeout, interval=0.2, what="members %s to reach the same revision" % (idx,))[0]

    def hashkv(self, i, rev=0):
        """HashKV of member i at revision rev (0 = its latest): dict with hash, compact_revision, header."""
        h = self.etcdctl_json("endpoint", "hashkv", "--rev=%d" % rev, endpoint=i)[0]["HashKV"]
        h.setdefault("hash", 0)
        h.setdefault("compact_revision", 0)
        h.setdefault("header", {}).setdefault("revision", 0)
        return h

    def keys(self, i, prefix, serializable=True):
        """Keys under prefix on member i (serializable by default: exactly what member i holds)."""
        args = ["get", prefix, "--prefix", "--keys-only"]
        if serializable:
            args.append("--consistency=s")
        out = self.etcdctl(*args, endpoint=i, timeout=60, command_timeout="30s").stdout
        return set(line for line in out.splitlines() if line)


def client_module():
    """The python etcd3 client (Debian python3-etcd3, under /usr/bin/python3)."""
    import etcd3  # noqa: F401
    return etcd3


class LineProcess:
    """A process a test starts (a client, a worker) whose output lines are collected as they
    arrive, with their monotonic times. It dies with the test (setpriv), and stop() kills it by
    pid."""

    def __init__(self, cmd, env=None):
        if SETPRIV:
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--"] + list(cmd)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=env)
        with _LIVE_LOCK:
            _LIVE[self.proc.pid] = self.proc
        self._lock = threading.Lock()
        self._lines = []  # (monotonic time, line)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self._lines.append((time.monotonic(), line.rstrip("\n")))

    def timed_lines(self):
        with self._lock:
            return list(self._lines)

    def output(self):
        return [line for _, line in self.timed_lines()]

    def interrupt(self, timeout=10):
        """SIGINT, as Ctrl-C would; then stop() if it has not exited within `timeout`."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.stop()

    def stop(self):
        _kill_pid(self.proc)
        with _LIVE_LOCK:
            _LIVE.pop(self.proc.pid, None)
        self._reader.join(timeout=5)
        self.proc.stdout.close()


class ClusterTestCase:
    """Mixin for unittest.TestCase: remembers failures so the cluster's logs are kept and shown.

    A class whose tests share one cluster calls start_shared_cluster() in setUpClass and
    stop_shared_cluster() in tearDownClass; `cls.clients` then holds one python etcd3 client per
    member when asked for.
    """

    failed = False
    cluster = None
    clients = []

    @classmethod
    def start_shared_cluster(cls, with_clients=False, **flags):
        described = " ".join("--%s %s" % (k.replace("_", "-"), v) for k, v in sorted(flags.items()))
        progress("starting a 3-member cluster" + (" with " + described if described else ""))
        cls.start_own_cluster(Cluster(3, **flags))
        if with_clients:
            etcd3 = client_module()
            cls.clients = [etcd3.client("127.0.0.1", m.client_port, timeout=10)
                           for m in cls.cluster.members]

    @classmethod
    def start_own_cluster(cls, cluster, start=None):
        """Shares `cluster`, made by the class (its own flags, schemes, per-member flags), and
        starts it with `start(cluster)` (default: cluster.start()); on failure its logs are shown
        and kept, and its processes stopped."""
        cls.cluster = cluster
        try:
            (start or Cluster.start)(cluster)
        except BaseException:
            cluster.dump_logs()
            cluster.close(keep=True)
            raise

    @classmethod
    def stop_shared_cluster(cls):
        for c in cls.clients:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        cls.clients = []
        if cls.cluster is not None:
            cls.cluster.close(keep=cls.failed)

    def run(self, result=None):
        before = (len(result.failures), len(result.errors)) if result is not None else (0, 0)
        out = super().run(result)
        if result is not None and (len(result.failures), len(result.errors)) != before:
            type(self).failed = True
            for c in getattr(self, "_clusters_to_dump", []) + [getattr(type(self), "cluster", None)]:
                if c is not None and not c.closed:
                    c.dump_logs()
        return out


class Writers:
    """Client threads that keep writing unique keys; a key is recorded only once acknowledged.

    Each thread puts PREFIX/<thread>/<seq> through the python etcd3 client (per-call timeout),
    moving on to the next live member after an error. Bounded by max_writes per thread and by
    max_seconds. Use as a context manager, or start() / stop().
    """

    def __init__(self, cluster, prefix, threads=3, timeout=2.0, max_writes=20000, max_seconds=60):
        self.cluster = cluster
        self.prefix = prefix
        self.n = threads
        self.timeout = timeout
        self.max_writes = max_writes
        self.max_seconds = max_seconds
        self.lock = threading.Lock()
        self.acked = set()
        self.acks = []  # (start, end, key) of every acknowledged put, monotonic times
        self.errors = []  # (time, member index, repr(exception))
        self._stop = threading.Event()
        self._threads = []

    def start(self):
        for t in range(self.n):
            th = threading.Thread(target=self._run, args=(t,), name="writer-%d" % t, daemon=True)
            th.start()
            self._threads.append(th)
        return self

    def stop(self):
        self._stop.set()
        for th in self._threads:
            th.join(timeout=self.timeout + 10)
        stuck = [th.name for th in self._threads if th.is_alive()]
        if stuck:
            raise AssertionError("writer threads did not stop: %s" % stuck)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def count(self):
        with self.lock:
            return len(self.acked)

    def acked_keys(self):
        with self.lock:
            return set(self.acked)

    def first_ack_started_after(self, t):
        """End time of the first acknowledged put that was *sent* after monotonic time t, or None."""
        with self.lock:
            ends = [e for (s, e, _) in self.acks if s > t]
        return min(ends) if ends else None

    def wait_count(self, n, timeout=15):
        wait_until(lambda: self.count() >= n, timeout, what="%d acknowledged writes (have %d)" % (n, self.count()))

    def _run(self, t):
        etcd3 = client_module()
        clients = {}
        idx = t % self.cluster.size
        deadline = time.monotonic() + self.max_seconds
        try:
            for seq in range(self.max_writes):
                if self._stop.is_set() or time.monotonic() > deadline:
                    break
                live = self.cluster.live_indexes()
                if not live:
                    time.sleep(0.05)
                    continue
                if idx not in live:
                    idx = live[seq % len(live)]
                if idx not in clients:
                    m = self.cluster.members[idx]
                    clients[idx] = etcd3.client("127.0.0.1", m.client_port, timeout=self.timeout)
                key = "%s/%d/%07d" % (self.prefix, t, seq)
                start = time.monotonic()
                try:
                    clients[idx].put(key, "value-%d-%d" % (t, seq))
                except Exception as e:  # noqa: BLE001 - any failure: not acknowledged
                    with self.lock:
                        self.errors.append((start, idx, repr(e)[:200]))
                    live = self.cluster.live_indexes()
                    if live:
                        idx = live[(live.index(idx) + 1) % len(live)] if idx in live else live[0]
                    time.sleep(0.02)
                    continue
                end = time.monotonic()
                with self.lock:
                    self.acked.add(key)
                    self.acks.append((start, end, key))
        finally:
            for c in clients.values():
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass
