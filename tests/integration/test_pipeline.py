"""The filter pipeline through the real binary (DESIGN.md "The pipeline"; docs/filters.md,
docs/config.md#policy): access lists at connect, MAIL and RCPT; HELO checks and the policy
thresholds turning their scores into an action; forged verdict headers; the summary log line
(text and JSON); --check-config over `filters:`; SIGHUP reload of the pipeline.

Backends are real smtp-sinks behind a WireTap (byte recorder), so "the backend was never
contacted" and "the message went out dot-stuffed, byte for byte" are checked on the wire.
Clients are raw sockets (exact replies) and smtplib. Tests that need a client the gate sees
as a stranger (not loopback, not its own listener address: HELO_FORGED_OWN) connect from
this host's non-loopback address (harness.local_source_ipv4()) and skip without one.
"""

import json
import os
import re
import signal
import tempfile
import unittest

from harness import (CRLF, GateTestCase, HOSTNAME, WireTap, crlf_to_lf, data_payloads, dot_stuff,
                     local_source_ipv4, run_cli, to_yaml)

DENIED_REPLY = b"503 5.5.1 Error: no SMTP service for you here\r\n"

# The summary line of one transaction (proxy/transaction_log.cpp, text format).
SUMMARY = re.compile(
    r'client=\[(?P<ip>[^\]]+)\]:(?P<port>\d+) helo=<(?P<helo>[^>]*)> from=<(?P<from>[^>]*)> '
    r'to=(?P<to>\S*) size=(?P<size>\d+) action=(?P<action>\w+) score=(?P<score>-?\d+\.\d) '
    r'symbols=(?P<symbols>\S+) reply="(?P<reply>[^"]*)" time=(?P<time>\d+)ms')


def message(subject, body=("hello",), headers=()):
    lines = ["From: <a@example.com>", "To: <u@example.org>", "Subject: %s" % subject]
    lines += list(headers) + [""] + list(body)
    return CRLF.join(l.encode("utf-8") if isinstance(l, str) else l for l in lines) + CRLF


BODY = ["first line", ".one dot at the start", ".", "..two dots", "X-Spam-Status: No (body)",
        "last line"]


def summaries(gate, port):
    """The summary lines of the sessions from client port `port`, oldest first."""
    return [m.groupdict() for m in SUMMARY.finditer(gate.log()) if int(m.group("port")) == port]


def send_transaction(test, c, sender, rcpts, msg):
    """MAIL, each RCPT and DATA one at a time, then the message when DATA got 354.
    Returns (mail reply, [rcpt replies], data reply, final reply or None)."""
    mail = c.cmd("MAIL FROM:<%s>" % sender)
    rcpt = [c.cmd("RCPT TO:<%s>" % r) for r in rcpts]
    data = c.cmd("DATA")
    final = None
    if data.code == 354:
        c.send(dot_stuff(msg))
        final = c.reply()
    return mail, rcpt, data, final


