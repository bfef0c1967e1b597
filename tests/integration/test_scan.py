"""portcullis scan (DESIGN.md "Command line", fixed grammar and JSON fields; docs/scan.md):
the pipeline offline over saved messages.

ScanAgreementTest sends each message with its envelope through a real gate (JSON log, real
smtp-sink) and scans the same file with the same envelope and config: the action, score,
symbols and (for refusals) reply must be the same; an accepted message's scan reply is
"250 2.0.0 Ok". ScanCliTest covers the command itself: output formats, defaults, LF/CRLF,
exit codes 0/1/2.
"""

import ipaddress
import json
import os
import re
import shutil
import unittest

from harness import (CRLF, GateTestCase, HOSTNAME, SHARED, SmtpClient, dot_stuff, gate_config,
                     local_source_ipv4, make_tempdir, run_cli, to_yaml)

MESSAGES = os.path.join(SHARED, "testdata", "messages")
HAM = os.path.join(MESSAGES, "spamassassin-sample-nonspam.eml")
GTUBE = os.path.join(MESSAGES, "spamassassin-sample-spam-gtube.eml")

POLICY = {"add_header": 1, "quarantine": 4, "tempfail": 6, "reject": 8}
HELO_SCORES = {"HELO_BAD_SYNTAX": 7, "HELO_BARE_IP": 9, "HELO_IP_MISMATCH": 4.5}
DENIED_NET = "192.0.2.0/24"
SENDER_REPLY = "550 5.7.1 Sender address rejected: Access denied"
RCPT_REPLY = "550 5.7.1 Recipient address rejected: Access denied"


def to_crlf(data):
    """What SMTP would carry: LF line ends become CRLF (CRLF stays), ending in CRLF."""
    out = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    return out if out.endswith(CRLF) else out + CRLF


def scan(args, files, config):
    """Runs `portcullis scan --config CONFIG ARGS... -- FILES...`. The `--` keeps the files
    out of a preceding --rcpt (see ScanCliTest.test_rcpt_option_followed_by_messages)."""
    return run_cli(["scan", "--config", config] + list(args) + ["--"] + list(files))


def scan_json(test, args, files, config, code=0):
    run = scan(list(args) + ["--json"], files, config)
    test.assertEqual(run.returncode, code, run.stderr.decode())
    lines = run.stdout.decode().splitlines()
    test.assertEqual(len(lines), len(files), run.stdout)
    return [json.loads(l) for l in lines]


def envelope_args(helo=None, sender=None, rcpts=(), client_ip=None):
    args = []
    if client_ip:
        args += ["--client-ip", client_ip]
    if helo is not None:
        args += ["--helo", helo]
    if sender is not None:
        args += ["--mail-from", sender]
    for r in rcpts:
        args += ["--rcpt", r]
    return args


class Case:
    def __init__(self, name, path, helo, sender, rcpts, action, stage, source=False):
        self.name = name
        self.path = path
        self.helo = helo
        self.sender = sender
        self.rcpts = rcpts
        self.action = action
        self.stage = stage
        self.source = source  # connect from this host's non-loopback address


CASES = [
    Case("ham accepted", HAM, "mail.client.test", "a@example.com", ["u@example.org"],
         "accept", "end_of_message"),
    Case("gtube, HELO not fqdn: add header", GTUBE, "mypc", "a@example.com", ["u@example.org"],
         "add_header", "end_of_message"),
    Case("HELO literal mismatch: quarantine", HAM, "[127.0.0.2]", "a@example.com",
         ["u@example.org"], "quarantine", "end_of_message"),
    Case("bad HELO syntax: tempfail", GTUBE, "my_pc", "a@example.com", ["u@example.org"],
         "tempfail", "end_of_message"),
    Case("bare IP HELO: reject by score", GTUBE, "192.0.2.77", "a@example.com",
         ["u@example.org"], "reject", "end_of_message"),
    Case("null sender, two recipients", HAM, "mypc", "", ["u@example.org", "v@example.org"],
         "add_header", "end_of_message"),
    Case("one recipient of two denied", GTUBE, "mypc", "a@example.com",
         ["trap@example.org", "u@example.org"], "add_header", "end_of_message"),
    Case("denied sender: reject at MAIL", HAM, "mail.client.test", "x@spam.example",
         ["u@example.org"], "reject", "mail"),
    Case("denied recipient: reject at RCPT", GTUBE, "mail.client.test", "a@example.com",
         ["trap@example.org"], "reject", "rcpt"),
    Case("denied client: reject at connect", HAM, "mail.client.test", "a@example.com",
         ["u@example.org"], "reject", "connect", source=True),
]


