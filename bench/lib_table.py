"""Results of the benchmark runs and the side-by-side table.

    r = Results()
    r.add(system, cell, run_result, args)   # a result dict of one run
    r.memory[system] = {...}                # from bench.measure_memory
    r.strace[system] = {...}                # from lib_strace.syscall_profile
    text = render(r, meta)                  # the table, as text

Cells are medians over the rounds with (min-max) when there is more than
one; a failed run marks the cell FAILED and its error is listed under the
table.  Ratios are sluice/Postfix; the target column compares them with the
goals for sluice's long-lived-process work (TARGETS).
"""
import os
import statistics

SYSTEMS = ("Postfix", "sluice")

# the figures each kind of run gives, from its result dict and the counts
def _run_values(cell, res, a):
    if cell in ("new1", "new20", "reuse"):
        n = {"new1": a.count1, "new20": a.count20, "reuse": a.reuse}[cell]
        return {"accept": n / res["accept_s"], "deliver": n / res["deliver_s"],
                "cpu": 1000.0 * res["cpu_s"] / n}
    if cell == "rcpt10":
        n = a.rcpt10 * 10
        return {"deliver": n / res["deliver_s"], "accept": a.rcpt10 / res["accept_s"],
                "cpu": 1000.0 * res["cpu_s"] / n}
    if cell == "tls":
        return {"sessions": a.tls / res["tls_s"], "cpu": 1000.0 * res["cpu_s"] / a.tls}
    if cell == "drain":
        return {"rate": a.drain / res["drain_s"], "cpu": 1000.0 * res["cpu_s"] / a.drain}
    raise ValueError(cell)


# rows: (label, cell, key, digits, better, target)
ROWS = (
    ("accepted msg/s, 1 session, new connection per message", "new1", "accept", 0, "higher",
     (">=", 2.0)),
    ("accepted msg/s, 20 sessions, new connection per message", "new20", "accept", 0, "higher",
     (">=", 2.0)),
    ("delivered to Maildir msg/s end to end, 1 session", "new1", "deliver", 0, "higher",
     (">=", 1.5)),
    ("delivered to Maildir msg/s end to end, 20 sessions", "new20", "deliver", 0, "higher",
     (">=", 1.5)),
    ("CPU ms per message, all processes, 1 session", "new1", "cpu", 2, "lower", ("<=", 0.5)),
    ("CPU ms per message, all processes, 20 sessions", "new20", "cpu", 2, "lower", ("<=", 0.5)),
    ("reused connections: accepted msg/s, 20 sessions", "reuse", "accept", 0, "higher", None),
    ("reused connections: CPU ms per message", "reuse", "cpu", 2, "lower", None),
    ("10 recipients: Maildir deliveries/s end to end", "rcpt10", "deliver", 0, "higher",
     (">=", 1.5)),
    ("10 recipients: CPU ms per delivery", "rcpt10", "cpu", 2, "lower", None),
    ("STARTTLS every connection: sessions/s", "tls", "sessions", 0, "higher", (">=", 1.5)),
    ("STARTTLS: CPU ms per session", "tls", "cpu", 2, "lower", None),
    ("remote drain to smtp-sink: msg/s", "drain", "rate", 0, "higher", (">=", 1.5)),
    ("remote drain: CPU ms per message", "drain", "cpu", 2, "lower", None),
)
STRACE_ROWS = (
    ("processes+threads started per message (strace)", "forks", 2),
    ("programs exec'd per message (strace)", "execs", 2),
    ("system calls per message (strace)", "syscalls", 0),
)
MEMORY_ROWS = (
    ("PSS per idle SMTP session, KiB", "pss", 0, ("<=", 0.5)),
    ("PSS of the whole instance, 20 idle sessions, KiB", "total", 0, None),
    ("per-connection server process: mean Pss, KiB", "procpss", 0, None),
    ("per-connection server process: mean VmHWM, KiB", "hwm", 0, None),
)