class PipelineTestCase(GateTestCase):
    """A class-wide smtp-sink behind a WireTap; subclasses add their gates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        cls.wire = WireTap(cls.sink_.port)
        cls.addClassCleanup(cls.wire.close)

    def setUp(self):
        super().setUp()
        self.sink_.clear()
        self.mark = self.wire.mark()

    def stranger(self):
        ip = local_source_ipv4()
        if not ip:
            self.skipTest("this host has no non-loopback IPv4 address to connect from")
        return ip

    def backend_bytes(self):
        """What the gate sent to the backend since setUp, all connections together."""
        return b"".join(self.wire.since(self.mark))

    def payloads(self):
        out = []
        for conn in self.wire.since(self.mark):
            out += data_payloads(conn)
        return out

    def assertNothingDelivered(self):
        self.assertEqual([d.raw[:300] for d in self.sink_.dumps()], [])
        self.assertNotIn(b"DATA\r\n", self.backend_bytes())

    def assertBackendUntouched(self):
        """No backend connection opened and nothing sent on a kept one since setUp (but the
        QUIT that may end an idle connection kept from an earlier test)."""
        self.assertEqual(self.wire.opened_since(self.mark), 0)
        self.assertEqual(self.backend_bytes().replace(b"QUIT\r\n", b""), b"")
        self.assertEqual(self.sink_.dumps(), [])

    def assertDelivered(self, wire_message, sender="a@example.com", rcpts=("u@example.org",),
                        count=1):
        """`count` messages at the sink, each `wire_message` (with the gate's headers), and the
        wire carried it dot-stuffed with CRLF, byte for byte."""
        dumps = self.sink_.wait_dumps(count)
        self.assertEqual(len(dumps), count, [d.raw[:300] for d in dumps])
        for d in dumps:
            self.assertEqual(d.mail_args, "<%s>" % sender)
            self.assertEqual(d.rcpt_args, ["<%s>" % r for r in rcpts])
            self.assertEqual(d.body, crlf_to_lf(wire_message))
        self.assertEqual(self.payloads(), [dot_stuff(wire_message)] * count)
        return dumps


# --- access lists --------------------------------------------------------------------------

class AccessConnectTest(PipelineTestCase):
    """deny_clients / allow_clients at the connect stage, and client_reply."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.deny = cls.class_gate(backend=cls.wire.port, name="deny-gate",
                                  filters={"access": {"deny_clients": ["127.0.0.0/8"]}})
        cls.busy = cls.class_gate(
            backend=cls.wire.port, name="busy-gate",
            filters={"access": {"deny_clients": ["127.0.0.0/8"],
                                "client_reply": "421 4.7.0 Too much from your network, later"}})
        cls.allow = cls.class_gate(
            backend=cls.wire.port, name="allow-gate",
            filters={"access": {"allow_clients": ["127.0.0.1"], "deny_clients": ["127.0.0.0/8"]}})

    def test_denied_client_gets_554_then_503_to_everything_but_quit(self):
        c = self.client(self.deny)
        self.assertEqual(c.greeting().raw, b"554 5.7.1 Access denied\r\n")
        # RFC 5321 3.1: after a 554 greeting, only QUIT is served.
        for line in ["EHLO client.test", "HELO client.test", "MAIL FROM:<a@example.com>",
                     "RCPT TO:<u@example.org>", "DATA", "RSET", "NOOP", "VRFY u"]:
            self.assertEqual(c.cmd(line).raw, DENIED_REPLY, line)
        self.assertEqual(c.cmd("QUIT").raw, b"221 2.0.0 Bye\r\n")
        self.assertTrue(c.wait_closed())
        self.assertEqual(c.buf, b"")
        self.deny.wait_disconnect(c)
        self.assertRegex(self.deny.log(),
                         r"reject: CONNECT from \[127\.0\.0\.1\]:%d: 554 5\.7\.1 Access denied;"
                         r".* symbol=ACCESS_DENY_CLIENT" % c.local_port)
        self.assertBackendUntouched()

    def test_denied_client_pipelined_group_gets_503s_then_221(self):
        c = self.client(self.deny)
        self.assertReply(c.greeting(), 554, "5.7.1")
        c.send(b"EHLO client.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<u@example.org>\r\n"
               b"QUIT\r\n")
        self.assertEqual([r.raw for r in c.replies(4)],
                         [DENIED_REPLY] * 3 + [b"221 2.0.0 Bye\r\n"])
        self.assertTrue(c.wait_closed())
        self.deny.wait_disconnect(c)
        self.assertBackendUntouched()

    def test_421_client_reply_override_is_sent_verbatim_and_closes(self):
        c = self.client(self.busy)
        self.assertEqual(c.greeting().raw,
                         b"421 4.7.0 Too much from your network, later\r\n")
        self.assertTrue(c.wait_closed(), "the gate kept the connection open after its 421")
        self.assertEqual(c.buf, b"")
        self.busy.wait_disconnect(c)
        self.assertBackendUntouched()

    def test_allow_clients_wins_over_deny_clients(self):
        msg = message("allowed client", BODY)
        with self.allow.smtplib() as s:
            self.assertEqual(s.sendmail("a@example.com", ["u@example.org"], msg), {})
            port = s.sock.getsockname()[1]
        self.allow.wait_disconnect(port)
        self.assertDelivered(msg)
        [line] = summaries(self.allow, port)
        self.assertEqual((line["action"], line["symbols"]), ("accept", "ACCESS_ALLOW_CLIENT(0.0)"))