class ScanAgreementTest(GateTestCase):
    """The same message and envelope through the proxy and through scan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = local_source_ipv4()
        deny = [DENIED_NET]
        if cls.source and ipaddress.ip_address(cls.source) not in ipaddress.ip_network(DENIED_NET):
            deny.append(cls.source)
        cls.sink_ = cls.class_sink()
        cls.gate_ = cls.class_gate(
            backend=cls.sink_.port, name="scan-agreement-gate", log={"format": "json"},
            filters={"access": {"deny_clients": deny, "deny_senders": ["@spam.example"],
                                "deny_recipients": ["trap@example.org"]},
                     "helo": {"scores": HELO_SCORES}},
            policy=POLICY)

    def log_objects(self):
        out = []
        for line in self.gate_.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                self.fail("log line is not JSON: %r" % line)
        return out

    def refusal_symbol(self, stage, port):
        """The symbol of the gate's 'reject:' line for a refusal before DATA."""
        for obj in self.log_objects():
            m = re.search(r"reject: %s from \[[^\]]+\]:%d: .* symbol=(\S+)$" % (stage, port),
                          obj.get("msg", ""))
            if m:
                return m.group(1)
        self.fail("no reject: %s line for port %d" % (stage, port))

    def via_proxy(self, case):
        """What the gate did: {action, reply, score, symbols} (symbols as names only for a
        refusal before DATA, whose log line names one symbol)."""
        with open(case.path, "rb") as f:
            msg = to_crlf(f.read())
        source = self.source if case.source else None
        c = SmtpClient(self.gate_.port, source=source)
        self.addCleanup(c.close)
        try:
            greeting = c.greeting()
            if greeting.code != 220:
                c.cmd("QUIT")
                return {"stage": "connect", "reply": greeting.first,
                        "symbol": self.refusal_symbol("CONNECT", c.local_port)}
            self.assertReply(c.ehlo(case.helo), 250)
            mail = c.cmd("MAIL FROM:<%s>" % case.sender)
            if mail.code != 250:
                c.cmd("QUIT")
                return {"stage": "mail", "reply": mail.first,
                        "symbol": self.refusal_symbol("MAIL", c.local_port)}
            rcpts = [c.cmd("RCPT TO:<%s>" % r) for r in case.rcpts]
            if all(r.code != 250 for r in rcpts):
                c.cmd("QUIT")
                return {"stage": "rcpt", "reply": rcpts[-1].first,
                        "symbol": self.refusal_symbol("RCPT", c.local_port)}
            self.assertReply(c.cmd("DATA"), 354)
            c.send(dot_stuff(msg))
            final = c.reply()
            c.cmd("QUIT")
        finally:
            self.gate_.wait_disconnect(c)
        [line] = [o for o in self.log_objects()
                  if o.get("event") == "transaction" and o["client_port"] == c.local_port]
        self.assertEqual(line["reply"], final.first)
        return dict(line, stage="end_of_message")

    def check(self, case):
        if case.source and not self.source:
            self.skipTest("this host has no non-loopback IPv4 address to connect from")
        proxy = self.via_proxy(case)
        client_ip = self.source if case.source else None
        [got] = scan_json(self, envelope_args(case.helo, case.sender, case.rcpts, client_ip),
                          [case.path], self.gate_.config_path)
        self.assertEqual(got["file"], case.path)
        self.assertEqual((got["action"], got["stage"]), (case.action, case.stage), got)
        self.assertEqual(proxy["stage"], case.stage, proxy)
        if case.stage != "end_of_message":
            self.assertEqual(got["reply"], proxy["reply"])
            self.assertEqual([s["name"] for s in got["symbols"]], [proxy["symbol"]])
            self.assertEqual(got["score"], 0)
            return got
        self.assertEqual((got["action"], got["score"], got["symbols"]),
                         (proxy["action"], proxy["score"], proxy["symbols"]))
        if got["action"] in ("reject", "tempfail"):
            self.assertEqual(got["reply"], proxy["reply"])
        else:
            self.assertEqual(got["reply"], "250 2.0.0 Ok")
            self.assertRegex(proxy["reply"], r"^250 2\.0\.0\b")
        return got

    def test_scan_other_address_of_the_denied_net(self):
        [got] = scan_json(self, ["--client-ip", "192.0.2.9"], [HAM], self.gate_.config_path)
        self.assertEqual(
            (got["action"], got["stage"], got["reply"], got["score"], got["symbols"]),
            ("reject", "connect", "554 5.7.1 Access denied", 0,
             [{"name": "ACCESS_DENY_CLIENT", "score": 0, "detail": DENIED_NET}]))


