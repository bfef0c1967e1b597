"""The SMTP dialogue the gate answers itself: relay control, every limit, syntax and
sequence errors, enhanced status codes, VRFY/HELP, and the EHLO extensions it advertises
(some only when the backend offers them). Real binary, real smtp-sink."""

import re
import time
import unittest

from harness import (GateTestCase, HOSTNAME, TIME_SCALE, crlf_to_lf, dot_stuff,
                     ehlo_keywords, free_port)

MSG = b"From: <a@example.com>\r\nTo: <user@example.org>\r\nSubject: t\r\n\r\nHello\r\n"


def start_transaction(c, rcpt="user@example.org"):
    c.greeting()
    c.ehlo()
    assert c.cmd("MAIL FROM:<a@example.com>").code == 250
    r = c.cmd("RCPT TO:<%s>" % rcpt)
    assert r.code == 250, r


class RelayTest(GateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        cls.untrusted = cls.class_gate(backend=cls.sink_.port, name="untrusted-gate")
        cls.trusted = cls.class_gate(backend=cls.sink_.port, name="trusted-gate",
                                     trusted_networks=["127.0.0.0/8"])

    def test_foreign_recipient_from_untrusted_client_is_denied(self):
        c = self.client(self.untrusted)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertEqual(c.cmd("RCPT TO:<victim@example.net>").raw,
                         b"550 5.7.1 Relaying denied\r\n")
        # Local domain, any case, and a trailing dot are ours.
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250, "2.1.5")
        self.assertReply(c.cmd("RCPT TO:<user@EXAMPLE.Org>"), 250)
        # A subdomain is not the domain.
        self.assertReply(c.cmd("RCPT TO:<user@sub.example.org>"), 550, "5.7.1")
        self.assertReply(c.cmd("RCPT TO:<user@example.org.evil.test>"), 550, "5.7.1")
        self.assertReply(c.cmd("QUIT"), 221)

    def test_denied_only_recipient_means_no_data(self):
        c = self.client(self.untrusted)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        self.assertReply(c.cmd("RCPT TO:<victim@example.net>"), 550, "5.7.1")
        self.assertReply(c.cmd("DATA"), 554, "5.5.1")
        self.assertReply(c.cmd("QUIT"), 221)
        self.untrusted.wait_disconnect(c)
        self.assertEqual(self.sink_.dumps(), [])

    def test_trusted_network_may_relay(self):
        c = self.client(self.trusted)
        start_transaction(c, rcpt="victim@example.net")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(MSG))
        self.assertReply(c.reply(), 250)
        c.cmd("QUIT")
        self.trusted.wait_disconnect(c)
        dumps = self.sink_.wait_dumps(1)
        self.assertEqual(dumps[-1].rcpt_args, ["<victim@example.net>"])
        self.sink_.clear()