class Results:
    def __init__(self):
        self.runs = {}          # (system, cell) -> [values dicts]
        self.errors = []        # (system, cell, text)
        self.memory = {}        # system -> dict
        self.strace = {}        # system -> dict
        self.stopped = set()    # systems stopped after a failure
        self.note = None        # why fewer rounds than asked, if so
        self.log_notes = []     # problems the servers logged
        self.breakdown = {}     # system -> CPU ms per message by program, last new20 run

    def add(self, system, cell, res, args):
        if res.get("error"):
            self.errors.append((system, cell, res["error"]))
            self.runs.setdefault((system, cell), []).append(None)
            return
        self.runs.setdefault((system, cell), []).append(_run_values(cell, res, args))
        if cell == "new20" and res.get("breakdown"):
            self.breakdown[system] = [(k, 1000.0 * v / args.count20) for k, v in res["breakdown"]]

    def failed(self, system, cell=None):
        return any(e[0] == system and (cell is None or e[1] == cell) for e in self.errors)

    def any_failed(self):
        return (bool(self.errors) or any("error" in m for m in self.memory.values())
                or any(v.get("error") for v in self.strace.values()))

    def values(self, system, cell, key):
        runs = self.runs.get((system, cell))
        if not runs:
            return None
        if None in runs:
            return "FAILED"
        return [r[key] for r in runs]

    def rounds(self):
        return max([len(v) for v in self.runs.values()] or [0])


def _fmt(v, digits):
    return ("%%.%df" % digits) % v


def _cell(vals, digits):
    if vals is None:
        return "n/a"
    if isinstance(vals, str):
        return vals
    med = statistics.median(vals)
    if len(vals) == 1:
        return _fmt(med, digits)
    return "%s (%s-%s)" % (_fmt(med, digits), _fmt(min(vals), digits), _fmt(max(vals), digits))


def _median(vals):
    if isinstance(vals, list) and vals:
        return statistics.median(vals)
    if isinstance(vals, (int, float)):
        return vals
    return None


def _ratio_and_target(pf, sl, t):
    target = "%s %.1fx" % t if t else ""
    if pf is None or sl is None or pf < 0.05:    # a count near zero: no useful ratio
        return "", target
    ratio = sl / pf
    if t:
        ok = ratio >= t[1] if t[0] == ">=" else ratio <= t[1]
        target += " met" if ok else " NOT met"
    return "%.2f" % ratio, target


def _single(d, key, digits):
    """A cell from a single measurement dict (memory, strace)."""
    if d is None:
        return None, "n/a"
    if d.get("error"):
        return None, "FAILED"
    v = d.get(key)
    if v is None:
        return None, "n/a"
    return v, _fmt(v, digits)


def rows(r):
    out = []
    for label, cell, key, digits, better, target in ROWS:
        cells = [r.values(s, cell, key) for s in SYSTEMS]
        if cells == [None, None]:
            continue
        ratio, tgt = _ratio_and_target(_median(cells[0]), _median(cells[1]), target)
        out.append(("%s (%s is better)" % (label, better),
                    _cell(cells[0], digits), _cell(cells[1], digits), ratio, tgt))
    for source, table in ((r.strace, [(a, b, c, None) for a, b, c in STRACE_ROWS]),
                          (r.memory, MEMORY_ROWS)):
        if not source:
            continue
        for label, key, digits, target in table:
            (pv, pc), (sv, sc) = [_single(source.get(s), key, digits) for s in SYSTEMS]
            if pc == sc == "n/a":
                continue
            ratio, tgt = _ratio_and_target(pv, sv, target)
            out.append(("%s (lower is better)" % label, pc, sc, ratio, tgt))
    return out


