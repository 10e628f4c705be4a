"""CPU accounting and process lookup for one server under benchmark.

    meter = CpuMeter("postfix")     # a cgroup of its own when possible
    with meter.member():            # processes started in here (and all
        start_the_server()          # their descendants) are accounted
    meter.usage()                   # CPU seconds used so far (float)
    meter.pids()                    # the server's live processes
    meter.method                    # how usage() is measured, for the table
    meter.close()                   # kill what is left in it, remove it

Methods, first that works: a cgroup v2 directory (cpu.stat usage_usec:
user + system time of every process that ever ran in it, exited ones
included); a cgroup v1 cpuacct directory (cpuacct.usage); otherwise the
whole machine's busy time from /proc/stat, which also counts the load
generator and anything else running, and says so (BENCH_CPU=procstat forces
this, to try it).  Without a cgroup, pids()
walks the process tree from the pid given to set_root().

Cgroups are named sluice-bench-PID-NAME; cgroups left by a bench run that
died (its PID gone) are emptied (their processes were started by that run)
and removed by reap_stale().
"""
import contextlib
import os
import signal
import time

PREFIX = "sluice-bench-"


def _mounts():
    """(cgroup2 mount point or None, cgroup v1 cpuacct mount point or None)"""
    v2 = v1 = None
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            if fstype == "cgroup2" and v2 is None:
                v2 = mnt
            elif fstype == "cgroup" and "cpuacct" in opts.split(",") and v1 is None:
                v1 = mnt
    return v2, v1


def _own_cgroup(version):
    """This process's cgroup path (relative to the hierarchy's mount)."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            if version == 2 and hid == "0":
                return path
            if version == 1 and "cpuacct" in ctrls.split(","):
                return path
    return "/"


def _try_mkdir(base, name):
    d = os.path.join(base, name)
    try:
        os.mkdir(d)
        return d
    except OSError:
        return None


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def reap_stale():
    """Remove cgroups of earlier bench runs that died without cleaning up."""
    for base in filter(None, _mounts()):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            if not name.startswith(PREFIX):
                continue
            try:
                owner = int(name[len(PREFIX):].split("-", 1)[0])
            except ValueError:
                continue
            if os.path.exists("/proc/%d" % owner):
                continue
            d = os.path.join(base, name)
            _kill_members(d)
            try:
                os.rmdir(d)
            except OSError:
                pass


def _members(d):
    try:
        with open(os.path.join(d, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _kill_members(d):
    """SIGKILL every process in cgroup d, bounded wait until it is empty."""
    deadline = time.time() + 10
    while time.time() < deadline:
        pids = _members(d)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def machine_busy_seconds():
    """Busy CPU time of the whole machine (all CPUs) from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    busy = sum(fields[:3]) + sum(fields[5:8])
    return busy / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    def __init__(self, name):
        self.name = name
        self.dir = None
        self.version = 0
        self.root_pid = None
        v2, v1 = _mounts()
        if os.environ.get("BENCH_CPU") == "procstat":    # to try the fallback
            v2 = v1 = None
        cg = "%s%d-%s" % (PREFIX, os.getpid(), name)
        if v2 and os.path.exists(os.path.join(v2, "cgroup.procs")):
            self.dir = _try_mkdir(v2, cg)
            if self.dir and os.path.exists(os.path.join(self.dir, "cpu.stat")):
                self.version, self.mount = 2, v2
                self.method = "cgroup v2 of its own (cpu.stat usage_usec, exited processes included)"
            elif self.dir:
                os.rmdir(self.dir)
                self.dir = None
        if not self.dir and v1:
            self.dir = _try_mkdir(v1, cg)
            if self.dir:
                self.version, self.mount = 1, v1
                self.method = "cgroup v1 cpuacct of its own (cpuacct.usage, exited processes included)"
        if not self.dir:
            self.method = ("whole machine busy time from /proc/stat (no writable cgroup: "
                           "includes smtp-source and everything else running)")

    def set_root(self, pid):
        """The server's top process, for pids() without a cgroup."""
        self.root_pid = pid

    @contextlib.contextmanager
    def member(self):
        """Run the body with this process inside the cgroup (so children
        started there stay in it), then move back."""
        if not self.dir:
            yield
            return
        back = os.path.join(self.mount, _own_cgroup(self.version).lstrip("/"), "cgroup.procs")
        _write(os.path.join(self.dir, "cgroup.procs"), str(os.getpid()))
        try:
            yield
        finally:
            _write(back, str(os.getpid()))

    def usage(self):
        if self.version == 2:
            with open(os.path.join(self.dir, "cpu.stat")) as f:
                for line in f:
                    k, v = line.split()
                    if k == "usage_usec":
                        return int(v) / 1e6
            raise RuntimeError("no usage_usec in cpu.stat")
        if self.version == 1:
            with open(os.path.join(self.dir, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        return machine_busy_seconds()

    def pids(self):
        if self.dir:
            return _members(self.dir)
        return descendants(self.root_pid) if self.root_pid else []

    def close(self):
        if not self.dir:
            return
        _kill_members(self.dir)
        for _ in range(50):
            try:
                os.rmdir(self.dir)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
        self.dir = None


# -- processes ----------------------------------------------------------
def proc_stat(pid):
    """(comm, ppid, state) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    return comm, int(rest[1]), rest[0]


def descendants(root):
    """root and every live process below it."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st:
                children.setdefault(st[1], []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def memory_kib(pid):
    """{'hwm': VmHWM, 'rss': VmRSS, 'pss': Pss} in KiB for one process."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    out[line[2:5].lower()] = int(line.split()[1])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    out["pss"] = int(line.split()[1])
    except OSError:
        return None
    return out


def cpu_snapshot(pids):
    """{pid: (comm, ppid, own seconds, reaped children's seconds)} from
    /proc/PID/stat (utime+stime, cutime+cstime)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        # after the comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        out[pid] = (comm, int(f[1]), (int(f[11]) + int(f[12])) / tick,
                    (int(f[13]) + int(f[14])) / tick)
    return out


def cpu_breakdown(before, after):
    """CPU seconds between two snapshots by program name: a process's own
    time, and separately the time of the children it reaped (exited
    processes are only seen that way; the part of their time spent before
    the first snapshot is taken off).  Returns [(label, seconds)], largest
    first."""
    totals = {}

    def add(key, v):
        totals[key] = totals.get(key, 0) + v
    for pid, (comm, ppid, own, kids) in after.items():
        b = before.get(pid)
        if b and b[0] != comm:
            b = None            # the pid was reused, or the process exec'd
        add(comm, own - (b[2] if b else 0))
        add("children of " + comm, kids - (b[3] if b else 0))
    for pid, (comm, ppid, own, kids) in before.items():
        if pid not in after and ppid in after:
            # exited and reaped by its parent: its whole life is in the
            # parent's children time, only the part since `before` belongs here
            add("children of " + after[ppid][0], -(own + kids))
    return sorted(((k, v) for k, v in totals.items() if v > 0), key=lambda kv: -kv[1])
