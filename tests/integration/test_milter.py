"""The milter front door against a real Postfix (postfix_instance.PostfixInstance): Postfix's
smtpd consults portcullis through `smtpd_milters = inet:127.0.0.1:PORT` (milter_default_action
= tempfail), the same pipeline and verdicts as the proxy. A clean message lands in the
Postfix mailbox carrying our Authentication-Results and X-Spam headers (and without a forged
Authentication-Results claiming our authserv-id); an EICAR attachment and a blocklisted
sender are refused with portcullis's own reply text as the SMTP client sees it through
Postfix. Every test fails if portcullis is not in the path: the headers and reply texts are
ours. (GTUBE is the content-rules issue's: no rule engine in this build yet.)
"""
import base64
import os
import smtplib
import unittest

from harness import SHARED, SOURCE, GateTestCase, free_port
from dnsserver import DnsServer
from postfix_instance import PostfixInstance

AUTHSERV = "gate.portcullis.test"
EICAR = open(os.path.join(SHARED, "testdata", "clamav", "eicar.com"), "rb").read()


def message(subject, body="Hello through the milter.\r\n", extra_headers=(), sender="a@good.test"):
    head = ["From: Alice <%s>" % sender, "To: alice@postfix.test", "Subject: %s" % subject,
            "Message-ID: <%s@good.test>" % subject.replace(" ", "-")]
    return ("\r\n".join(list(extra_headers) + head) + "\r\n\r\n" + body).encode()


def with_eicar(subject):
    body = ("--b1\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
            "--b1\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename=\"eicar.com\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.b64encode(EICAR).decode() + "\r\n--b1--\r\n")
    head = ["From: Alice <a@good.test>", "To: alice@postfix.test", "Subject: %s" % subject,
            "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"']
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


class MilterTest(GateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dns = DnsServer(cls.class_tmp, {"good.test": "v=spf1 ip4:127.0.0.1 -all"})
        cls.addClassCleanup(cls.dns.stop)
        cls.milter_port = free_port()
        cls.gate_ = cls.class_gate(
            name="milter-gate", backend="maildir:%s" % os.path.join(cls.class_tmp, "unused"),
            authserv_id=AUTHSERV,
            milter={"address": "127.0.0.1:%d" % cls.milter_port},
            dns={"servers": ["127.0.0.1:%d" % cls.dns.port], "timeout": "1s", "attempts": 1},
            filters={
                "access": {"deny_senders": ["@blocked.test"]},
                "spf": {},
                "antivirus": {"database": os.path.join(SOURCE, "deploy", "clamav")},
            },
            policy={"reject": 50, "add_header": -10})
        cls.gate_.wait_log(r"milter listening on 127\.0\.0\.1:%d" % cls.milter_port)
        cls.pf = PostfixInstance(cls.class_tmp, milter=cls.milter_port)
        cls.addClassCleanup(cls.pf.stop)
        cls.pf.start()

    def send(self, msg, sender="a@good.test", rcpts=("alice@postfix.test",)):
        with smtplib.SMTP("127.0.0.1", self.pf.port, local_hostname="client.good.test",
                          timeout=30) as s:
            return s.sendmail(sender, list(rcpts), msg)

    def delivered(self, subject):
        for msg in self.pf.wait_delivered(1, user="alice", seconds=20):
            if ("Subject: %s" % subject).encode() in msg:
                return msg
        raise AssertionError("no delivered message %r; maillog:\n%s" % (
            subject, self.pf.log_tail()))

    def wait_for(self, subject):
        import time
        end = time.monotonic() + 20
        while time.monotonic() < end:
            for msg in self.pf.mailbox_messages("alice"):
                if ("Subject: %s" % subject).encode() in msg:
                    return msg
            time.sleep(0.1)
        raise AssertionError("no delivered message %r; maillog:\n%s\ngate log:\n%s" % (
            subject, self.pf.log_tail(), self.gate_.log()[-3000:]))

    def test_clean_message_gets_our_headers(self):
        forged = "Authentication-Results: %s; spf=pass smtp.mailfrom=forged.test" % AUTHSERV
        upstream = "Authentication-Results: upstream.example; dkim=pass"
        self.assertFalse(self.send(message("clean one", extra_headers=[forged, upstream])))
        msg = self.wait_for("clean one").decode("utf-8", "replace")
        unfolded = msg.replace("\n ", " ").replace("\n\t", " ")
        ours = [l for l in unfolded.splitlines()
                if l.lower().startswith("authentication-results: %s;" % AUTHSERV)]
        self.assertEqual(len(ours), 1, msg)
        self.assertIn("spf=pass smtp.mailfrom=good.test", ours[0])
        self.assertNotIn("forged.test", msg)
        self.assertIn("Authentication-Results: upstream.example; dkim=pass", unfolded)
        self.assertRegex(unfolded, r"(?m)^X-Spam-Score: -?[0-9.]+")
        self.assertRegex(unfolded, r"(?m)^X-Spam-Status: ")
        # The body arrives untouched.
        self.assertIn("Hello through the milter.", msg)
        self.gate_.wait_log(r"m[0-9a-f]+: .*a@good\.test")

    def test_virus_refused_with_our_text(self):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send(with_eicar("virus one"))
        self.assertEqual(cm.exception.smtp_code, 554, cm.exception)
        self.assertIn(b"5.7.1 Message rejected: virus", cm.exception.smtp_error)
        self.pf.wait_queue_empty()

    def test_blocklisted_sender_refused_at_mail(self):
        with self.assertRaises((smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused)) as cm:
            self.send(message("blocked one", sender="x@blocked.test"), sender="x@blocked.test")
        err = cm.exception
        code = err.smtp_code if hasattr(err, "smtp_code") else list(err.recipients.values())[0][0]
        self.assertEqual(code // 100, 5, err)

    def test_several_transactions_on_one_connection(self):
        with smtplib.SMTP("127.0.0.1", self.pf.port, local_hostname="client.good.test",
                          timeout=30) as s:
            s.sendmail("a@good.test", ["alice@postfix.test"], message("multi one"))
            with self.assertRaises(smtplib.SMTPDataError):
                s.sendmail("a@good.test", ["alice@postfix.test"], with_eicar("multi two"))
            s.sendmail("a@good.test", ["alice@postfix.test"], message("multi three"))
        self.wait_for("multi one")
        self.wait_for("multi three")


if __name__ == "__main__":
    unittest.main()
