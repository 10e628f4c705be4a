"""Results of the benchmark runs and the side-by-side table.

    r = Results()
    r.add(system, sessions, run_result, count)   # run_result from lib_load.Run
    r.memory[system] = {...}                     # from bench.measure_memory
    text = render(r, meta)                       # the table, as text

Cells are medians over the runs with (min-max) when there is more than
one; a failed run marks the cell FAILED and its error is listed under the
table.  Ratios are sluice/Postfix; the target column compares them with the
performance goals (accept 2x, end to end 1.5x, CPU 1.4 ms per message).
"""
import os
import statistics

SYSTEMS = ("Postfix", "sluice")
# (key, label, better, per-message transform)
RATE_METRICS = (
    ("accept", "messages/s accepted", "higher"),
    ("deliver", "messages/s delivered to Maildir", "higher"),
    ("cpu", "CPU seconds per 1,000 messages", "lower"),
)
TARGETS = {("accept", 20): (">=", 2.0), ("deliver", 20): (">=", 1.5),
           ("cpu", 20): ("<=", 0.5)}


class Results:
    def __init__(self):
        self.runs = {}          # (system, sessions) -> [values dicts]
        self.errors = []        # (system, sessions, text)
        self.memory = {}        # system -> dict
        self.counts = {}        # sessions -> messages per run
        self.breakdown = {}     # (system, sessions) -> last run's CPU by program
        self.note = None        # why fewer runs than asked, if so
        self.log_notes = []     # problems the servers logged

    def add(self, system, sessions, res, count):
        self.counts[sessions] = count
        if res.get("error"):
            self.errors.append((system, sessions, res["error"]))
            self.runs.setdefault((system, sessions), []).append(None)
            return
        if res.get("breakdown") is not None:
            self.breakdown[(system, sessions)] = [(k, 1000.0 * v / count) for k, v in res["breakdown"]]
        self.runs.setdefault((system, sessions), []).append({
            "accept": count / res["accept_s"],
            "deliver": count / res["deliver_s"],
            "cpu": 1000.0 * res["cpu_s"] / count,
        })

    def failed(self, system):
        return any(e[0] == system for e in self.errors)

    def any_failed(self):
        return bool(self.errors) or any("error" in m for m in self.memory.values())

    def values(self, system, sessions, key):
        runs = self.runs.get((system, sessions))
        if not runs or None in runs:
            return None if not runs else "FAILED"
        return [r[key] for r in runs]


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
    return statistics.median(vals) if isinstance(vals, list) and vals else None


def _ratio_and_target(pf, sl, key_sessions):
    if not pf or not sl:
        return "", ""
    ratio = sl / pf
    t = TARGETS.get(key_sessions)
    target = ""
    if t:
        ok = ratio >= t[1] if t[0] == ">=" else ratio <= t[1]
        target = "%s %.1f %s" % (t[0], t[1], "met" if ok else "NOT met")
    return "%.2f" % ratio, target


def rows(r):
    out = []
    for sessions in sorted(r.counts):
        for key, label, better in RATE_METRICS:
            digits = 2 if key == "cpu" else 0
            cells = [r.values(s, sessions, key) for s in SYSTEMS]
            ratio, target = _ratio_and_target(_median(cells[0]), _median(cells[1]), (key, sessions))
            out.append(("%s (%s is better)" % (label, better), str(sessions),
                        _cell(cells[0], digits), _cell(cells[1], digits), ratio, target))
    for key, label in (("hwm", "peak RSS per SMTP session, KiB (VmHWM)"),
                       ("pss", "PSS per SMTP session, KiB (smaps_rollup)")):
        cells = []
        for s in SYSTEMS:
            m = r.memory.get(s)
            cells.append(None if m is None else ("FAILED" if "error" in m else m[key]))
        nums = [c if isinstance(c, (int, float)) else None for c in cells]
        ratio = "%.2f" % (nums[1] / nums[0]) if nums[0] and nums[1] else ""
        out.append(("%s (lower is better)" % label, "20",
                    *[("%.0f" % c if isinstance(c, (int, float)) else (c or "n/a")) for c in cells],
                    ratio, ""))
    return out


def render(r, meta):
    a = meta["args"]
    lines = [
        "sluice vs Postfix, side by side (make bench)",
        "date:     %s, took %.0f s" % (meta["date"], meta["elapsed"]),
        "machine:  %s" % meta["machine"],
        "versions: %s" % meta["versions"],
        "load:     smtp-source, %d-byte messages, one recipient, %s;"
        % (a.size, "connections reused (-d)" if a.reuse else "a new connection per message"),
        "          %s; %d run(s) each, median (min-max)"
        % (", ".join("%d messages at %d session(s)" % (c, s) for s, c in sorted(r.counts.items())),
           max([len(v) for v in r.runs.values()] or [0])),
        "command:  smtp-source -4 -s SESSIONS -m COUNT -l %d -M client.bench.test "
        "-f sender@client.bench.test -t user@bench.test%s IP:PORT" % (a.size, " -d" if a.reuse else ""),
        "config:   %s" % meta.get("config", "?"),
        "delivery: rate = messages / time from smtp-source start until all are in the Maildir",
        "CPU:      %s" % meta["cpu_method"],
        "memory:   20 sessions each through one message and held open; mean per process",
        "PERF.md:  Postfix measured before on such a machine: ~500 msg/s end to end at 20 sessions, "
        "2.8 ms CPU/msg",
        "",
    ]
    table = [("metric", "sessions", "Postfix", "sluice", "sluice/Postfix", "target")] + rows(r)
    widths = [max(len(row[i]) for row in table) for i in range(6)]
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
    for system, sessions, err in r.errors:
        lines.append("FAILED %s at %d session(s): %s" % (system, sessions, err))
    for s, m in sorted(r.memory.items()):
        if "error" in m:
            lines.append("FAILED %s memory: %s" % (s, m["error"]))
    lines += r.log_notes
    lines += breakdown_lines(r)
    text = "\n".join(lines).rstrip() + "\n"
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def breakdown_lines(r, top=8):
    """Where the CPU went in the last run at the most sessions, per system:
    ms per message by program ("children of X": exited processes X reaped)."""
    if not r.counts:
        return []
    sessions = max(r.counts)
    out = []
    for system in SYSTEMS:
        b = r.breakdown.get((system, sessions))
        if not b:
            continue
        if not out:
            out.append("")
            out.append("CPU by program, ms per message, last run at %d sessions (from /proc "
                       "clock ticks, so approximate;" % sessions)
            out.append("\"children of X\": processes that exited and that X reaped):")
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
