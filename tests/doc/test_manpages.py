"""The manual pages render without warnings, and sluice(5) documents every
setting in lib/settings.c (so a new knob cannot go undocumented)."""
import glob
import os
import re
import shutil
import subprocess
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ManPages(unittest.TestCase):
    def test_every_setting_documented(self):
        with open(os.path.join(TOP, "lib", "settings.c")) as f:
            keys = re.findall(r'^\s*\{ "(\w+)", ST_', f.read(), re.M)
        self.assertGreater(len(keys), 20)
        with open(os.path.join(TOP, "doc", "man", "sluice.5")) as f:
            page = f.read()
        missing = [k for k in keys if not re.search(r"^\.B %s$" % k, page, re.M)]
        self.assertEqual(missing, [], "settings missing from doc/man/sluice.5")

    @unittest.skipUnless(shutil.which("groff"), "groff not installed")
    def test_pages_render_cleanly(self):
        pages = glob.glob(os.path.join(TOP, "doc", "man", "*.[58]"))
        self.assertGreaterEqual(len(pages), 3)
        for p in pages:
            r = subprocess.run(["groff", "-man", "-ww", "-z", p], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.stderr, "", os.path.basename(p))


if __name__ == "__main__":
    unittest.main()
