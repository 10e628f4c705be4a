"""Webmail: Roundcube behind nginx + php-fpm, run by sluice, driven by a
real browser (headless Chromium through selenium, /usr/bin/python3 only):
alice logs in, reads a message delivered by SMTP, sends one to bob that
lands in bob's Maildir with alice as envelope sender and in alice's Sent
folder; a wrong password and an unknown user are refused alike and
logged with the client IP; a user made by `sluice-conf user add` alone can
log in.  Plus HTTP checks: CSRF token required, secure cookies, private
files not served, nothing listens beyond the configured address.

A screenshot of the inbox is kept in $SLUICE_TEST_ARTIFACTS (default
tests/artifacts/, ignored by git).  The browser part's duration is
printed on stderr."""
import http.client
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "imap"))
import imaputil  # noqa: E402
from imaputil import harness  # noqa: E402

SKIP = imaputil.skip_reason(webmail=True)
if not SKIP:
    try:
        from selenium import webdriver
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        SKIP = "python3-selenium is not installed (run with /usr/bin/python3)"

ALICE, BOB = "alice@example.test", "bob@example.test"
PW = imaputil.USERS
WAIT = 120         # seconds for any page on a loaded machine
ARTIFACTS = os.environ.get("SLUICE_TEST_ARTIFACTS") or os.path.join(
    harness.TOP, "tests", "artifacts")


def https(inst):
    ctx = ssl.create_default_context(cafile=inst.path("tls", "cert.pem"))
    ctx.check_hostname = False
    return http.client.HTTPSConnection(inst.ip, inst.ports["webmail"], context=ctx, timeout=60)


