"""Content rules through the real binary (docs/rules.md): the shipped rules in front of a real
smtp-sink. GTUBE is refused with 554 5.7.1 and never delivered; a message over the add_header
threshold arrives with X-Spam-Score/X-Spam-Status naming the rule; `scan --json` lists the
rule hits in its "rules" section; SIGHUP swaps the rule set while clients keep sending (no
session fails), and a rule set that does not compile is refused with the old one kept. The
`rules lint` and `rules test` commands report file:line errors and match offsets.
"""

import json
import os
import shutil
import signal
import threading
import time

from harness import (CRLF, SHARED, SOURCE, TIME_SCALE, GateTestCase, dot_stuff, run_cli)

GTUBE_EML = os.path.join(SHARED, "testdata", "messages", "spamassassin-sample-spam-gtube.eml")
HAM_EML = os.path.join(SHARED, "testdata", "messages", "spamassassin-sample-nonspam.eml")
DEFAULT_RULES = os.path.join(SOURCE, "rules", "default")

TAG_RULES = """\
- id: PC_TEST_TAG
  description: a phrase the tests use to earn a tagging score
  target: body
  pattern: 'please\\s+tag\\s+me'
  flags: [caseless]
  score: 6
- id: __PC_TEST_PART
  target: subject
  pattern: 'integration'
- id: PC_TEST_META
  meta: "PC_TEST_TAG && __PC_TEST_PART"
  score: 0.5
"""

NEW_RULE = """\
- id: PC_TEST_RELOADED
  description: only present after the reload
  target: body
  pattern: 'reload\\s+marker'
  action: reject
  reply: "Refused by the reloaded rule set"
"""


def eml(path):
    with open(path, "rb") as f:
        data = f.read()
    return data.replace(b"\r\n", b"\n").replace(b"\n", CRLF)


def message(subject, body):
    return ("From: a@example.com\r\nTo: user@example.org\r\nSubject: %s\r\n"
            "Message-ID: <%s@example.com>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\n%s\r\n"
            % (subject, abs(hash(subject + body)), body)).encode()


class RulesCase(GateTestCase):
    def send(self, gate, msg):
        return self.send_message(gate, msg)


def rules_dir(tmp, name, *texts):
    """A rule directory: the shipped rules plus our test files."""
    path = os.path.join(tmp, name)
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(DEFAULT_RULES, path, ignore=shutil.ignore_patterns("*.md"))
    for i, text in enumerate(texts):
        with open(os.path.join(path, "zz_test_%d.yaml" % i), "w") as f:
            f.write(text)
    return path