def render(r, meta):
    a = meta["args"]
    lines = [
        "sluice vs Postfix, side by side (make bench)",
        "date:     %s, took %.0f s" % (meta["date"], meta["elapsed"]),
        "machine:  %s" % meta["machine"],
        "versions: %s" % meta["versions"],
        "rounds:   %d (each server ran each cell once per round, taking turns); "
        "median (min-max)" % r.rounds(),
        "load:     %d-byte messages, smtp-source -s SESSIONS -m COUNT -l %d, one recipient, "
        "a new connection per message:" % (a.size, a.size),
        "          %d messages at 1 session, %d at 20" % (a.count1, a.count20),
        "reused:   smtp-source -d, %d messages over 20 connections" % a.reuse,
        "10 rcpts: smtp-source -r 10, %d messages at 20 sessions (%d Maildir deliveries); "
        "rate = deliveries / time from the start until the last file is there"
        % (a.rcpt10, 10 * a.rcpt10),
        "STARTTLS: %d sessions by 8 client processes (Python ssl, full handshake, same ECDSA "
        "P-256 certificate on both), each EHLO, STARTTLS, EHLO, one message, QUIT" % a.tls,
        "drain:    %d messages for one remote domain accepted and held (Postfix: "
        "defer_transports; sluice: queue manager down), then released; rate = messages / time "
        "until smtp-sink has them all" % a.drain,
        "strace:   strace -c -f attached to every process of the instance during %d messages "
        "(5 sessions, new connections); forks = fork/vfork/clone/clone3, execs = execve"
        % a.strace,
        "delivery: rate = messages / time from smtp-source's start until all are in the Maildir",
        "CPU:      %s" % meta["cpu_method"],
        "          (every process of each server: Postfix's master and sluice's svscan and "
        "supervise alike, loggers too)",
        "memory:   20 sessions each through one message and held open; PSS per session = "
        "(instance Pss with them - before) / 20",
        "config:   %s" % meta.get("config", "?"),
        "",
    ]
    table = [("metric", "Postfix", "sluice", "sluice/Postfix", "target")] + rows(r)
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for i, row in enumerate(table):
        lines.append("  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                               for j, (c, w) in enumerate(zip(row, widths))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    if r.note:
        lines.append("note: " + r.note)
    if meta.get("sluice_note"):
        lines.append("sluice: " + meta["sluice_note"].splitlines()[0])
    for system, cell, err in r.errors:
        lines.append("FAILED %s %s: %s" % (system, cell, err))
    for s, m in sorted(r.memory.items()):
        if "error" in m:
            lines.append("FAILED %s memory: %s" % (s, m["error"]))
    for s, m in sorted(r.strace.items()):
        if m.get("error"):
            lines.append("FAILED %s strace: %s" % (s, m["error"]))
        elif m.get("top"):
            lines.append("%s: most frequent calls per message: %s" % (
                s, ", ".join("%s %.1f" % kv for kv in m["top"])))
    for s in sorted(r.stopped):
        lines.append("%s was stopped after a failure: later cells not measured" % s)
    lines += r.log_notes
    lines += breakdown_lines(r)
    text = "\n".join(lines).rstrip() + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def breakdown_lines(r, top=8):
    """Where the CPU went in the last 20-session run, per system: ms per
    message by program ("children of X": exited processes X reaped)."""
    out = []
    for system in SYSTEMS:
        b = r.breakdown.get(system)
        if not b:
            continue
        if not out:
            out += ["", "CPU by program, ms per message, last run at 20 sessions (from /proc clock "
                    "ticks, so approximate;", "\"children of X\": processes that exited and that X "
                    "reaped):"]
        shown = ["%s %.2f" % (k, v) for k, v in b[:top] if v >= 0.01]
        out.append("  %-8s %s" % (system + ":", ", ".join(shown) or "-"))
    return out


def fs_of(path):
    """Filesystem type and device holding path, from /proc/self/mounts."""
    best = ("", "?", "?")
    path = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best[0]):
                best = (mnt, fstype, dev)
    return "temp dirs on %s (%s)" % (best[1], best[2])
