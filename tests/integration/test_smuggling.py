"""The shared smuggling/torture table, end to end: real gate, real smtp-sink.

Source: $PORTCULLIS_SHARED/testdata/smtp/smuggling-cases.txt (TAB-separated
name, phase, bytes, expected, source; escapes \\r \\n \\t \\x00 \\\\ and {c*N}).

- data phase: EHLO, MAIL, RCPT, DATA, then the header block + "Hello" + the case's bytes
  (+ CRLF.CRLF when the bytes never end the message properly), then QUIT. What the gate
  must make of the bytes comes from harness.data_model (only CRLF.CRLF ends a message, a
  bare CR/LF fails it or, with bare_newline: normalize, becomes CRLF without starting a
  line). Always: at most one message reaches smtp-sink, never one from the smuggled sender.
  Accepted messages must reach the backend byte for byte (checked on the wire) and in the
  smtp-sink capture.
- command / session phase: the replies each case must get, in order, and nothing more.
- starttls / server phase: need TLS or a scripted hostile backend; listed as skipped.
A case name this file does not know fails the run: new cases need a decision here.
"""

import os
import unittest

from harness import (GateTestCase, SHARED, WireTap, crlf_to_lf, data_model, data_payloads,
                     dot_stuff, unescape)

CASES_FILE = os.path.join(SHARED, "testdata", "smtp", "smuggling-cases.txt")
HEADER = b"From: a@example.com\r\nTo: b@example.net\r\nSubject: t\r\n\r\nHello"
SMUGGLED_SENDERS = ("victim", "admin@", "attacker")

DATA_CASES = {
    "eod-crlf-dot-crlf", "eod-lf-dot-lf", "eod-cr-dot-cr", "eod-cr-dot-lf", "eod-lf-dot-cr",
    "eod-lf-dot-crlf", "eod-crlf-dot-lf", "eod-cr-dot-crlf", "eod-crlf-dot-cr",
    "eod-nul-before-dot", "eod-nul-after-dot", "eod-dot-space", "eod-dot-tab",
    "smuggle-lf-dot-crlf-full", "smuggle-cr-dot-cr-full", "smuggle-lf-dot-lf-full",
    "smuggle-bdat-after-data", "body-bare-lf", "body-bare-cr", "dotstuff-leading-dot",
    "dotstuff-lone-dot-content", "dotstuff-body-hash", "textline-1000", "textline-1001",
}
# Lines over 1000 octets MAY be refused, never folded: either answer passes.
MAY_REFUSE = {"textline-1001"}

# name -> (setup commands, [(code, enhanced or None)] expected for the case's bytes, follow-up)
# Follow-ups: "no-mail" = a RCPT now gets 503 (the MAIL in the bytes never took effect);
# "noop" = the session is in sync (NOOP gets exactly one 250); "message" = finish DATA
# with a message and expect it delivered; "closed" = the gate closed the connection.
OK = (250, None)
COMMAND_CASES = {
    "command-bare-lf": ([], [(500, "5.5.2")], "no-mail"),
    "command-bare-cr-inside": ([], [(500, "5.5.2")], "no-mail"),
    "command-nul": ([], [(501, "5.5.4")], "no-mail"),
    "starttls-parameter": ([], [(501, "5.5.4")], "noop"),
    "pipe-valid-group": ([], [OK, OK, OK, (354, None)], "message"),
    "pipe-quit-then-more": ([], [(221, "2.0.0")], "closed"),
    "pipe-rset-group": ([], [OK, OK, OK], "noop"),
    "pipe-responses-order": ([], [OK, OK, OK, (354, None)], "message"),
    "bdat-not-advertised": ([], [(502, "5.5.1")], "noop"),
    "cmdline-512": ([], [OK], "noop"),
    "cmdline-513": ([], [(500, "5.5.2")], "noop"),
    "cmdline-huge": ([], [(500, "5.5.2")], "noop"),
    "localpart-64": ([], [OK], "noop"),
    "domain-255": ([], [OK], "noop"),
    "label-64": ([], [(501, "5.1.7")], "noop"),
    "path-256": (["MAIL FROM:<a@example.com>"], [OK], "noop"),
}
# RFC 5321 4.5.3.1: MAY refuse (501/553) or accept; either way one reply, session in sync.
COMMAND_MAY_REFUSE = {"localpart-65": {250, 501, 553}}
# pipe-data-not-last: MAIL and RCPT answered, DATA refused (554 5.5.0), and every line of
# the early message text refused as a command; nothing delivered.
SPECIAL = {"pipe-data-not-last", "pipe-ehlo-not-last", "pipe-helo-no-pipelining",
           "recipients-100"}
