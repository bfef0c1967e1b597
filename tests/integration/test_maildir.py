"""The demo maildir backend ("maildir:DIR"): each accepted message becomes one file in
DIR/new/ holding exactly Return-Path, one Delivered-To per recipient, then the message as
the client meant it (CRLF line ends kept, dots unstuffed) - checked byte for byte."""

import os
import re
import subprocess
import unittest

from harness import (CRLF, GateTestCase, SHARED, SOURCE, SWAKS, TIME_SCALE, dot_stuff,
                     ehlo_keywords, free_port)


class MaildirTest(GateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.maildir = os.path.join(cls.class_tmp, "mail")
        cls.gate_ = cls.class_gate(backend="maildir:" + cls.maildir, name="maildir-gate")

    def setUp(self):
        super().setUp()
        for sub in ("new", "tmp", "cur"):
            d = os.path.join(self.maildir, sub)
            for f in os.listdir(d) if os.path.isdir(d) else []:
                os.unlink(os.path.join(d, f))

    def delivered(self):
        d = os.path.join(self.maildir, "new")
        out = []
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                out.append((name, f.read()))
        return out

    def test_ehlo_offers_8bitmime_and_smtputf8(self):
        c = self.client(self.gate_)
        c.greeting()
        kw = ehlo_keywords(c.ehlo())
        self.assertIn("8BITMIME", kw)
        self.assertIn("SMTPUTF8", kw)
        self.assertNotIn("DSN", kw)
        c.cmd("QUIT")

    def test_smtplib_message_lands_in_new_byte_for_byte(self):
        msg = CRLF.join([
            b"From: <a@example.com>", b"To: <user@example.org>", b"Subject: maildir",
            b"", b"..x", b".", b"\xc3\xa9t\xc3\xa9 8-bit", b"w" * 5000, b"end"]) + CRLF
        with self.gate_.smtplib() as s:
            s.sendmail("a@example.com", ["user@example.org", "other@example.org"], msg,
                       mail_options=["BODY=8BITMIME"])
        files = self.delivered()
        self.assertEqual(len(files), 1)
        name, content = files[0]
        self.assertEqual(content, b"Return-Path: <a@example.com>\r\n"
                                  b"Delivered-To: user@example.org\r\n"
                                  b"Delivered-To: other@example.org\r\n" + msg)
        self.assertEqual(os.listdir(os.path.join(self.maildir, "tmp")), [])
        self.assertNotIn("/", name)

    def test_raw_session_exact_bytes_and_smtputf8(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<j\u00f6rg@example.com> SMTPUTF8"), 250)
        self.assertReply(c.cmd("RCPT TO:<\u00fcser@example.org>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        msg = b"Subject: utf8\r\n\r\n.leading dot\r\n\r\n.\r\n"
        c.send(dot_stuff(msg))
        r = self.assertReply(c.reply(), 250, "2.0.0")
        self.assertIn("queued as", r.text)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        (_, content), = self.delivered()
        self.assertEqual(content, "Return-Path: <j\u00f6rg@example.com>\r\n"
                                  "Delivered-To: \u00fcser@example.org\r\n".encode() + msg)

    def test_swaks_like_the_readme(self):
        run = subprocess.run([SWAKS, "--server", "127.0.0.1:%d" % self.gate_.port,
                              "--to", "user@example.org"],
                             capture_output=True, timeout=60 * TIME_SCALE)
        out = run.stdout.decode("utf-8", "replace")
        self.assertEqual(run.returncode, 0, out + run.stderr.decode())
        self.assertRegex(out, r"<-  250 2\.0\.0 Ok: queued as ")
        (_, content), = self.delivered()
        head, _, body = content.partition(b"\r\n\r\n")
        lines = head.split(CRLF)
        self.assertTrue(re.match(rb"Return-Path: <[^<>\s]+@[^<>\s]+>$", lines[0]), lines[0])
        self.assertEqual(lines[1], b"Delivered-To: user@example.org")
        self.assertIn(b"To: user@example.org", lines)
        self.assertIn(b"This is a test mailing", body)


class ShippedDemoTest(GateTestCase):
    """deploy/portcullis.yaml as shipped (only its port changed, so tests can run in
    parallel), driven by the two swaks commands its header documents."""

    def test_shipped_demo(self):
        with open(os.path.join(SOURCE, "deploy", "portcullis.yaml")) as f:
            text = f.read()
        self.assertIn('"127.0.0.1:2525"', text)
        port = free_port()
        # The shipped paths are relative to the repository root (where the README runs it);
        # the maildir stays relative so the mail lands in this test's directory.
        self.assertIn('"./deploy/clamav"', text)
        text = text.replace('"./deploy/clamav"',
                            '"%s"' % os.path.join(SOURCE, "deploy", "clamav"))
        self.assertIn('"./rules/default"', text)
        text = text.replace('"./rules/default"', '"%s"' % os.path.join(SOURCE, "rules", "default"))
        self.gate(cfg=text.replace('"127.0.0.1:2525"', '"127.0.0.1:%d"' % port),
                  port=port, name="demo")

        def swaks(to):
            return subprocess.run([SWAKS, "--server", "127.0.0.1:%d" % port, "--to", to],
                                  capture_output=True, timeout=60 * TIME_SCALE)

        ok = swaks("user@example.org")
        self.assertEqual(ok.returncode, 0, ok.stdout.decode() + ok.stderr.decode())
        new = os.path.join(self.tmp, "var", "demo-mail", "new")
        self.assertEqual(len(os.listdir(new)), 1)
        denied = swaks("someone@elsewhere.test")
        self.assertNotEqual(denied.returncode, 0)
        self.assertIn("<** 550 5.7.1 Relaying denied", denied.stdout.decode())
        self.assertEqual(len(os.listdir(new)), 1)
        # The in-process ClamAV with the shipped demo signature refuses EICAR.
        eicar = os.path.join(SHARED, "testdata", "clamav", "eicar.com")
        virus = subprocess.run([SWAKS, "--server", "127.0.0.1:%d" % port,
                                "--to", "user@example.org", "--attach", "@" + eicar],
                               capture_output=True, timeout=60 * TIME_SCALE)
        self.assertNotEqual(virus.returncode, 0)
        self.assertIn("<** 554 5.7.1 Message rejected: virus Portcullis.Demo.EICAR found",
                      virus.stdout.decode())
        self.assertEqual(len(os.listdir(new)), 1)
        # The shipped content rules refuse the GTUBE test string; the compiled rules were
        # cached under the relative cache_dir.
        gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
        spam = subprocess.run([SWAKS, "--server", "127.0.0.1:%d" % port,
                               "--to", "user@example.org", "--body", gtube],
                              capture_output=True, timeout=60 * TIME_SCALE)
        self.assertNotEqual(spam.returncode, 0)
        self.assertIn("<** 554 5.7.1 Message rejected as spam (GTUBE", spam.stdout.decode())
        self.assertEqual(len(os.listdir(new)), 1)
        self.assertTrue(os.listdir(os.path.join(self.tmp, "var", "rules-cache")))


if __name__ == "__main__":
    unittest.main()
