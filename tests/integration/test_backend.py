"""The backend fails or refuses: a down MTA, an MTA killed in the middle of a transaction,
and an MTA that answers 4xx/5xx. The client must get a 4xx (never a 250 for a message the
backend did not accept), nothing half-delivered, and a session that stays usable."""

import time
import unittest

from harness import CRLF, GateTestCase, crlf_to_lf, dot_stuff, free_port

MSG = CRLF.join([b"From: <a@example.com>", b"To: <user@example.org>", b"Subject: backend",
                 b"", b"body line", b".dot line"]) + CRLF


def transaction(c, msg=MSG):
    """MAIL/RCPT/DATA/message; returns the replies (stops at the first non-2xx/3xx)."""
    out = []
    for line in ("MAIL FROM:<a@example.com>", "RCPT TO:<user@example.org>", "DATA"):
        r = c.cmd(line)
        out.append(r)
        if r.code >= 400:
            return out
    c.send(dot_stuff(msg))
    out.append(c.reply())
    return out


class BackendDownTest(GateTestCase):
    def test_backend_down_at_connect_then_back(self):
        backend_port = free_port()
        gate = self.gate(backend=backend_port)
        self.assertIn("did not answer EHLO", gate.log())
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 451, "4.4.1")
        # The session stays usable, and so does the gate.
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 451, "4.4.1")
        self.assertIsNone(gate.proc.poll())
        # The MTA comes up: the next MAIL opens a connection to it.
        sink = self.sink(port=backend_port)
        replies = transaction(c)
        self.assertEqual([r.code for r in replies], [250, 250, 354, 250], replies)
        self.assertReply(c.cmd("QUIT"), 221)
        gate.wait_disconnect(c)
        self.assertEqual(sink.wait_dumps(1)[0].body, crlf_to_lf(MSG))

    def test_backend_killed_before_the_final_dot(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        sink.kill()
        c.send(dot_stuff(MSG))
        r = c.reply()
        self.assertEqual(r.code // 100, 4, r.raw)
        self.assertEqual(r.enhanced, "4.4.2", r.raw)
        # Nothing delivered: smtp-sink, killed, leaves at most an empty capture file.
        self.assertEqual(sink.dumps(), [])
        # Same session, MTA restarted on the same port: mail flows again.
        self.assertReply(c.cmd("NOOP"), 250)
        sink.start()
        replies = transaction(c)
        self.assertEqual([x.code for x in replies], [250, 250, 354, 250], replies)
        self.assertReply(c.cmd("QUIT"), 221)
        gate.wait_disconnect(c)
        dumps = sink.wait_dumps(1)
        self.assertEqual(len(dumps), 1)
        self.assertEqual(dumps[0].body, crlf_to_lf(MSG))

    def test_backend_restarted_between_transactions(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        self.assertEqual(transaction(c)[-1].code, 250)
        sink.wait_dumps(1)
        sink.stop()
        sink.clear()
        sink.start()
        # The kept backend connection is dead now. Recovery: at the latest the second MAIL
        # reaches the restarted MTA (test_backend_closed_idle_connection is stricter).
        r = c.cmd("MAIL FROM:<a@example.com>")
        if r.code != 250:
            self.assertEqual(r.code // 100, 4, r.raw)
            r = c.cmd("MAIL FROM:<a@example.com>")
        self.assertReply(r, 250)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(MSG))
        self.assertReply(c.reply(), 250)
        c.cmd("QUIT")
        gate.wait_disconnect(c)
        self.assertEqual(len(sink.wait_dumps(1)), 1)

    def test_backend_closed_idle_connection(self):
        # The MTA drops an idle client (smtp-sink -t 1: 1 s read timeout; Postfix does the
        # same with smtpd_timeout, 10 s under stress). No transaction state was on that
        # connection, so the gate must not fail the client's next MAIL: it has to notice
        # and open a fresh backend connection.
        sink = self.sink(flags=["-t", "1"])
        gate = self.gate(backend=sink.port)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        self.assertEqual(transaction(c)[-1].code, 250)
        time.sleep(2.5)
        r = c.cmd("MAIL FROM:<a@example.com>")
        self.assertEqual(r.code, 250, "MAIL after the backend closed an idle kept connection: "
                         "%r" % r.raw)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(MSG))
        self.assertReply(c.reply(), 250)
        c.cmd("QUIT")
        gate.wait_disconnect(c)
        self.assertEqual(len(sink.wait_dumps(2)), 2)

    def test_backend_421_is_not_passed_on_while_staying_open(self):
        # smtp-sink -Q RCPT: "421" and disconnect at RCPT. 421 tells the client the channel
        # is closing; the gate may pass it on only if it does close, else it must answer a
        # plain 4xx (and drop the dead backend connection).
        sink = self.sink(flags=["-Q", "RCPT"])
        gate = self.gate(backend=sink.port)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        r = c.cmd("RCPT TO:<user@example.org>")
        self.assertEqual(r.code // 100, 4, r.raw)
        if r.code == 421:
            self.assertTrue(c.wait_closed(3),
                            "gate relayed the backend's %r but kept the session open" % r.raw)
        else:
            c.cmd("QUIT")


class BackendRefusesTest(GateTestCase):
    """smtp-sink -f / -r make it refuse commands with 5xx / 4xx; the gate relays them."""

    def test_recipient_refused_hard(self):
        sink = self.sink(flags=["-f", "RCPT"])
        gate = self.gate(backend=sink.port)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertEqual(c.cmd("RCPT TO:<user@example.org>").raw,
                         b"500 5.3.0 Error: command failed\r\n")
        self.assertReply(c.cmd("DATA"), 554, "5.5.1")
        c.cmd("QUIT")

    def test_recipient_refused_soft(self):
        sink = self.sink(flags=["-r", "RCPT"])
        gate = self.gate(backend=sink.port)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        self.assertEqual(c.cmd("RCPT TO:<user@example.org>").raw,
                         b"450 4.3.0 Error: command failed\r\n")
        c.cmd("QUIT")

    def test_message_refused_at_end_of_data(self):
        sink = self.sink(flags=["-f", "."])
        gate = self.gate(backend=sink.port)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        replies = transaction(c)
        self.assertEqual([r.code for r in replies], [250, 250, 354, 500], replies)
        self.assertEqual(replies[-1].enhanced, "5.3.0")
        # The session goes on: the next transaction reaches the backend again.
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("QUIT"), 221)


if __name__ == "__main__":
    unittest.main()