DEFERRED = {
    "starttls-inject-rset": "STARTTLS is not implemented yet (TLS comes in a later part)",
    "starttls-inject-mail": "STARTTLS is not implemented yet (TLS comes in a later part)",
    "starttls-inject-auth": "STARTTLS/AUTH are not implemented yet",
    "starttls-inject-split-write": "STARTTLS is not implemented yet",
    "starttls-state-reset": "STARTTLS is not implemented yet",
    "starttls-twice": "STARTTLS is not implemented yet",
    "starttls-response-injection": "backend STARTTLS is not implemented; needs the scripted "
                                   "hostile backend (DESIGN.md: the one place a fake is right)",
    "starttls-not-offered-stripping": "backend TLS policy not implemented; needs the scripted "
                                      "hostile backend",
    "reply-line-512": "server-phase: needs the scripted hostile backend",
    "multiline-reply-mismatch": "server-phase: needs the scripted hostile backend",
}


class Case:
    def __init__(self, name, phase, raw, expected, source):
        self.name, self.phase, self.raw, self.expected, self.source = (
            name, phase, raw, expected, source)

    @property
    def bytes(self):
        return unescape(self.raw)


def load_cases():
    cases = []
    with open(CASES_FILE, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 5:
                raise AssertionError("%s:%d: expected 5 TAB-separated fields, got %d" %
                                     (CASES_FILE, number, len(fields)))
            cases.append(Case(*fields))
    return cases


CASES = load_cases()


class TableTest(unittest.TestCase):
    def test_every_case_has_a_decision(self):
        known = (DATA_CASES | set(COMMAND_CASES) | set(COMMAND_MAY_REFUSE) | SPECIAL |
                 set(DEFERRED))
        names = [c.name for c in CASES]
        self.assertEqual(len(names), len(set(names)), "duplicate case names")
        unknown = sorted(set(names) - known)
        self.assertEqual(unknown, [], "new cases in %s need a decision in %s" %
                         (CASES_FILE, os.path.basename(__file__)))
        missing = sorted(known - set(names))
        self.assertEqual(missing, [], "cases this file expects are gone from the table")
        for c in CASES:
            if c.name in DATA_CASES:
                self.assertEqual(c.phase, "data", c.name)

    def test_tls_and_server_phase_cases_are_deferred(self):
        for c in CASES:
            if c.phase in ("starttls", "server"):
                self.assertIn(c.name, DEFERRED)
        for name, why in sorted(DEFERRED.items()):
            with self.subTest(case=name):
                self.skipTest(why)


class SmugglingBase(GateTestCase):
    normalize = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        cls.wire = WireTap(cls.sink_.port)
        cls.addClassCleanup(cls.wire.close)
        extra = {"smtp": {"bare_newline": "normalize"}} if cls.normalize else {}
        cls.gate_ = cls.class_gate(backend=cls.wire.port,
                                   name="smuggling-%s" % ("normalize" if cls.normalize else
                                                          "reject"),
                                   trusted_networks=["127.0.0.0/8"],
                                   limits={"max_recipients": 100, "max_errors": 10}, **extra)

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def session(self):
        c = self.client(self.gate_)
        self.assertReply(c.greeting(), 220)
        self.assertReply(c.ehlo(), 250)
        return c

    def finish(self, c):
        """QUIT gets exactly 221 (no late replies to smuggled text), then the gate closes;
        returns the captures once the gate is done with the backend."""
        if not c.eof:
            r = c.cmd("QUIT")
            self.assertEqual(r.code, 221, "late reply before QUIT's 221: %r" % r.raw)
            self.assertTrue(c.wait_closed())
        self.gate_.wait_disconnect(c)
        dumps = self.sink_.dumps()
        self.assertLessEqual(len(dumps), 1, "more than one transaction reached the backend")
        for d in dumps:
            for bad in SMUGGLED_SENDERS:
                self.assertNotIn(bad, d.mail_args or "", "smuggled MAIL reached the backend")
        return dumps

    def assertWire(self, msg):
        payloads = [p for conn in self.wire.since(self.wire_mark) for p in data_payloads(conn)]
        self.assertTrue(payloads, "no DATA on the backend wire")
        self.assertEqual(payloads[-1], dot_stuff(msg))
        body = payloads[-1]
        self.assertEqual(body.count(b"\r"), body.count(b"\r\n"), "bare CR on the backend wire")
        self.assertEqual(body.count(b"\n"), body.count(b"\r\n"), "bare LF on the backend wire")

    def run_data_case(self, case):
        stream = HEADER + case.bytes
        msg, error, consumed = data_model(stream, self.normalize)
        if consumed is None:
            stream += b"\r\n.\r\n"
            msg, error, consumed = data_model(stream, self.normalize)
        self.assertEqual(consumed, len(stream),
                         "case %s leaves bytes after the terminator; teach this test" % case.name)
        self.sink_.clear()
        self.wire_mark = self.wire.mark()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<b@example.net>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(stream)
        r = c.reply()
        dumps = self.finish(c)
        if case.name in MAY_REFUSE and r.code >= 500:
            self.assertEqual(dumps, [])
            return
        if error == "nul":
            self.assertEqual((r.code, r.enhanced), (550, "5.6.0"), r.raw)
            self.assertEqual(dumps, [])
        elif error == "bare":
            self.assertEqual((r.code, r.enhanced), (550, "5.5.2"), r.raw)
            self.assertEqual(dumps, [])
        else:
            self.assertEqual(r.code, 250, r.raw)
            self.assertEqual(len(dumps), 1)
            self.assertEqual(dumps[0].mail_args, "<a@example.com>")
            self.assertEqual(dumps[0].rcpt_args, ["<b@example.net>"])
            self.assertEqual(dumps[0].body, crlf_to_lf(msg))
            self.assertWire(msg)

    def test_data_phase_cases(self):
        ran = 0
        for case in CASES:
            if case.name in DATA_CASES:
                with self.subTest(case=case.name):
                    self.run_data_case(case)
                    ran += 1
        self.assertEqual(ran, len(DATA_CASES))


class SmugglingRejectTest(SmugglingBase):
    """Default policy, bare_newline: reject."""

    def test_the_model_agrees_with_the_table(self):
        # The table's MUST lines, checked against the framing model used above.
        expect = {"eod-crlf-dot-crlf": None, "eod-lf-dot-lf": "bare", "body-bare-cr": "bare",
                  "eod-nul-before-dot": "nul", "dotstuff-lone-dot-content": None,
                  "smuggle-lf-dot-crlf-full": "bare"}
        for case in CASES:
            if case.name in expect:
                stream = HEADER + case.bytes
                _, error, consumed = data_model(stream)
                if consumed is None:
                    _, error, consumed = data_model(stream + b"\r\n.\r\n")
                self.assertEqual(error, expect[case.name], case.name)

    def run_command_case(self, case):
        setup, expected, follow = COMMAND_CASES.get(case.name, ([], None, "noop"))
        self.sink_.clear()
        c = self.session()
        for line in setup:
            self.assertReply(c.cmd(line), 250)
        c.send(case.bytes)
        if case.name in COMMAND_MAY_REFUSE:
            r = c.reply()
            self.assertIn(r.code, COMMAND_MAY_REFUSE[case.name], r.raw)
        else:
            got = c.replies(len(expected))
            self.assertEqual([(r.code, r.enhanced if e else None)
                              for r, (_, e) in zip(got, expected)], expected,
                             [r.raw for r in got])
        delivered = 0
        if follow == "no-mail":
            self.assertReply(c.cmd("RCPT TO:<b@example.net>"), 503, "5.5.1")
        elif follow == "noop":
            self.assertReply(c.cmd("NOOP"), 250)
        elif follow == "message":
            msg = HEADER + b"\r\n"
            c.send(dot_stuff(msg))
            self.assertReply(c.reply(), 250)
            delivered = 1
        elif follow == "closed":
            self.assertTrue(c.wait_closed(), "connection still open after QUIT")
        dumps = self.finish(c)
        self.assertEqual(len(dumps), delivered)
        self.sink_.clear()

    def test_command_phase_cases(self):
        ran = 0
        for case in CASES:
            if case.name in COMMAND_CASES or case.name in COMMAND_MAY_REFUSE:
                with self.subTest(case=case.name):
                    self.assertEqual(case.phase, "command")
                    self.run_command_case(case)
                    ran += 1
        self.assertEqual(ran, len(COMMAND_CASES) + len(COMMAND_MAY_REFUSE))

    def case(self, name):
        return next(c for c in CASES if c.name == name)

    def test_pipe_data_not_last(self):
        c = self.session()
        c.send(self.case("pipe-data-not-last").bytes)
        got = c.replies(3)
        self.assertEqual([(r.code, r.enhanced) for r in got],
                         [(250, "2.1.0"), (250, "2.1.5"), (554, "5.5.0")])
        # The four lines of early message text are refused as commands, never taken as a
        # message; "." in particular is not the end of anything.
        rest = c.replies(4)
        self.assertTrue(all(r.code >= 500 for r in rest), [r.raw for r in rest])
        self.assertEqual(self.finish(c), [])

    def test_pipe_ehlo_not_last(self):
        c = self.client(self.gate_)
        c.greeting()
        c.send(self.case("pipe-ehlo-not-last").bytes)
        self.assertReply(c.reply(), 250)
        self.assertReply(c.reply(), 554, "5.5.0")
        self.assertEqual(self.finish(c), [])

    def test_pipe_helo_no_pipelining(self):
        c = self.client(self.gate_)
        c.greeting()
        c.send(self.case("pipe-helo-no-pipelining").bytes)
        self.assertEqual(c.reply().raw, b"250 gate.test\r\n")
        self.assertReply(c.reply(), 554, "5.5.0")
        r = c.reply()
        self.assertIn(r.code, (503, 554), "RCPT after a refused MAIL: %r" % r.raw)
        self.assertEqual(self.finish(c), [])

    def test_recipients_100(self):
        self.assertEqual(self.case("recipients-100").phase, "session")
        c = self.session()
        group = b"MAIL FROM:<a@example.com>\r\n" + b"".join(
            b"RCPT TO:<r%d@example.net>\r\n" % i for i in range(1, 102))
        c.send(group)
        got = c.replies(102)
        self.assertEqual([r.code for r in got[:101]], [250] * 101)
        self.assertEqual((got[101].code, got[101].enhanced), (452, "4.5.3"))
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(HEADER + b"\r\n"))
        self.assertReply(c.reply(), 250)
        dumps = self.finish(c)
        self.assertEqual(len(dumps), 1)
        self.assertEqual(dumps[0].rcpt_args, ["<r%d@example.net>" % i for i in range(1, 101)])


class SmugglingNormalizeTest(SmugglingBase):
    """smtp: {bare_newline: normalize}: bare CR/LF become CRLF; never forwarded bare."""

    normalize = True


del SmugglingBase  # a base, not a test class of its own


if __name__ == "__main__":
    unittest.main()
