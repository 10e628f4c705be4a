"""sluice-conf and the route options that protect a smarthost password:
`route add` takes tls=verify, cafile=/PATH and tls=fingerprint:SHA256HEX
(checked by the parser sluice-remote uses, case kept in the path), and
`check` refuses a route whose host has remoteauth credentials that could
never be sent (no verification and no pin) or whose cafile is missing."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

FP = ":".join(["AB"] * 32)


class RouteOptions(unittest.TestCase):
    def setUp(self):
        self.inst = harness.Instance()
        self.addCleanup(self.inst.cleanup)

    def test_options_accepted_and_refused(self):
        c = self.inst.conf
        c("route", "add", "a.test", "smart.example:587", "tls=fingerprint:" + FP,
          "tls=fingerprint:" + FP.replace(":", "").lower())
        c("route", "add", "b.test", "Smart.Example", "cafile=/etc/Ssl/Private-CA.pem")
        listed = c("route", "list").stdout
        self.assertIn("cafile=/etc/Ssl/Private-CA.pem", listed, "the path keeps its case")
        self.assertIn("smart.example", listed)
        for bad in ("tls=fingerprint:AB", "tls=fingerprint:" + FP + ":", "cafile=relative.pem",
                    "tls=sometimes"):
            p = c("route", "add", "c.test", "h.example", bad, check=False)
            self.assertNotEqual(p.returncode, 0, bad)
            self.assertIn("bad route option", p.stderr)

    def test_check_refuses_a_password_that_would_never_be_sent(self):
        c = self.inst.conf
        c("route", "add", ".", "smart.example:587")
        c("remoteauth", "add", "smart.example", "user", input="pw\n")
        p = c("check", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("only sent with tls=verify", p.stderr)
        c("route", "del", ".")
        c("route", "add", ".", "smart.example:587", "cafile=/nonexistent/ca.pem")
        p = c("check", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("/nonexistent/ca.pem", p.stderr)
        c("route", "del", ".")
        c("route", "add", ".", "smart.example:587", "tls=fingerprint:" + FP)
        p = c("check", check=False)
        self.assertNotIn("only sent with", p.stderr)


if __name__ == "__main__":
    unittest.main()
