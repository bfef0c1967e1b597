"""Delivery through the gate to a real smtp-sink, checked byte for byte.

Clients: smtplib, swaks and a raw socket. The backend is smtp-sink behind a WireTap (a
recording TCP pass-through), so each message is checked twice: the bytes the gate put on
the wire after DATA must equal the dot-stuffed message the client meant (exactly, CRs
included), and smtp-sink's capture must equal the message with CRLF shown as LF.
"""

import os
import subprocess
import threading
import unittest

from harness import (CRLF, GateTestCase, SWAKS, TIME_SCALE, WireTap, crlf_to_lf,
                     data_payloads, dot_stuff, ehlo_keywords)


def message(subject, body_lines, sender="a@example.com", to="user@example.org"):
    head = ["From: <%s>" % sender, "To: <%s>" % to, "Subject: %s" % subject,
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit"]
    lines = [l.encode("utf-8") if isinstance(l, str) else l for l in head + [""] + body_lines]
    return CRLF.join(lines) + CRLF


# Lines that a proxy re-emitting DATA must re-stuff, 8-bit text, and long lines.
TRICKY_BODY = [
    "first line",
    ".x hidden behind one dot",
    ".",
    "..two dots",
    " . space dot",
    "ünïcödé ✓ — 8-bit UTF-8 text",
    b"y" * 998,
    b"z" * 5000,
    ".",
    "last line",
]


class DeliveryTest(GateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        cls.wire = WireTap(cls.sink_.port)
        cls.addClassCleanup(cls.wire.close)
        cls.gate_ = cls.class_gate(backend=cls.wire.port, name="delivery-gate")

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def payloads(self):
        out = []
        for conn in self.wire.connections():
            out += data_payloads(conn)
        return out

    def assertDelivered(self, msg, sender="a@example.com", rcpts=("user@example.org",),
                        mail_params="", count=1):
        """The sink holds exactly `count` messages (all this one) and the wire carried it
        dot-stuffed, byte for byte."""
        dumps = self.sink_.wait_dumps(count)
        self.assertEqual(len(dumps), count, [d.raw[:300] for d in dumps])
        for d in dumps:
            self.assertEqual(d.mail_args, "<%s>%s" % (sender, mail_params))
            self.assertEqual(d.rcpt_args, ["<%s>" % r for r in rcpts])
            self.assertEqual(d.record("X-Helo-Args"), ["gate.test"])
            self.assertEqual(d.body, crlf_to_lf(msg))
        self.assertIn(dot_stuff(msg), self.payloads())
        return dumps

    def test_smtplib_tricky_message_byte_for_byte(self):
        msg = message("tricky", TRICKY_BODY)
        with self.gate_.smtplib() as s:
            refused = s.sendmail("a@example.com", ["user@example.org"], msg,
                                 mail_options=["BODY=8BITMIME"])
            self.assertEqual(refused, {})
        self.assertDelivered(msg, mail_params=" BODY=8BITMIME")

    def test_smtplib_100kb_message(self):
        body = ["line %05d %s" % (i, "abcdefghij" * 7) for i in range(1300)]
        msg = message("big", body)
        self.assertGreater(len(msg), 100 * 1024)
        with self.gate_.smtplib() as s:
            s.sendmail("a@example.com", ["user@example.org"], msg)
        self.assertDelivered(msg)

    def test_smtplib_null_sender_and_two_recipients(self):
        msg = message("bounce", ["a bounce"], sender="")
        with self.gate_.smtplib() as s:
            s.sendmail("", ["one@example.org", "two@example.org"], msg)
        self.assertDelivered(msg, sender="", rcpts=("one@example.org", "two@example.org"))

    def test_swaks_pipelined_message_byte_for_byte(self):
        # swaks --data @file sends the file with LF turned into CRLF, dot-stuffs it, and
        # adds nothing when the file does not end in a newline.
        msg = message("swaks", ["swaks body", ".dot", ".", "h\u00e9llo"])
        path = os.path.join(self.tmp, "swaks.eml")
        with open(path, "wb") as f:
            f.write(msg[:-2].replace(CRLF, b"\n"))
        run = subprocess.run(
            [SWAKS, "--server", "127.0.0.1:%d" % self.gate_.port, "--from", "a@example.com",
             "--to", "user@example.org", "--ehlo", "client.test", "--pipeline",
             "--data", "@" + path, "--timeout", "30"],
            capture_output=True, timeout=60 * TIME_SCALE)
        self.assertEqual(run.returncode, 0, run.stdout.decode() + run.stderr.decode())
        self.assertDelivered(msg)

    def test_raw_pipelined_group_gets_replies_in_order_in_one_write(self):
        c = self.client(self.gate_)
        c.greeting()
        self.assertIn("PIPELINING", ehlo_keywords(c.ehlo()))
        c.recv_sizes.clear()
        c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<u1@example.org>\r\n"
               b"RCPT TO:<u2@example.org>\r\nDATA\r\n")
        r = c.replies(4)
        self.assertEqual([x.code for x in r], [250, 250, 250, 354])
        # Batched (RFC 2920): the four replies came in one write, hence one read here.
        self.assertEqual(len(c.recv_sizes), 1, "replies arrived in %d reads" % len(c.recv_sizes))
        msg = message("pipelined", ["body"])
        c.send(dot_stuff(msg))
        self.assertReply(c.reply(), 250, "2.0.0")
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(msg, rcpts=("u1@example.org", "u2@example.org"))

    def test_pipelined_group_with_denied_recipient_keeps_going(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        c.send(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<victim@example.net>\r\n"
               b"RCPT TO:<u@example.org>\r\nDATA\r\n")
        r = c.replies(4)
        self.assertEqual([(x.code, x.enhanced) for x in r],
                         [(250, "2.1.0"), (550, "5.7.1"), (250, "2.1.5"), (354, None)])
        msg = message("partly denied", ["body"])
        c.send(dot_stuff(msg))
        self.assertReply(c.reply(), 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(msg, rcpts=("u@example.org",))

    def test_three_transactions_one_session_one_backend_connection(self):
        mark = self.wire.mark()
        msgs = [message("multi %d" % i, ["message number %d" % i, ".dotted %d" % i])
                for i in range(3)]
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        # First transaction step by step, the next two pipelined right after each final dot.
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        for i in range(3):
            group = dot_stuff(msgs[i])
            if i < 2:
                group += b"MAIL FROM:<a@example.com>\r\nRCPT TO:<user@example.org>\r\nDATA\r\n"
            c.send(group)
            self.assertReply(c.reply(), 250, "2.0.0")
            if i < 2:
                self.assertEqual([x.code for x in c.replies(3)], [250, 250, 354])
        self.assertReply(c.cmd("QUIT"), 221)
        self.gate_.wait_disconnect(c)
        dumps = self.sink_.wait_dumps(3)
        self.assertEqual(sorted(d.body for d in dumps), sorted(crlf_to_lf(m) for m in msgs))
        conns = self.wire.since(mark)
        self.assertEqual(len(conns), 1, "backend connections used by one session")
        self.assertLessEqual(self.wire.opened_since(mark), 1)
        wire = conns[0]
        self.assertLessEqual(wire.count(b"EHLO "), 1, wire[:500])
        self.assertEqual(data_payloads(wire), [dot_stuff(m) for m in msgs])
        # Kept for the next session: no QUIT, and no RSET either after clean transactions.
        self.assertNotIn(b"QUIT\r\n", wire)
        self.assertNotIn(b"RSET\r\n", wire)

    def test_smtplib_three_messages_one_session(self):
        mark = self.wire.mark()
        msgs = [message("smtplib multi %d" % i, ["n %d" % i]) for i in range(3)]
        with self.gate_.smtplib() as s:
            for m in msgs:
                s.sendmail("a@example.com", ["user@example.org"], m)
        self.sink_.wait_dumps(3)
        self.assertEqual(sorted(d.body for d in self.sink_.dumps()),
                         sorted(crlf_to_lf(m) for m in msgs))
        self.assertEqual(len(self.wire.since(mark)), 1)

    def test_backend_opened_only_once_mail_passed(self):
        before = len(self.wire.connections())
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertReply(c.cmd("MAIL FROM:<a@example.com> SIZE=999999999999"), 552, "5.3.4")
        self.assertReply(c.cmd("MAIL FROM:<broken"), 501)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 503)
        self.assertReply(c.cmd("QUIT"), 221)
        self.gate_.wait_disconnect(c)
        self.assertEqual(len(self.wire.connections()), before,
                         "a backend connection was opened for a session without a valid MAIL")

    def test_parallel_sessions(self):
        # Sessions spread over the gate's two event loops, each with its own backend
        # connection; every message must arrive once and intact.
        msgs = {(i, j): message("parallel %d.%d" % (i, j), ["client %d message %d" % (i, j),
                                                           ".dot %d" % j, "x" * (100 * i)])
                for i in range(10) for j in range(3)}
        errors = []

        def client(i):
            try:
                with self.gate_.smtplib() as s:
                    for j in range(3):
                        s.sendmail("a@example.com", ["user@example.org"], msgs[(i, j)])
            except Exception as e:  # reported below, with the client number
                errors.append((i, repr(e)))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120 * TIME_SCALE)
        self.assertEqual(errors, [])
        dumps = self.sink_.wait_dumps(30)
        self.assertEqual(sorted(d.body for d in dumps),
                         sorted(crlf_to_lf(m) for m in msgs.values()))

    def test_rset_in_the_middle(self):
        mark = self.wire.mark()
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<first@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<dropped@example.org>"), 250)
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        # The transaction is gone: RCPT now needs a new MAIL.
        self.assertReply(c.cmd("RCPT TO:<dropped@example.org>"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<second@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<kept@example.org>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        msg = message("after rset", ["kept"], sender="second@example.com")
        c.send(dot_stuff(msg))
        self.assertReply(c.reply(), 250)
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertDelivered(msg, sender="second@example.com", rcpts=("kept@example.org",))
        [wire] = self.wire.since(mark)
        # The backend was told to forget the first transaction.
        self.assertIn(b"RCPT TO:<dropped@example.org>\r\nRSET\r\nMAIL FROM:<second@example.com>",
                      wire)


if __name__ == "__main__":
    unittest.main()


class BackendPoolTest(GateTestCase):
    """Idle backend connections are kept per event loop and reused by later sessions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        cls.wire = WireTap(cls.sink_.port)
        cls.addClassCleanup(cls.wire.close)
        # One event loop, so every session may take the connection the last one left.
        cls.gate_ = cls.class_gate(backend=cls.wire.port, name="pool-gate", threads=1)

    def test_sequential_sessions_share_one_backend_connection(self):
        mark = self.wire.mark()
        msgs = [message("pooled %d" % i, ["session %d" % i]) for i in range(4)]
        for m in msgs:
            with self.gate_.smtplib() as s:
                s.sendmail("a@example.com", ["user@example.org"], m)
        self.sink_.wait_dumps(4)
        self.assertLessEqual(self.wire.opened_since(mark), 1)
        [wire] = self.wire.since(mark)
        self.assertEqual(data_payloads(wire), [dot_stuff(m) for m in msgs])

    def test_rejected_transaction_is_reset_before_reuse(self):
        mark = self.wire.mark()
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<user@example.org>"), 250)
        c.cmd("QUIT")  # leaves in the middle of a transaction
        self.gate_.wait_disconnect(c)
        msg = message("after abandoned", ["ok"])
        with self.gate_.smtplib() as s:
            s.sendmail("a@example.com", ["user@example.org"], msg)
        self.sink_.wait_dumps(1)
        [wire] = self.wire.since(mark)
        self.assertIn(b"RCPT TO:<user@example.org>\r\nRSET\r\nMAIL FROM:<a@example.com>", wire)
        self.assertEqual(data_payloads(wire), [dot_stuff(msg)])