class AccessEnvelopeTest(PipelineTestCase):
    """deny/allow senders and recipients; a sender_reply override; the backend is opened only
    when MAIL passed the filters, and a refused RCPT never reaches it."""

    SENDER_REPLY = "553 5.7.1 Sender refused by the test policy"
    RCPT_REPLY = b"550 5.7.1 Recipient address rejected: Access denied\r\n"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gate_ = cls.class_gate(
            backend=cls.wire.port, name="envelope-gate",
            relay_domains=["example.org", "lists.example.org"],
            filters={"access": {
                "allow_senders": ["partner@spam.example"],
                "deny_senders": ["@spam.example", "@.spam.example"],
                "allow_recipients": ["owner@lists.example.org"],
                "deny_recipients": ["trap@example.org", "@lists.example.org"],
                "sender_reply": cls.SENDER_REPLY}})

    def test_denied_sender_refused_at_mail_and_backend_never_contacted(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        for sender in ["bob@spam.example", "Bob@SPAM.Example", "x@mx.spam.example"]:
            self.assertEqual(c.cmd("MAIL FROM:<%s>" % sender).raw,
                             self.SENDER_REPLY.encode() + CRLF, sender)
            self.assertReply(c.cmd("RCPT TO:<u@example.org>"), 503, "5.5.1")
        self.assertReply(c.cmd("QUIT"), 221)
        self.gate_.wait_disconnect(c)
        self.assertBackendUntouched()
        self.assertRegex(self.gate_.log(),
                         r"reject: MAIL from \[127\.0\.0\.1\]:%d: 553 5\.7\.1 Sender refused by "
                         r"the test policy; from=<bob@spam\.example> .*symbol=ACCESS_DENY_SENDER"
                         % c.local_port)

    def test_pipelined_group_after_denied_sender(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        c.send(b"MAIL FROM:<bob@spam.example>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n")
        r = c.replies(3)
        self.assertEqual([(x.code, x.enhanced) for x in r],
                         [(553, "5.7.1"), (503, "5.5.1"), (503, "5.5.1")])
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertBackendUntouched()

    def test_good_transaction_after_a_denied_sender_in_the_same_session(self):
        msg = message("after a refusal", BODY)
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<bob@spam.example>"), 553)
        mail, rcpt, data, final = send_transaction(self, c, "a@example.com", ["u@example.org"],
                                                   msg)
        self.assertEqual([mail.code, rcpt[0].code, data.code, final.code], [250, 250, 354, 250])
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(msg)
        self.assertNotIn(b"spam.example", self.backend_bytes())

    def test_allowed_sender_wins_over_domain_deny(self):
        msg = message("partner", BODY)
        with self.gate_.smtplib() as s:
            self.assertEqual(s.sendmail("partner@spam.example", ["u@example.org"], msg), {})
            port = s.sock.getsockname()[1]
        self.gate_.wait_disconnect(port)
        self.assertDelivered(msg, sender="partner@spam.example")
        [line] = summaries(self.gate_, port)
        self.assertEqual(line["symbols"], "ACCESS_ALLOW_SENDER(0.0)")

    def test_denied_recipient_refused_others_still_delivered(self):
        msg = message("some recipients denied", BODY)
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        mail, rcpt, data, final = send_transaction(
            self, c, "a@example.com",
            ["trap@example.org", "u@example.org", "TRAP@Example.ORG", "v@example.org"], msg)
        self.assertReply(mail, 250)
        self.assertEqual([r.raw for r in rcpt],
                         [self.RCPT_REPLY, b"250 2.1.5 Ok\r\n", self.RCPT_REPLY,
                          b"250 2.1.5 Ok\r\n"])
        self.assertReply(data, 354)
        self.assertReply(final, 250, "2.0.0")
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(msg, rcpts=("u@example.org", "v@example.org"))
        self.assertNotIn(b"trap@", self.backend_bytes().lower())
        [line] = summaries(self.gate_, c.local_port)
        self.assertEqual(line["to"], "<u@example.org>,<v@example.org>")
        self.assertEqual(line["symbols"], "ACCESS_DENY_RECIPIENT(0.0),ACCESS_DENY_RECIPIENT(0.0)")
        self.assertEqual(line["action"], "accept")

    def test_allowed_recipient_wins_over_domain_deny(self):
        msg = message("list owner", BODY)
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        mail, rcpt, data, final = send_transaction(
            self, c, "a@example.com", ["owner@lists.example.org", "members@lists.example.org"],
            msg)
        self.assertEqual([r.raw for r in rcpt], [b"250 2.1.5 Ok\r\n", self.RCPT_REPLY])
        self.assertReply(final, 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(msg, rcpts=("owner@lists.example.org",))

    def test_every_recipient_denied_nothing_delivered(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        mail, rcpt, data, final = send_transaction(self, c, "a@example.com",
                                                   ["trap@example.org"], b"")
        self.assertReply(mail, 250)
        self.assertEqual(rcpt[0].raw, self.RCPT_REPLY)
        self.assertEqual(data.raw, b"554 5.5.1 Error: no valid recipients\r\n")
        self.assertIsNone(final)
        self.assertReply(c.cmd("QUIT"), 221)
        self.gate_.wait_disconnect(c)
        self.assertNothingDelivered()
        self.assertNotIn(b"RCPT TO:<trap", self.backend_bytes())


# --- HELO checks and the policy --------------------------------------------------------------

POLICY = {"add_header": 1, "quarantine": 4, "tempfail": 6, "reject": 8}
HELO_SCORES = {"HELO_BAD_SYNTAX": 7, "HELO_BARE_IP": 9}


def spam_headers(score, tests, quarantine=None):
    """Our headers as policy.cpp writes them, with required = 1.0 (the add_header threshold)."""
    out = b"X-Spam-Score: %s\r\nX-Spam-Status: Yes, score=%s required=1.0 tests=%s\r\n" % (
        score.encode(), score.encode(), tests.encode())
    if quarantine:
        out += b"X-Portcullis-Quarantine: %s\r\n" % quarantine.encode()
    return out


class HeloPolicyTest(PipelineTestCase):
    """helo scores through policy {add_header: 1, quarantine: 4, tempfail: 6, reject: 8} with
    HELO_BAD_SYNTAX scored 7 (tempfail) and HELO_BARE_IP 9 (reject); a second gate with
    reject_forged_own: true."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gate_ = cls.class_gate(backend=cls.wire.port, name="helo-gate",
                                   filters={"helo": {"scores": HELO_SCORES}}, policy=POLICY)
        cls.strict = cls.class_gate(backend=cls.wire.port, name="strict-helo-gate",
                                    filters={"helo": {"reject_forged_own": True}})

    def one_message(self, helo, msg, gate=None, source=None):
        gate = gate or self.gate_
        c = self.client(gate, source=source)
        self.assertReply(c.greeting(), 220)
        self.assertReply(c.ehlo(helo), 250)
        mail, rcpt, data, final = send_transaction(self, c, "a@example.com", ["u@example.org"],
                                                   msg)
        self.assertEqual([mail.code, rcpt[0].code, data.code], [250, 250, 354])
        self.assertReply(c.cmd("QUIT"), 221)
        gate.wait_disconnect(c)
        [line] = summaries(gate, c.local_port)
        return final, line

    def test_not_fqdn_adds_spam_headers(self):
        msg = message("not fqdn", BODY)
        final, line = self.one_message("mypc", msg)
        self.assertEqual(final.raw, b"250 2.0.0 Ok\r\n")
        self.assertDelivered(spam_headers("1.0", "HELO_NOT_FQDN") + msg)
        self.assertEqual((line["helo"], line["action"], line["score"], line["symbols"],
                          line["reply"]),
                         ("mypc", "add_header", "1.0", "HELO_NOT_FQDN(1.0)", "250 2.0.0 Ok"))
        self.assertEqual(int(line["size"]), len(dot_stuff(msg)) - 3)

    def test_good_helo_is_accepted_without_headers(self):
        msg = message("good helo", BODY)
        final, line = self.one_message("mail.client.test", msg)
        self.assertReply(final, 250)
        self.assertDelivered(msg)
        self.assertEqual((line["action"], line["score"], line["symbols"]), ("accept", "0.0", "-"))

    def test_forged_own_helo_from_a_stranger_is_quarantined(self):
        ip = self.stranger()
        msg = message("forged own", BODY)
        final, line = self.one_message(HOSTNAME, msg, source=ip)
        self.assertReply(final, 250)
        self.assertDelivered(spam_headers("5.0", "HELO_FORGED_OWN", "score 5.0 >= 4.0") + msg)
        self.assertEqual((line["ip"], line["action"], line["score"], line["symbols"]),
                         (ip, "quarantine", "5.0", "HELO_FORGED_OWN(5.0)"))
        # portcullis scan reproduces it from the saved message and the envelope.
        path = os.path.join(self.tmp, "forged.eml")
        with open(path, "wb") as f:
            f.write(msg)
        run = run_cli(["scan", "--config", self.gate_.config_path, "--client-ip", ip, "--helo",
                       HOSTNAME, "--mail-from", "a@example.com", "--rcpt", "u@example.org",
                       "--json", "--", path])
        self.assertEqual(run.returncode, 0, run.stderr)
        got = json.loads(run.stdout)
        self.assertEqual((got["action"], got["score"], got["reply"], got["symbols"]),
                         ("quarantine", 5, "250 2.0.0 Ok",
                          [{"name": "HELO_FORGED_OWN", "score": 5, "detail": HOSTNAME}]))

    def test_own_name_from_loopback_is_not_forged(self):
        msg = message("own name from loopback", BODY)
        final, line = self.one_message(HOSTNAME.upper() + ".", msg)
        self.assertReply(final, 250)
        self.assertDelivered(msg)
        self.assertEqual((line["action"], line["symbols"]), ("accept", "-"))

    def test_tempfail_threshold_451_and_nothing_delivered(self):
        final, line = self.one_message("my_pc", message("tempfail", BODY))
        self.assertEqual(final.raw, b"451 4.7.1 Try again later\r\n")
        self.assertNothingDelivered()
        self.assertIn(b"RSET\r\n", self.backend_bytes())
        self.assertEqual((line["action"], line["score"], line["symbols"], line["reply"]),
                         ("tempfail", "7.0", "HELO_BAD_SYNTAX(7.0)", "451 4.7.1 Try again later"))

    def test_reject_threshold_554_after_the_dot_and_nothing_delivered(self):
        final, line = self.one_message("192.0.2.77", message("reject", BODY))
        self.assertEqual(final.raw, b"554 5.7.1 Message rejected as spam\r\n")
        self.assertNothingDelivered()
        self.assertEqual((line["action"], line["score"], line["symbols"], line["reply"]),
                         ("reject", "9.0", "HELO_BARE_IP(9.0)",
                          "554 5.7.1 Message rejected as spam"))

    def test_session_symbols_count_in_every_transaction(self):
        msgs = [message("session %d" % i, BODY + ["number %d" % i]) for i in range(3)]
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo("mypc")
        c.ehlo("mypc")  # a second EHLO replaces the first one's symbols, never adds to them
        for i in range(2):
            *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msgs[i])
            self.assertReply(final, 250)
        self.assertReply(c.cmd("RSET"), 250)
        c.ehlo("mail.client.test")  # and a good name drops them
        *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msgs[2])
        self.assertReply(final, 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        dumps = self.sink_.wait_dumps(3)
        self.assertEqual(sorted(d.body for d in dumps),
                         sorted([crlf_to_lf(spam_headers("1.0", "HELO_NOT_FQDN") + msgs[0]),
                                 crlf_to_lf(spam_headers("1.0", "HELO_NOT_FQDN") + msgs[1]),
                                 crlf_to_lf(msgs[2])]))
        lines = summaries(self.gate_, c.local_port)
        self.assertEqual([(l["helo"], l["action"], l["score"], l["symbols"]) for l in lines],
                         [("mypc", "add_header", "1.0", "HELO_NOT_FQDN(1.0)")] * 2 +
                         [("mail.client.test", "accept", "0.0", "-")])

    def test_refused_message_then_next_transaction_in_the_same_session(self):
        msg = message("after a tempfail", BODY)
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo("my_pc")
        *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msg)
        self.assertReply(final, 451, "4.7.1")
        c.ehlo("mail.client.test")
        *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msg)
        self.assertReply(final, 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(msg)

    def test_reject_forged_own_550_at_ehlo(self):
        ip = self.stranger()
        c = self.client(self.strict, source=ip)
        c.greeting()
        for name in [HOSTNAME, "Gate.Test.", "[127.0.0.1]"]:
            self.assertEqual(c.cmd("EHLO " + name).raw,
                             b"550 5.7.1 Helo command rejected: You are not me\r\n", name)
            self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 503, "5.5.1")
        self.assertEqual(c.cmd("HELO [%s]" % ip).raw, b"250 gate.test\r\n")
        msg = message("after a refused EHLO", BODY)
        *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msg)
        self.assertReply(final, 250)
        c.cmd("QUIT")
        self.strict.wait_disconnect(c)
        self.assertDelivered(msg)
        self.assertRegex(self.strict.log(),
                         r"reject: EHLO from \[%s\]:%d: 550 5\.7\.1 Helo command rejected: You "
                         r"are not me;.* symbol=HELO_FORGED_OWN" % (re.escape(ip), c.local_port))
        # The refused EHLO's symbols do not stay with the session.
        [line] = summaries(self.strict, c.local_port)
        self.assertEqual((line["helo"], line["symbols"]), ("[%s]" % ip, "-"))

    def test_reject_forged_own_lets_loopback_use_our_name(self):
        c = self.client(self.strict)
        c.greeting()
        self.assertReply(c.ehlo(HOSTNAME), 250)
        c.cmd("QUIT")


# --- forged verdict headers ------------------------------------------------------------------

FORGED = [
    "X-Spam-Status: No, score=-5.0 required=5.0",
    "x-spam-score: -100",
    "X-SPAM-Flag:",
    "\tYES, folded onto a continuation line",
    "X-Portcullis-Quarantine: x",
    "X-Portcullis-Quarantine: first line",
    "  second line of the same field",
    "x-portcullis-anything: y",
]
KEPT = [
    "X-Spammy: not ours (no dash after Spam)",
    "X-Portcullis: not ours either",
    "Comments: a folded",
    "\tfield that stays",
]


def forged_message():
    """The message a client sends (forged fields interleaved with kept ones) and what must
    reach the backend (the same without the forged fields)."""
    head = ["Received: from relay.example by mx.example; Mon, 1 Jan 2024 00:00:00 +0000",
            FORGED[0], "From: <a@example.com>", FORGED[1], KEPT[0], FORGED[2], FORGED[3],
            "To: <u@example.org>", FORGED[4], KEPT[1], FORGED[5], FORGED[6], KEPT[2], KEPT[3],
            FORGED[7], "Subject: forged verdicts"]
    kept = [l for l in head if l not in FORGED]
    body = [""] + BODY + ["X-Portcullis-Quarantine: in the body, untouched", "", "."]
    sent = CRLF.join(l.encode() for l in head + body) + CRLF
    expected = CRLF.join(l.encode() for l in kept + body) + CRLF
    return sent, expected


class VerdictHeaderTest(PipelineTestCase):
    """Incoming X-Spam-* / X-Portcullis-* fields (any case, folded or not) are removed; ours
    are added when the policy says so; everything else, body included, is untouched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gate_ = cls.class_gate(backend=cls.wire.port, name="headers-gate",
                                   filters={"helo": {}}, policy={"add_header": 1})
        cls.bare = cls.class_gate(backend=cls.wire.port, name="no-filters-gate")

    def deliver(self, gate, helo):
        sent, expected = forged_message()
        c = self.client(gate)
        c.greeting()
        c.ehlo(helo)
        *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], sent)
        self.assertReply(final, 250)
        c.cmd("QUIT")
        gate.wait_disconnect(c)
        return expected

    def test_forged_fields_removed_on_accept(self):
        expected = self.deliver(self.gate_, "mail.client.test")
        self.assertDelivered(expected)

    def test_forged_fields_removed_and_ours_added(self):
        expected = self.deliver(self.gate_, "mypc")
        self.assertDelivered(spam_headers("1.0", "HELO_NOT_FQDN") + expected)

    def test_long_spam_status_is_folded(self):
        # Our listener address as a literal from a stranger: HELO_FORGED_OWN (5) and
        # HELO_IP_MISMATCH (1); the X-Spam-Status line passes 78 columns and is folded after
        # the comma (policy.cpp), like SpamAssassin's.
        ip = self.stranger()
        msg = message("two symbols", BODY)
        c = self.client(self.gate_, source=ip)
        c.greeting()
        c.ehlo("[127.0.0.1]")
        *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msg)
        self.assertReply(final, 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(
            b"X-Spam-Score: 6.0\r\n"
            b"X-Spam-Status: Yes, score=6.0 required=1.0 tests=HELO_FORGED_OWN,\r\n"
            b"\tHELO_IP_MISMATCH\r\n" + msg)

    def test_forged_fields_removed_without_any_filter(self):
        # docs/config.md#policy: removed "from every message before delivery".
        expected = self.deliver(self.bare, "mail.client.test")
        self.assertDelivered(expected)


# --- JSON log --------------------------------------------------------------------------------

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:?\d\d)$")


class JsonLogTest(PipelineTestCase):
    """log: {format: json}: every line on stderr is one JSON object; transaction lines carry
    the summary as members, the others a "msg"."""

    def test_every_line_is_json_and_transactions_have_every_field(self):
        gate = self.gate(backend=self.wire.port, name="json-gate", log={"format": "json"},
                         filters={"access": {"deny_senders": ["@spam.example"]}, "helo": {}},
                         policy={"add_header": 1, "reject": 3})
        msg = message("json", BODY)
        c = self.client(gate)
        c.greeting()
        c.ehlo("mypc")
        for _ in range(2):
            *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msg)
            self.assertReply(final, 250)
        self.assertReply(c.cmd("MAIL FROM:<bob@spam.example>"), 550, "5.7.1")
        # Client text with JSON's special characters in a "msg" line.
        self.assertReply(c.cmd('MAIL FROM:<"q\\"uo\\\\te"@spam.example>'), 550, "5.7.1")
        c.cmd("QUIT")
        gate.wait_disconnect(c)
        weird = 'we"ird\\name'
        c2 = self.client(gate)
        c2.greeting()
        c2.ehlo(weird)
        *_, final = send_transaction(self, c2, "", ["u@example.org", "v@example.org"], msg)
        self.assertEqual(final.raw, b"554 5.7.1 Message rejected as spam\r\n")
        c2.cmd("QUIT")
        gate.wait_disconnect(c2)
        gate.stop()
        self.assertEqual(gate.returncode, 0)

        with open(gate.log_path, "rb") as f:
            raw_lines = f.read().split(b"\n")
        self.assertEqual(raw_lines[-1], b"", "the log does not end with a newline")
        objects = []
        for n, raw in enumerate(raw_lines[:-1], 1):
            try:
                obj = json.loads(raw)  # bytes: must also be valid UTF-8
            except ValueError as e:
                self.fail("log line %d is not JSON (%s): %r" % (n, e, raw[:300]))
            self.assertIsInstance(obj, dict, raw)
            self.assertRegex(obj.get("time", ""), TIME, raw)
            self.assertIn(obj.get("level"), ("trace", "debug", "info", "warning", "error",
                                             "critical"), raw)
            if obj.get("event") == "transaction":
                objects.append(obj)
            else:
                self.assertNotIn("event", obj, raw)
                self.assertIsInstance(obj.get("msg"), str, raw)
        fields = {"time", "level", "event", "client_ip", "client_port", "helo", "from", "to",
                  "size", "action", "score", "symbols", "reply", "time_ms"}
        self.assertEqual(len(objects), 3, objects)
        for obj in objects:
            self.assertLessEqual(fields, set(obj), obj)
            self.assertEqual(obj["client_ip"], "127.0.0.1")
            self.assertIsInstance(obj["client_port"], int)
            self.assertEqual(obj["size"], len(dot_stuff(msg)) - 3)
            self.assertIsInstance(obj["time_ms"], int)
            self.assertGreaterEqual(obj["time_ms"], 0)
            for s in obj["symbols"]:
                self.assertEqual(set(s), {"name", "score", "detail"}, s)
        first, second, third = objects
        for o in (first, second):
            self.assertEqual(
                (o["client_port"], o["helo"], o["from"], o["to"], o["action"], o["score"],
                 o["symbols"], o["reply"]),
                (c.local_port, "mypc", "a@example.com", ["u@example.org"], "add_header", 1,
                 [{"name": "HELO_NOT_FQDN", "score": 1, "detail": "mypc"}], "250 2.0.0 Ok"))
        self.assertEqual(
            (third["client_port"], third["helo"], third["from"], third["to"], third["action"],
             third["score"], third["symbols"], third["reply"]),
            (c2.local_port, weird, "", ["u@example.org", "v@example.org"], "reject", 3,
             [{"name": "HELO_BAD_SYNTAX", "score": 3, "detail": weird}],
             "554 5.7.1 Message rejected as spam"))
        msgs = [json.loads(l)["msg"] for l in raw_lines[:-1] if b'"msg":' in l]
        self.assertTrue(any("portcullis ready" in m for m in msgs), msgs)
        self.assertTrue(any(re.search(r"reject: MAIL from .*symbol=ACCESS_DENY_SENDER", m)
                            for m in msgs), msgs)
        self.assertTrue(any('from=<"q\\"uo\\\\te"@spam.example>' in m for m in msgs), msgs)