def _add_agreement_tests():
    for i, case in enumerate(CASES):
        name = "test_%02d_%s" % (i, re.sub(r"\W+", "_", case.name.lower()).strip("_"))

        def test(self, case=case):
            self.check(case)
        test.__doc__ = case.name
        setattr(ScanAgreementTest, name, test)


_add_agreement_tests()


# --- the command itself ----------------------------------------------------------------------

class ScanCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = make_tempdir("scan-cli")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.config = cls.write_config("scan.yaml", filters={
            "access": {"deny_senders": ["@spam.example"], "deny_recipients": ["trap@example.org"]},
            "helo": {}}, policy={"add_header": 1, "reject": 3})

    @classmethod
    def write_config(cls, name, text=None, **overrides):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(text if text is not None else to_yaml(gate_config(2525, 10025, **overrides)))
        return path

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_text_output_one_line_per_message(self):
        run = scan(["--helo", "mypc"], [HAM, GTUBE], self.config)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stderr, b"")
        self.assertEqual(run.stdout.decode().splitlines(), [
            '%s: add_header score=1.0 symbols=HELO_NOT_FQDN(1.0) reply="250 2.0.0 Ok" '
            'stage=end_of_message' % p for p in (HAM, GTUBE)])
        run = scan(["--mail-from", "x@spam.example"], [HAM], self.config)
        self.assertEqual(run.stdout.decode(),
                         '%s: reject score=0.0 symbols=ACCESS_DENY_SENDER(0.0) reply="%s" '
                         'stage=mail\n' % (HAM, SENDER_REPLY))
        run = scan(["--helo", "mail.client.test"], [HAM], self.config)
        self.assertEqual(run.stdout.decode(),
                         '%s: accept score=0.0 symbols=- reply="250 2.0.0 Ok" '
                         'stage=end_of_message\n' % HAM)

    def test_json_output_fields(self):
        got = scan_json(self, ["--helo", "a_b", "--mail-from", "a@example.com", "--rcpt",
                               "trap@example.org", "--rcpt", "u@example.org"],
                        [HAM, GTUBE], self.config)
        for obj, path in zip(got, (HAM, GTUBE)):
            self.assertLessEqual({"file", "action", "reply", "score", "symbols", "stage"},
                                 set(obj))
            self.assertEqual(
                (obj["file"], obj["action"], obj["reply"], obj["score"], obj["symbols"],
                 obj["stage"]),
                (path, "reject", "554 5.7.1 Message rejected as spam", 3,
                 [{"name": "HELO_BAD_SYNTAX", "score": 3, "detail": "a_b"},
                  {"name": "ACCESS_DENY_RECIPIENT", "score": 0, "detail": "trap@example.org"}],
                 "end_of_message"))

    def test_each_message_starts_a_fresh_session(self):
        got = scan_json(self, ["--helo", "mypc"], [HAM, GTUBE, HAM], self.config)
        self.assertEqual([(o["action"], o["score"]) for o in got], [("add_header", 1)] * 3)

    def test_default_client_ip_is_loopback(self):
        config = self.write_config("deny-loopback.yaml",
                                   filters={"access": {"deny_clients": ["127.0.0.0/8"]}})
        [got] = scan_json(self, [], [HAM], config)
        self.assertEqual((got["action"], got["stage"], got["reply"]),
                         ("reject", "connect", "554 5.7.1 Access denied"))
        [got] = scan_json(self, ["--client-ip", "198.51.100.7"], [HAM], config)
        self.assertEqual((got["action"], got["stage"]), ("accept", "end_of_message"))

    def test_helo_stage_runs_only_with_helo(self):
        [got] = scan_json(self, [], [HAM], self.config)
        self.assertEqual((got["action"], got["score"], got["symbols"]), ("accept", 0, []))
        [got] = scan_json(self, ["--helo", "mypc"], [HAM], self.config)
        self.assertEqual(got["symbols"], [{"name": "HELO_NOT_FQDN", "score": 1,
                                           "detail": "mypc"}])

    def test_null_sender_by_default(self):
        config = self.write_config("deny-null.yaml",
                                   filters={"access": {"deny_senders": ["<>"]}})
        [got] = scan_json(self, [], [HAM], config)
        self.assertEqual((got["action"], got["stage"], got["reply"], got["symbols"]),
                         ("reject", "mail", SENDER_REPLY,
                          [{"name": "ACCESS_DENY_SENDER", "score": 0, "detail": "<>"}]))
        [got] = scan_json(self, ["--mail-from", "a@example.com"], [HAM], config)
        self.assertEqual(got["action"], "accept")

    def test_forged_own_helo_needs_a_known_client(self):
        def symbols(ip):
            args = ["--helo", HOSTNAME] + (["--client-ip", ip] if ip else [])
            return [s["name"] for s in scan_json(self, args, [HAM], self.config)[0]["symbols"]]
        self.assertEqual(symbols(None), [])            # 127.0.0.1: a local client may say so
        self.assertEqual(symbols("198.51.100.7"), ["HELO_FORGED_OWN"])
        self.assertEqual(symbols("::"), [])            # unknown client address

    def test_lf_and_crlf_files_give_the_same_result(self):
        with open(HAM, "rb") as f:
            lf = f.read()
        self.assertNotIn(b"\r\n", lf)
        crlf = to_crlf(lf)
        mixed = lf[:len(lf) // 2] + crlf[len(crlf) // 2:]
        paths = [self.write("ham-lf.eml", lf), self.write("ham-crlf.eml", crlf),
                 self.write("ham-mixed.eml", mixed)]
        for args in ([], ["--helo", "mypc", "--mail-from", "a@example.com", "--rcpt",
                          "u@example.org"], ["--helo", "[1.2.3.4]"],
                     ["--mail-from", "a@spam.example"]):
            got = scan_json(self, args, paths, self.config)
            for obj in got:
                obj.pop("file")
            self.assertEqual(got[1:], got[:1] * 2, args)

    def test_unreadable_file_exit_1_others_still_scanned(self):
        missing = os.path.join(self.dir, "no-such.eml")
        run = scan(["--json"], [HAM, missing, GTUBE], self.config)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertEqual([json.loads(l)["file"] for l in run.stdout.splitlines()], [HAM, GTUBE])
        self.assertIn(missing.encode(), run.stderr)
        self.assertEqual(len(run.stderr.splitlines()), 1, run.stderr)

    def test_too_big_file_exit_1(self):
        config = self.write_config("small.yaml", limits={"max_message_size": "1KiB"})
        self.assertGreater(os.path.getsize(HAM), 1024)
        self.assertLess(os.path.getsize(GTUBE), 1024)
        run = scan([], [HAM, GTUBE], config)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertRegex(run.stdout.decode(), r"^%s: accept " % re.escape(GTUBE))
        self.assertEqual(len(run.stdout.splitlines()), 1)
        self.assertIn(b"max_message_size", run.stderr)

    def test_directory_is_not_a_message(self):
        run = scan([], [self.dir, GTUBE], self.config)
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn(self.dir.encode(), run.stderr)
        self.assertEqual(len(run.stdout.splitlines()), 1, run.stdout)

    def test_file_name_is_escaped_in_json(self):
        path = self.write('we"ird\\name.eml', b"Subject: x\n\nbody\n")
        [got] = scan_json(self, [], [path], self.config)
        self.assertEqual(got["file"], path)

    def test_bad_config_exit_2_with_positions(self):
        head = to_yaml(gate_config(2525, 10025))
        line = head.count("\n") + 2
        for section, col, message in [
                ("  acess: {}\n", 3, "filters.acess: unknown filter; did you mean 'access'?"),
                ("  dnsbl: {}\n", 3, "filters.dnsbl: not supported by this build yet"),
                ("  access: {deny_clients: [192.0.2.0/33]}\n", 27,
                 "filters.access.deny_clients[0]: "),
                ("  access: {deny_clients: [192.0.2.1/24]}\n", 27,
                 "filters.access.deny_clients[0]: 192.0.2.1/24 has host bits set; did you mean "
                 "192.0.2.0/24?")]:
            config = self.write_config("bad.yaml", head + "filters:\n" + section)
            for args in ([], ["--json"]):
                run = scan(args, [HAM], config)
                self.assertEqual(run.returncode, 2, section)
                self.assertEqual(run.stdout, b"", section)
                [problem] = run.stderr.decode().splitlines()
                self.assertTrue(problem.startswith("%s:%d:%d: %s" % (config, line, col, message)),
                                problem)

    def test_usage_errors_exit_2(self):
        for args in (["scan", "--config", self.config],            # no MESSAGE
                     ["scan", HAM],                                  # no --config
                     ["scan", "--config", self.config, "--no-such-option", HAM],
                     ["scan", "--config", self.config, "--client-ip"],
                     ["scan", "--config", os.path.join(self.dir, "missing.yaml"), HAM]):
            run = run_cli(args)
            self.assertEqual(run.returncode, 2, (args, run.stdout, run.stderr))
            self.assertEqual(run.stdout, b"", args)
            self.assertNotEqual(run.stderr.strip(), b"", args)

    def test_bad_client_ip_is_a_usage_error(self):
        # Silently scanning as the unknown address would hide a typo in a reproduction.
        run = scan(["--client-ip", "192.0.2.300"], [HAM], self.config)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertEqual(run.stdout, b"")
        self.assertIn(b"192.0.2.300", run.stderr)

    def test_rcpt_option_followed_by_messages(self):
        # The fixed grammar: [--rcpt ADDR]... [--json] MESSAGE... -- no "--" needed.
        run = run_cli(["scan", "--config", self.config, "--rcpt", "u@example.org", HAM, GTUBE])
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual([l.split(": ")[0] for l in run.stdout.decode().splitlines()],
                         [HAM, GTUBE])
        run = run_cli(["scan", "--config", self.config, "--rcpt", "trap@example.org", "--json",
                       HAM])
        [got] = [json.loads(l) for l in run.stdout.splitlines()]
        self.assertEqual((got["action"], got["stage"]), ("reject", "rcpt"))

    def test_every_recipient_denied_is_a_reject_at_rcpt(self):
        # The proxy refuses each RCPT and then DATA (554 5.5.1 no valid recipients): nothing
        # is accepted, as with a single denied recipient.
        [one] = scan_json(self, ["--rcpt", "trap@example.org"], [HAM], self.config)
        self.assertEqual((one["action"], one["stage"], one["reply"]),
                         ("reject", "rcpt", RCPT_REPLY))
        [two] = scan_json(self, ["--rcpt", "trap@example.org", "--rcpt", "Trap@Example.org"],
                          [HAM], self.config)
        self.assertEqual((two["action"], two["stage"]), ("reject", "rcpt"), two)


if __name__ == "__main__":
    unittest.main()
