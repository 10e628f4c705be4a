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
NO_USAGE = {"sluice-smtpd", "sluice-pop3d", "sluice-queue", "sluice-send", "sluice-start"}
# Tools that do not check their arguments yet print no usage line; once
# they do, their SYNOPSIS is compared like every other.
NO_USAGE_YET = {"sluice-qread", "sluice-qstat"}


def norm(form):
    form = re.sub(r"\([^)]*\)", " ", form)          # remarks
    form = re.sub(r"\d?<\s*\w+", " ", form)          # < message, 1< envelope
    form = form.replace('"', "").replace("\u201c", "").replace("\u201d", "")
    form = re.sub(r"\s+\.\.\.", "...", form)        # "args ..." = "args..."
    return " ".join(form.split())


def usage_forms(prog, line):
    forms = []
    for f in re.split(r"\s\|\s", line):
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
        if s.startswith(prog) or not forms:
            forms.append(s)
        else:
            forms[-1] += " " + s
    return sorted(norm(f) for f in forms)


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
        compared = 0
        for page in pages:
            prog = os.path.basename(page)[:-2]
            if prog in NO_USAGE or not os.path.exists(harness.prog(prog)):
                continue
            with self.subTest(prog=prog):
                line = usage_line(prog)
                if line is None and prog in NO_USAGE_YET:
                    continue
                self.assertIsNotNone(line, "%s prints no usage line for a bad option" % prog)
                self.assertEqual(synopsis_forms(page, prog), usage_forms(prog, line),
                                 "SYNOPSIS of %s differs from: usage: %s" % (os.path.basename(page), line))
                compared += 1
        self.assertGreaterEqual(compared, 5)

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