# --- reload ----------------------------------------------------------------------------------

class ReloadTest(PipelineTestCase):
    """SIGHUP rebuilds the pipeline for new sessions; a broken `filters:` keeps the old one."""

    def start(self):
        gate = self.gate(backend=self.wire.port, name="reload-gate",
                         filters={"access": {"deny_senders": ["@old.example"]}})
        return gate

    def reload(self, gate, text, ok=True):
        since = gate.log_offset()
        gate.write_config(text)
        gate.send_signal(signal.SIGHUP)
        if ok:
            gate.wait_log(r"reloaded ", since=since)
        return since

    def mail_code(self, c, sender):
        code = c.cmd("MAIL FROM:<%s>" % sender).code
        if code == 250:
            self.assertReply(c.cmd("RSET"), 250)
        return code

    def test_changed_filters_apply_to_new_sessions(self):
        gate = self.start()
        before = self.client(gate)
        before.greeting()
        before.ehlo("mypc")
        self.assertEqual(self.mail_code(before, "a@old.example"), 550)

        cfg = dict(gate.cfg, filters={"access": {"deny_senders": ["@new.example"]}, "helo": {}},
                   policy={"add_header": 1})
        self.reload(gate, to_yaml(cfg))

        c = self.client(gate)
        c.greeting()
        c.ehlo("mypc")
        self.assertEqual(self.mail_code(c, "a@old.example"), 250)
        self.assertEqual(self.mail_code(c, "a@new.example"), 550)
        msg = message("after reload", BODY)
        *_, final = send_transaction(self, c, "a@example.com", ["u@example.org"], msg)
        self.assertReply(final, 250)
        c.cmd("QUIT")
        gate.wait_disconnect(c)
        self.assertDelivered(spam_headers("1.0", "HELO_NOT_FQDN") + msg)

        # The session opened before the reload keeps the pipeline it started with.
        self.assertEqual(self.mail_code(before, "a@old.example"), 550)
        self.assertEqual(self.mail_code(before, "a@new.example"), 250)
        before.cmd("QUIT")

    def test_broken_filters_section_is_refused_and_old_pipeline_serves(self):
        gate = self.start()
        head = {k: v for k, v in gate.cfg.items() if k != "filters"}
        top = to_yaml(head)
        line = top.count("\n") + 2
        for section, fragment in [
                ('  access: {deny_clients: [192.0.2.1/24]}\n',
                 "filters.access.deny_clients[0]: 192.0.2.1/24 has host bits set; "
                 "did you mean 192.0.2.0/24?"),
                ('  acess: {deny_senders: ["@new.example"]}\n',
                 "filters.acess: unknown filter; did you mean 'access'?"),
                ('  dnsbl: {}\n', "filters.dnsbl: not supported by this build yet"),
                ('  helo: {scores: {HELO_NOT_FQD: 2}}\n',
                 "filters.helo.scores.HELO_NOT_FQD: unknown key; did you mean 'HELO_NOT_FQDN'?")]:
            since = self.reload(gate, top + "filters:\n" + section, ok=False)
            m = gate.wait_log(r"reload refused: (\S+?):(\d+):(\d+): (.*)", since=since)
            self.assertEqual((m.group(1), int(m.group(2)), m.group(4)),
                             (gate.config_path, line, fragment))
            self.assertNotIn("reloaded ", gate.log()[since:])
            # The old pipeline still serves new sessions.
            c = self.client(gate)
            c.greeting()
            c.ehlo()
            self.assertEqual(self.mail_code(c, "a@old.example"), 550, section)
            self.assertEqual(self.mail_code(c, "a@new.example"), 250, section)
            c.cmd("QUIT")
            gate.wait_disconnect(c)