class LimitsTest(GateTestCase):
    """One gate with small limits; every test opens its own sessions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        cls.gate_ = cls.class_gate(
            backend=cls.sink_.port, name="limits-gate",
            limits={"command_timeout": "2s", "data_timeout": "2s", "max_errors": 3,
                    "max_message_size": "10KiB", "max_recipients": 3})

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def test_size_is_announced(self):
        c = self.client(self.gate_)
        c.greeting()
        r = c.ehlo()
        self.assertIn("SIZE 10240", r.lines)
        c.cmd("QUIT")

    def test_mail_size_parameter_over_limit(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> SIZE=10241"), 552, "5.3.4")
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> SIZE=10240"), 250)
        c.cmd("QUIT")

    def _send_message(self, c, msg):
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(msg))
        return c.reply()

    def test_message_size_boundary(self):
        head = b"Subject: size\r\n\r\n"
        exact = head + b"x" * (10240 - len(head) - 2) + b"\r\n"
        self.assertEqual(len(exact), 10240)
        over = head + b"x" * (10240 - len(head) - 1) + b"\r\n"
        c = self.client(self.gate_)
        start_transaction(c)
        self.assertReply(self._send_message(c, over), 552, "5.3.4")
        # The refused message left the session in order: a new transaction works.
        c.cmd("MAIL FROM:<a@example.com>")
        c.cmd("RCPT TO:<user@example.org>")
        self.assertReply(self._send_message(c, exact), 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        dumps = self.sink_.wait_dumps(1)
        self.assertEqual(len(dumps), 1)
        self.assertEqual(dumps[0].body, crlf_to_lf(exact))

    def test_oversize_message_is_not_delivered(self):
        c = self.client(self.gate_)
        start_transaction(c)
        big = b"Subject: big\r\n\r\n" + (b"y" * 78 + b"\r\n") * 300
        self.assertReply(self._send_message(c, big), 552, "5.3.4")
        self.assertReply(c.cmd("QUIT"), 221)
        self.gate_.wait_disconnect(c)
        self.assertEqual(self.sink_.dumps(), [])

    def test_too_many_recipients(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        for i in range(3):
            self.assertReply(c.cmd("RCPT TO:<r%d@example.org>" % i), 250)
        self.assertReply(c.cmd("RCPT TO:<r3@example.org>"), 452, "4.5.3")
        self.assertReply(self._send_message(c, MSG), 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertEqual(self.sink_.wait_dumps(1)[0].rcpt_args,
                         ["<r0@example.org>", "<r1@example.org>", "<r2@example.org>"])

    def test_command_line_limit(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("NOOP " + "x" * 505), 250)  # 512 octets with CRLF
        self.assertReply(c.cmd("NOOP " + "x" * 506), 500, "5.5.2")
        # Answered once, not split: the next reply is NOOP's.
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertReply(c.cmd("QUIT"), 221)

    def test_command_timeout(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        t0 = time.monotonic()
        r = c.reply(seconds=15)
        waited = time.monotonic() - t0
        self.assertEqual(r.raw, b"421 4.4.2 gate.test Error: timeout exceeded\r\n")
        self.assertGreater(waited, 1.5)
        self.assertLess(waited, 8 * TIME_SCALE)
        self.assertTrue(c.wait_closed())

    def test_data_timeout(self):
        c = self.client(self.gate_)
        start_transaction(c)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: never finished\r\n\r\npartial")
        t0 = time.monotonic()
        r = c.reply(seconds=15)
        self.assertEqual(r.raw, b"421 4.4.2 gate.test Error: timeout exceeded\r\n")
        self.assertGreater(time.monotonic() - t0, 1.5)
        self.assertTrue(c.wait_closed())
        self.gate_.wait_disconnect(c)
        self.assertEqual(self.sink_.dumps(), [])

    def test_max_errors(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("BOGUS"), 500, "5.5.2")
        self.assertReply(c.cmd("MAIL FROM:broken"), 501, "5.5.4")
        self.assertReply(c.cmd("RCPT TO:<a@example.org>"), 503, "5.5.1")
        self.assertEqual(c.reply().raw, b"421 4.7.0 gate.test Error: too many errors\r\n")
        self.assertTrue(c.wait_closed())

    def test_refused_message_does_not_count_as_client_error(self):
        c = self.client(self.gate_)
        start_transaction(c)
        big = b"Subject: big\r\n\r\n" + b"z" * 20000 + b"\r\n"
        for _ in range(3):
            self.assertReply(self._send_message(c, big), 552)
            c.cmd("MAIL FROM:<a@example.com>")
            c.cmd("RCPT TO:<user@example.org>")
        self.assertReply(c.cmd("NOOP"), 250)
        c.cmd("QUIT")


class ConnectionLimitsTest(GateTestCase):
    def _open(self, gate, source):
        c = self.client(gate, source=source)
        return c, c.greeting()

    def _wait_admitted(self, gate, source):
        end = time.monotonic() + 10 * TIME_SCALE
        while True:
            c, g = self._open(gate, source)
            if g.code == 220:
                return c
            c.close()
            self.assertLess(time.monotonic(), end, "a freed slot was never reused")
            time.sleep(0.05)

    def test_per_ip_limit(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, limits={"max_connections_per_ip": 2}, probe=False)
        a, ga = self._open(gate, "127.0.0.1")
        b, gb = self._open(gate, "127.0.0.1")
        self.assertEqual((ga.code, gb.code), (220, 220))
        c, gc = self._open(gate, "127.0.0.1")
        self.assertEqual(gc.raw,
                         b"421 4.7.0 gate.test Error: too many connections from your address\r\n")
        self.assertTrue(c.wait_closed())
        # Another address is not affected.
        d, gd = self._open(gate, "127.0.0.2")
        self.assertEqual(gd.code, 220)
        # Closing one frees its slot.
        a.cmd("QUIT")
        a.close()
        self._wait_admitted(gate, "127.0.0.1")

    def test_total_limit(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, probe=False,
                         limits={"max_connections": 2, "max_connections_per_ip": 10})
        a, ga = self._open(gate, "127.0.0.1")
        b, gb = self._open(gate, "127.0.0.2")
        self.assertEqual((ga.code, gb.code), (220, 220))
        c, gc = self._open(gate, "127.0.0.3")
        self.assertEqual(gc.raw, b"421 4.7.0 gate.test Error: too many connections\r\n")
        self.assertTrue(c.wait_closed())
        b.cmd("QUIT")
        b.close()
        self._wait_admitted(gate, "127.0.0.3")


class DialogueTest(GateTestCase):
    """Syntax, sequence, enhanced status codes, VRFY/HELP, advertised extensions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        cls.gate_ = cls.class_gate(backend=cls.sink_.port, name="dialogue-gate")

    def test_greeting_and_ehlo_and_helo_exact(self):
        c = self.client(self.gate_)
        self.assertEqual(c.greeting().raw, b"220 gate.test ESMTP portcullis\r\n")
        r = c.ehlo()
        self.assertEqual(r.lines[0], HOSTNAME)
        kw = ehlo_keywords(r)
        for k in ("PIPELINING", "SIZE", "ENHANCEDSTATUSCODES"):
            self.assertIn(k, kw)
        # Never offered here: no TLS configured, no AUTH, no CHUNKING; the backend's own
        # XCLIENT/XFORWARD/AUTH must not leak through.
        for k in ("STARTTLS", "AUTH", "CHUNKING", "XCLIENT", "XFORWARD", "BINARYMIME"):
            self.assertNotIn(k, kw)
        self.assertEqual(c.cmd("HELO client.test").raw, b"250 gate.test\r\n")
        c.cmd("QUIT")

    def test_syntax_errors(self):
        c = self.client(self.gate_)
        c.greeting()
        self.assertReply(c.cmd("EHLO"), 501, "5.5.4")
        c.ehlo()
        self.assertReply(c.cmd("XYZZY"), 500, "5.5.2")
        self.assertReply(c.cmd("MAIL FROM:a@example.com"), 501, "5.5.4")
        self.assertReply(c.cmd("MAIL TO:<a@example.com>"), 501, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<a@@example.com>"), 501, "5.1.7")
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> FOO=BAR"), 555, "5.5.4")
        c.close()
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<>"), 501, "5.1.3")
        self.assertReply(c.cmd("DATA now"), 501, "5.5.4")
        self.assertReply(c.cmd("QUIT now"), 501, "5.5.4")
        c.close()

    def test_sequence_errors(self):
        c = self.client(self.gate_)
        c.greeting()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 503, "5.5.1")
        c.ehlo()
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 503, "5.5.1")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        c.close()
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 503, "5.5.1")
        self.assertReply(c.cmd("QUIT"), 221)

    def test_ehlo_inside_a_transaction_resets_it(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertEqual(self.sink_.dumps(), [])

    def test_client_gone_in_the_middle_of_data(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        c.cmd("RCPT TO:<user@example.org>")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: cut off\r\n\r\nhalf a mess")
        c.close()
        self.gate_.wait_disconnect(c)
        self.assertEqual(self.sink_.dumps(), [])
        self.assertIsNone(self.gate_.proc.poll())

    def test_vrfy_help_expn_noop(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("VRFY user@example.org"), 252, "2.0.0")
        self.assertReply(c.cmd("HELP"), 214, "2.0.0")
        self.assertReply(c.cmd("EXPN list"), 502, "5.5.1")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("STARTTLS"), 502, "5.5.1")
        self.assertReply(c.cmd("AUTH PLAIN"), 503, "5.5.1")
        c.cmd("QUIT")

    def test_enhanced_status_codes_everywhere_but_greeting_and_helo(self):
        c = self.client(self.gate_)
        seen = []

        def note(r, what):
            seen.append((what, r))
            return r

        note(c.greeting(), "greeting")
        note(c.ehlo(), "EHLO")
        for line in ["NOOP", "HELP", "VRFY x", "EXPN x", "XYZZY", "RSET",
                     "MAIL FROM:<a@example.com>", "RCPT TO:<victim@example.net>",
                     "RCPT TO:<user@example.org>", "NOOP " + "x" * 600, "DATA"]:
            note(c.cmd(line), line)
        c.send(dot_stuff(MSG))
        note(c.reply(), "end of data")
        note(c.cmd("HELO client.test"), "HELO")
        note(c.cmd("QUIT"), "QUIT")
        for what, r in seen:
            if what in ("greeting", "EHLO", "HELO"):
                for line in r.lines:
                    self.assertFalse(re.match(r"\d\.\d{1,3}\.\d{1,3}", line),
                                     "%s carries an enhanced code: %r" % (what, r.raw))
            elif r.code // 100 in (2, 4, 5):
                self.assertIsNotNone(r.enhanced, "%s: no enhanced code in %r" % (what, r.raw))
                self.assertEqual(int(r.enhanced[0]), r.code // 100, r.raw)
        self.sink_.wait_dumps(1)
        self.sink_.clear()


class ExtensionsTest(GateTestCase):
    """8BITMIME / SMTPUTF8 / DSN appear only when the backend offers them (probed at start)."""

    def ehlo_of(self, backend):
        gate = self.gate(backend=backend)
        c = self.client(gate)
        c.greeting()
        kw = ehlo_keywords(c.ehlo())
        return gate, c, kw

    def test_default_smtp_sink_offers_8bitmime_and_dsn(self):
        sink = self.sink()
        gate, c, kw = self.ehlo_of(sink.port)
        self.assertIn("8BITMIME", kw)
        self.assertIn("DSN", kw)
        self.assertNotIn("SMTPUTF8", kw)  # smtp-sink never offers it
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> BODY=8BITMIME RET=HDRS ENVID=x1"), 250)
        self.assertReply(c.cmd("RCPT TO:<user@example.org> NOTIFY=NEVER"), 250)
        self.assertReply(c.cmd("RSET"), 250)
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> SMTPUTF8"), 555, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<j\u00f6rg@example.com>"), 553, "5.6.7")
        c.cmd("QUIT")

    def test_sink_without_8bitmime_and_dsn(self):
        sink = self.sink(flags=["-8", "-N"])
        gate, c, kw = self.ehlo_of(sink.port)
        self.assertNotIn("8BITMIME", kw)
        self.assertNotIn("DSN", kw)
        self.assertIn("PIPELINING", kw)
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> BODY=8BITMIME"), 555, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> RET=HDRS"), 555, "5.5.4")
        c.cmd("QUIT")

    def test_unreachable_backend_at_start_offers_nothing_optional(self):
        gate, c, kw = self.ehlo_of(free_port())
        for k in ("8BITMIME", "DSN", "SMTPUTF8"):
            self.assertNotIn(k, kw)
        c.cmd("QUIT")


if __name__ == "__main__":
    unittest.main()