class ShippedRulesTest(RulesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rules = rules_dir(cls.class_tmp, "rules.d", TAG_RULES)
        cls.sink_ = cls.class_sink()
        cls.gate_ = cls.class_gate(
            backend=cls.sink_.port, name="rules-gate",
            filters={"rules": {"dir": cls.rules,
                               "cache_dir": os.path.join(cls.class_tmp, "cache")}},
            policy={"reject": 15, "add_header": 5})

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def test_gtube_refused_with_554(self):
        r = self.send(self.gate_, eml(GTUBE_EML))
        self.assertReply(r, 554, "5.7.1")
        self.assertIn("GTUBE", r.first)
        time.sleep(0.2 * TIME_SCALE)
        self.assertEqual(self.sink_.dumps(), [])

    def test_tagged_message_gets_spam_headers(self):
        r = self.send(self.gate_, message("integration test", "Hello, please tag me."))
        self.assertReply(r, 250)
        [dump] = self.sink_.wait_dumps(1)
        headers = dump.raw.split(b"\r\n\r\n")[0].replace(b"\r\n", b"\n")
        score = [l for l in headers.split(b"\n") if l.startswith(b"X-Spam-Score:")]
        self.assertEqual(len(score), 1, headers)
        self.assertGreaterEqual(float(score[0].split(b":")[1]), 6.5)
        status = headers[headers.index(b"X-Spam-Status:"):]
        self.assertIn(b"PC_TEST_TAG", status)
        self.assertIn(b"PC_TEST_META", status)
        self.assertNotIn(b"__PC_TEST_PART", status, "sub-rules are never symbols")

    def test_ham_delivered_without_spam_headers(self):
        r = self.send(self.gate_, eml(HAM_EML))
        self.assertReply(r, 250)
        [dump] = self.sink_.wait_dumps(1)
        self.assertNotIn(b"X-Spam-Status:", dump.raw.split(b"\r\n\r\n")[0])

    def test_scan_json_lists_rule_hits(self):
        cfg = os.path.join(self.class_tmp, "rules-gate.yaml")
        run = run_cli(["scan", "--config", cfg, "--json", "--mail-from", "a@example.com",
                       "--rcpt", "user@example.org", GTUBE_EML, HAM_EML])
        self.assertEqual(run.returncode, 0, run.stderr)
        spam, ham = [json.loads(l) for l in run.stdout.decode().splitlines()]
        self.assertEqual(spam["action"], "reject")
        self.assertTrue(spam["reply"].startswith("554 5.7.1"), spam)
        self.assertIn("GTUBE", [s["name"] for s in spam["symbols"]])
        hits = {h["id"]: h for h in spam["rules"]["hits"]}
        self.assertEqual(hits["GTUBE"]["target"], "body")
        self.assertEqual(hits["GTUBE"]["score"], 1000)
        self.assertEqual(ham["action"], "accept")
        self.assertEqual(ham["rules"]["hits"], [])


class ReloadTest(RulesCase):
    def test_reload_swaps_rules_while_clients_send(self):
        tmp = self.tmp
        rules = rules_dir(tmp, "rules.d", TAG_RULES)
        sink = self.sink()
        gate = self.gate(backend=sink.port, filters={"rules": {"dir": rules}},
                         policy={"reject": 15, "add_header": 5})
        marker = message("reload", "this carries the reload marker")
        self.assertReply(self.send(gate, marker), 250)

        failures = []
        sent = [0]
        stop = threading.Event()

        def traffic():
            # Bounded: at most 200 sessions or until told to stop.
            while not stop.is_set() and sent[0] < 200:
                try:
                    c = self.client(gate)
                    c.greeting()
                    c.ehlo()
                    for line, code in (("MAIL FROM:<a@example.com>", 250),
                                       ("RCPT TO:<user@example.org>", 250), ("DATA", 354)):
                        r = c.cmd(line)
                        if r.code != code:
                            failures.append((line, r))
                    c.send(dot_stuff(message("traffic %d" % sent[0], "plain text")))
                    r = c.reply()
                    if r.code != 250:
                        failures.append(("final", r))
                    c.cmd("QUIT")
                    c.close()
                    sent[0] += 1
                except Exception as e:  # a dropped session is what this test is about
                    failures.append(("exception", repr(e)))
                    return

        thread = threading.Thread(target=traffic)
        thread.start()
        try:
            offset = gate.log_offset()
            with open(os.path.join(rules, "zz_new.yaml"), "w") as f:
                f.write(NEW_RULE)
            gate.send_signal(signal.SIGHUP)
            gate.wait_log(r"reloaded ", since=offset)
            # A broken rule set is refused; the running one stays.
            offset = gate.log_offset()
            with open(os.path.join(rules, "zz_broken.yaml"), "w") as f:
                f.write("- id: BROKEN\n  target: body\n  pattern: '(unclosed'\n")
            gate.send_signal(signal.SIGHUP)
            gate.wait_log(r"reload refused: .*zz_broken\.yaml:1: BROKEN\.pattern: bad regex",
                          since=offset)
            time.sleep(0.5 * TIME_SCALE)
        finally:
            stop.set()
            thread.join(60)
        self.assertEqual(failures, [])
        self.assertGreater(sent[0], 0)
        r = self.send(gate, marker)
        self.assertReply(r, 554, "5.7.1")
        self.assertIn("Refused by the reloaded rule set", r.first)


class RulesCliTest(GateTestCase):
    def test_lint_reports_file_line_and_reason(self):
        path = os.path.join(self.tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write("- id: OK_RULE\n  target: body\n  pattern: fine\n"
                    "- id: BAD_REGEX\n  target: body\n  pattern: 'a(b'\n"
                    "- id: BAD_TARGET\n  target: bodyy\n  pattern: x\n"
                    "- id: DANGLING\n  meta: 'OK_RULE && NOPE'\n")
        run = run_cli(["rules", "lint", path])
        self.assertEqual(run.returncode, 2)
        err = run.stderr.decode()
        self.assertIn("bad.yaml:8:11: BAD_TARGET.target: unknown target 'bodyy'", err)
        self.assertIn("bad.yaml:10: DANGLING.meta: no rule 'NOPE'", err)
        # The regex is checked once the set otherwise loads.
        with open(path, "w") as f:
            f.write("- id: BAD_REGEX\n  target: body\n  pattern: 'a(b'\n")
        run = run_cli(["rules", "lint", path])
        self.assertEqual(run.returncode, 2)
        self.assertIn("bad.yaml:1: BAD_REGEX.pattern: bad regex: missing closing parenthesis",
                      run.stderr.decode())

    def test_lint_shipped_rules_clean(self):
        run = run_cli(["rules", "lint", DEFAULT_RULES])
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("rules:", run.stdout.decode())

    def test_rules_test_reports_offsets(self):
        path = os.path.join(self.tmp, "r.yaml")
        with open(path, "w") as f:
            f.write("- id: BACKREF\n  target: body\n  pattern: '(\\w+) \\1'\n  score: 2\n"
                    "- id: LITERAL\n  target: subject\n  pattern: 'integration'\n  score: 1\n")
        msg = os.path.join(self.tmp, "m.eml")
        with open(msg, "wb") as f:
            f.write(message("integration", "say hello hello twice"))
        run = run_cli(["rules", "test", "--rules", path, "--json", msg])
        self.assertEqual(run.returncode, 0, run.stderr)
        result = json.loads(run.stdout.decode())
        hits = {h["id"]: h for h in result["hits"]}
        self.assertEqual(set(hits), {"BACKREF", "LITERAL"})
        self.assertIn("[hello hello]", hits["BACKREF"]["snippet"])
        self.assertEqual(hits["LITERAL"]["offset"], 0)
        self.assertEqual(result["score"], 3)
        self.assertEqual(result["action"], "accept")