# --- --check-config over filters -------------------------------------------------------------

HEAD = ('hostname: gate.test\n'
        'listeners: [{name: mx, address: "127.0.0.1:2525"}]\n'
        'backend: {address: "127.0.0.1:10025"}\n')


class FilterConfigCheckTest(unittest.TestCase):
    """portcullis --check-config builds the pipeline: problems in `filters:` are exit 2 with
    FILE:LINE:COL, like every other config problem."""

    def setUp(self):
        d = tempfile.TemporaryDirectory(prefix="portcullis-it-filters-check-")
        self.addCleanup(d.cleanup)
        self.dir = d.name

    def check(self, text):
        path = os.path.join(self.dir, "portcullis.yaml")
        with open(path, "w") as f:
            f.write(text)
        run = run_cli(["--check-config", "--config", path])
        return path, run.returncode, run.stdout.decode(), run.stderr.decode()

    def assertProblems(self, text, expected):
        """expected: [(line, column, message after 'FILE:LINE:COL: ')], in file order."""
        path, code, out, err = self.check(text)
        self.assertEqual(code, 2, out + err)
        self.assertEqual(out, "")
        self.assertEqual(err.splitlines(),
                         ["%s:%d:%d: %s" % (path, line, col, msg) for line, col, msg in expected])

    def test_valid_filters_are_ok(self):
        path, code, out, err = self.check(
            HEAD + 'filters:\n'
            '  access: {deny_clients: [192.0.2.0/24, "2001:db8::/32"], deny_senders: ["<>"],\n'
            '           client_reply: "421 4.7.0 Later", deadline: 2s, on_error: continue}\n'
            '  helo: {scores: {HELO_NOT_FQDN: 0.5, HELO_BARE_IP: -1}, reject_forged_own: true}\n'
            'policy: {reject: 15, add_header: 5}\n')
        self.assertEqual((code, out.strip(), err), (0, path + ": ok", ""))

    def test_bad_deny_clients_entries(self):
        self.assertProblems(
            HEAD + 'filters:\n'
            '  access:\n'
            '    deny_clients: [192.0.2.1/24, mx.example.org]\n',
            [(6, 20, "filters.access.deny_clients[0]: 192.0.2.1/24 has host bits set; did you "
                     "mean 192.0.2.0/24?"),
             (6, 34, 'filters.access.deny_clients[1]: expected an address or network like '
                     '192.0.2.0/24 or 2001:db8::/32, got "mx.example.org"')])

    def test_helo_scores_unknown_symbol_and_bad_values(self):
        self.assertProblems(
            HEAD + 'filters:\n'
            '  helo: {scores: {HELO_NOT_FQD: 2, HELO_BARE_IP: 1e3}, reject_forged_own: yes}\n',
            [(5, 19, "filters.helo.scores.HELO_NOT_FQD: unknown key; did you mean "
                     "'HELO_NOT_FQDN'?"),
             (5, 50, 'filters.helo.scores.HELO_BARE_IP: expected a number like 15 or 7.5 (from '
                     '-1000000 to 1000000, at most 6 decimals), got "1e3"'),
             (5, 75, 'filters.helo.reject_forged_own: expected true or false, got "yes"')])

    def test_unknown_and_not_yet_filters_and_bad_reply(self):
        self.assertProblems(
            HEAD + 'filters:\n'
            '  acess: {}\n'
            '  dnsbl: {}\n'
            '  access: {sender_reply: "550 4.7.1 Nope", deadline: 0ms}\n',
            [(5, 3, "filters.acess: unknown filter; did you mean 'access'?"),
             (6, 3, "filters.dnsbl: not supported by this build yet"),
             (7, 26, 'filters.access.sender_reply: the enhanced status code 4.7.1 does not '
                     'match reply code 550 (its class must be 5), got "550 4.7.1 Nope"'),
             (7, 54, "filters.access.deadline: expected a duration from 1ms to 10m, got \"0ms\"")])

    def test_problems_elsewhere_and_in_filters_are_reported_together(self):
        # docs/config.md: "Every problem is reported, not only the first one."
        path, code, out, err = self.check(
            HEAD + 'policy: {reject: lots}\n'
            'filters:\n'
            '  access: {deny_clients: [192.0.2.1/24]}\n')
        self.assertEqual(code, 2, err)
        self.assertRegex(err, r"(?m)^%s:4:\d+: policy\.reject: " % re.escape(path))
        self.assertRegex(err, r"(?m)^%s:6:\d+: filters\.access\.deny_clients\[0\]: "
                         % re.escape(path))


if __name__ == "__main__":
    unittest.main()