@unittest.skipIf(SKIP, SKIP)
class TestWebmail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = imaputil.start(webmail=True)
        cls.base = "https://%s:%d/" % (cls.inst.ip, cls.inst.ports["webmail"])
        cls.profile = tempfile.mkdtemp(prefix="sluice-chromium-")
        cls.browser_secs = 0.0

    @classmethod
    def tearDownClass(cls):
        sys.stderr.write("webmail: browser tests took %.1f s\n" % cls.browser_secs)
        shutil.rmtree(cls.profile, ignore_errors=True)
        cls.inst.cleanup()

    # -- the browser ----------------------------------------------------
    def browser(self):
        o = webdriver.ChromeOptions()
        o.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--ignore-certificate-errors",
                  "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE %s" % self.inst.ip,
                  "--user-data-dir=%s" % self.profile):
            o.add_argument(a)
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
        d.set_page_load_timeout(WAIT)
        self.addCleanup(d.quit)
        return d, WebDriverWait(d, WAIT)

    def login(self, d, w, user, password):
        d.get(self.base)
        u = w.until(EC.presence_of_element_located((By.ID, "rcmloginuser")))
        u.clear()
        u.send_keys(user)
        d.find_element(By.ID, "rcmloginpwd").send_keys(password)
        d.find_element(By.ID, "rcmloginsubmit").click()

    def logs(self):
        return "\n".join("--- log/%s:\n%s" % (n, self.inst.log(n)[-3000:])
                         for n in ("imapd", "webmail-php", "webmail", "submission"))

    def logged_in(self, w):
        try:
            return w.until(EC.presence_of_element_located((By.ID, "messagelist")))
        except TimeoutException:
            self.fail("no inbox after login; page: %s\n%s" % (
                w._driver.find_element(By.TAG_NAME, "body").text[:500], self.logs()))

    def refused(self, w):
        return w.until(EC.visibility_of_element_located(
            (By.XPATH, "//*[@id='messagestack']//*[contains(., 'Login failed')]")))

    def row(self, d, w, subject):
        """the message's row in the list; the list is asked for again (as
        a user would reload) when it did not show within 30 s: a list
        request that failed on a loaded machine is not retried by the page"""
        from selenium.common.exceptions import TimeoutException
        xp = "//table[@id='messagelist']//tr[contains(., '%s')]" % subject
        for _ in range(WAIT // 30 - 1):
            try:
                return WebDriverWait(d, 30).until(EC.presence_of_element_located((By.XPATH, xp)))
            except TimeoutException:
                d.get(self.base + "?_task=mail&_mbox=INBOX")
        return w.until(EC.presence_of_element_located((By.XPATH, xp)))

    def timed(self, f):
        t = time.time()
        try:
            f()
        finally:
            type(self).browser_secs += time.time() - t

    # -- tests ------------------------------------------------------------
    def test_alice_reads_and_sends(self):
        imaputil.send(self.inst, ALICE, "hello from smtp", "the body we read 4711\n")
        imaputil.maildir_file(self.inst, ALICE, "hello from smtp")
        self.timed(self._alice_reads_and_sends)
        path = imaputil.maildir_file(self.inst, BOB, "written in a browser")
        with open(path, "rb") as f:
            head = f.read().split(b"\n\n", 1)[0]
        self.assertTrue(head.startswith(b"Return-Path: <alice@example.test>\n"), head[:200])
        self.assertIn(b"\nFrom: alice@example.test", head)
        self.assertRegex(head, rb"with ESMTPSA")       # submission, STARTTLS, AUTH
        sent = imaputil.maildir_file(self.inst, ALICE, "written in a browser", folder="Sent")
        with open(sent, "rb") as f:
            self.assertIn(b"sent by alice from webmail", f.read())
        log = harness.wait_for(lambda: (lambda t: t if "Successful login" in t else None)(
            self.inst.log("webmail-php")), 30, what="userlogins in the webmail-php log")
        self.assertRegex(log, r"userlogins: .*Successful login for alice@example\.test .*from 127\.0\.0\.1")

    def _alice_reads_and_sends(self):
        d, w = self.browser()
        self.login(d, w, ALICE, PW[ALICE])
        self.logged_in(w)
        row = self.row(d, w, "hello from smtp")
        os.makedirs(ARTIFACTS, exist_ok=True)
        d.save_screenshot(os.path.join(ARTIFACTS, "webmail-inbox.png"))
        row.click()
        w.until(EC.frame_to_be_available_and_switch_to_it("messagecontframe"))
        body = w.until(EC.presence_of_element_located((By.ID, "messagebody")))
        self.assertIn("the body we read 4711", body.text)
        d.switch_to.default_content()
        d.get(self.base + "?_task=mail&_action=compose")
        to = w.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".recipient-input input")))
        to.send_keys(BOB + ", ")
        d.find_element(By.ID, "compose-subject").send_keys("written in a browser")
        d.find_element(By.ID, "composebody").send_keys("sent by alice from webmail")
        d.find_element(By.CSS_SELECTOR, "button.send").click()
        w.until(lambda d: "_action=compose" not in d.current_url)

    def test_wrong_password_and_unknown_user_refused_alike(self):
        self.timed(self._wrong_password)
        log = harness.wait_for(lambda: (lambda t: t if "nobody@example.test" in t else None)(
            self.inst.log("webmail-php")), 30, what="failed logins in the webmail-php log")
        self.assertRegex(log, r"errors: .*Login failed for alice@example\.test .*from 127\.0\.0\.1")
        self.assertRegex(log, r"errors: .*Login failed for nobody@example\.test .*from 127\.0\.0\.1")

    def _wrong_password(self):
        d, w = self.browser()
        texts = []
        for user, password in ((ALICE, "not her password"), ("nobody@example.test", "whatever")):
            t = time.time()
            self.login(d, w, user, password)
            texts.append(self.refused(w).text)
            self.assertGreaterEqual(time.time() - t, 0.5, "a failed login is delayed")
            self.assertEqual(d.find_elements(By.ID, "messagelist"), [])
        self.assertEqual(texts[0], texts[1])

    def test_new_user_by_user_add_alone(self):
        self.inst.add_user("erin@example.test", "erin pw")
        imaputil.send(self.inst, "erin@example.test", "first mail for erin")
        imaputil.maildir_file(self.inst, "erin@example.test", "first mail for erin")

        def erin():
            d, w = self.browser()
            self.login(d, w, "erin@example.test", "erin pw")
            self.logged_in(w)
            self.row(d, w, "first mail for erin")
        self.timed(erin)

    # -- HTTP, no browser ---------------------------------------------------
    def get_login_page(self):
        c = https(self.inst)
        c.request("GET", "/")
        r = c.getresponse()
        page = r.read().decode("utf-8", "replace")
        cookies = r.headers.get_all("Set-Cookie")
        c.close()
        return page, cookies

    def test_cookies_secure_and_csrf_token_required(self):
        for with_token, want_mail in ((False, False), (True, True)):
            page, cookies = self.get_login_page()      # a fresh session each
            self.assertTrue(cookies)
            for c in cookies:
                self.assertIn("secure", c.lower())
                self.assertIn("httponly", c.lower())
            token = re.search(r'name="_token" value="([^"]+)"', page).group(1)
            cookie = "; ".join(c.split(";", 1)[0] for c in cookies)
            form = {"_task": "login", "_action": "login", "_timezone": "UTC",
                    "_user": ALICE, "_pass": PW[ALICE]}
            if with_token:
                form["_token"] = token
            c = https(self.inst)
            c.request("POST", "/?_task=login", urllib.parse.urlencode(form),
                      {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            r = c.getresponse()
            r.read()
            loc = r.getheader("Location") or ""
            c.close()
            self.assertEqual(r.status == 302 and "_task=mail" in loc, want_mail,
                             (with_token, r.status, loc, self.logs()))

    def test_private_files_are_not_served(self):
        for path in ("/config/config.inc.php", "/SQL/sqlite.initial.sql", "/installer/",
                     "/program/include/iniset.php", "/bin/initdb.sh", "/composer.json",
                     "/plugins/jqueryui/jqueryui.php"):
            c = https(self.inst)
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            c.close()
            self.assertEqual(r.status, 404, path)
            self.assertNotIn(b"<?php", body)

    def test_nothing_listens_beyond_the_configured_address(self):
        self.assertNotEqual(self.inst.ip, "127.0.0.1")
        s = socket.socket()
        s.settimeout(5)
        try:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", self.inst.ports["webmail"])), 0)
        finally:
            s.close()
        with open(self.inst.path("webmail", "php-fpm.conf")) as f:
            self.assertRegex(f.read(), r"\nlisten = /")      # a unix socket only

    def test_check_is_happy(self):
        p = self.inst.conf("check", check=False)
        self.assertEqual((p.returncode, p.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
