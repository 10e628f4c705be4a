"""Each manual page's SYNOPSIS says what the program's own usage line says:
every program that checks its arguments is run with a bad option, its
"usage:" line is split into forms (" | "), and the forms must be those of
the SYNOPSIS of its page (rendered by groff), compared without quotes,
"< message" redirections and parenthesised remarks.  Also: no
file points outside the repository or at internal work items."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
import harness  # noqa: E402

# Programs started by a supervisor, tcpserver or another sluice program with
# no options of their own: their SYNOPSIS shows how they are started.
NO_USAGE = {"sluice-smtpd", "sluice-pop3d", "sluice-queue", "sluice-send", "sluice-start",
            "sluice-injectd"}


def norm(form):
    form = re.sub(r"\([^)]*\)", " ", form)          # remarks
    form = re.sub(r"\s*\|\s*", "|", form)             # [-e | -b] = [-e|-b]
    form = re.sub(r"\d?<\s*\w+", " ", form)          # < message, 1< envelope
    form = form.replace('"', "").replace("\u201c", "").replace("\u201d", "")
    form = re.sub(r"\s+\.\.\.", "...", form)        # "args ..." = "args..."
    return " ".join(form.split())


def split_top(line):
    """Split at " | " outside brackets."""
    parts, depth, cur = [], 0, ""
    i = 0
    while i < len(line):
        c = line[i]
        depth += c == "["
        depth -= c == "]"
        if depth == 0 and line.startswith(" | ", i):
            parts.append(cur)
            cur = ""
            i += 3
            continue
        cur += c
        i += 1
    return parts + [cur]


def usage_forms(prog, line):
    forms = []
    for f in split_top(line):
        f = f.strip()
        if not f.startswith(prog):
            f = prog + " " + f
        forms.append(norm(f))
    return sorted(forms)


def synopsis_forms(page, prog):
    text = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", page], capture_output=True,
                          text=True, timeout=60).stdout
    m = re.search(r"(?ms)^SYNOPSIS\n(.*?)^\S", text)
    forms = []
    for line in m.group(1).splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith(prog) or not forms or re.fullmatch(r"[a-z][\w-]*", s):
            forms.append(s)
        else:
            forms[-1] += " " + s
    # a bare other name (mailq, newaliases) is the program linked under
    # that name: documented on the page, not part of its usage line
    return sorted(norm(f) for f in forms if f.startswith(prog))


def usage_line(prog):
    root = tempfile.mkdtemp(prefix="sluice-usage-")
    try:
        env = dict(os.environ, SLUICE_ROOT=os.path.join(root, "none"))
        for args in (["--no-such-option"], []):
            p = subprocess.run([harness.prog(prog)] + args, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=30, env=env, cwd=root)
            m = re.search(r"(?m)usage: (%s.*)$" % re.escape(prog), p.stdout + p.stderr)
            if m:
                return m.group(1)
        return None
    finally:
        shutil.rmtree(root, ignore_errors=True)


class Synopsis(unittest.TestCase):
    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_synopsis_matches_usage(self):
        pages = sorted(glob.glob(os.path.join(TOP, "doc", "man", "sluice-*.8")))
        self.assertGreaterEqual(len(pages), 10)
        compared, wrong = 0, []
        for page in pages:
            prog = os.path.basename(page)[:-2]
            if prog in NO_USAGE or not os.path.exists(harness.prog(prog)):
                continue
            line = usage_line(prog)
            if line is None:
                wrong.append("%s prints no usage line for a bad option" % prog)
                continue
            if synopsis_forms(page, prog) != usage_forms(prog, line):
                wrong.append("SYNOPSIS of %s: %s; usage: %s" % (os.path.basename(page),
                                                               synopsis_forms(page, prog), line))
            compared += 1
        self.assertEqual(wrong, [])
        self.assertGreaterEqual(compared, 8)

    def test_no_pointers_outside_the_repository(self):
        skip_dirs = {".git", "bin", "obj", "obj-san", "obj-clang", "demo", "__pycache__"}
        bad = []
        for d, dirs, files in os.walk(TOP):
            dirs[:] = [x for x in dirs if x not in skip_dirs]
            for name in files:
                path = os.path.join(d, name)
                rel = os.path.relpath(path, TOP)
                if rel.startswith(os.path.join("tests", "doc")) or rel in ("COPYING", "LICENSE"):
                    continue
                with open(path, "rb") as f:
                    data = f.read(1 << 20)
                if b"\0" in data:
                    continue            # a binary file
                text = data.decode("utf-8", "replace")
                for pat in (r"\.\./shared\b", r"(?i)\bissue \d+\b"):
                    if re.search(pat, text):
                        bad.append("%s: %s" % (rel, pat))
        self.assertEqual(bad, [], "files pointing outside the repository or at work items")

if __name__ == "__main__":
    unittest.main()
