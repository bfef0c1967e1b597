"""portcullis --check-config --config FILE (DESIGN.md, command line): exit 0 and "ok" for a
valid file, exit 2 and one "FILE:LINE:COL: ..." line per problem otherwise."""

import os
import re
import subprocess
import tempfile
import unittest

from harness import (BIN, SOURCE, TIME_SCALE, gate_config, require_binary, sanitizer_report,
                     to_yaml)

VALID_HEAD = ('hostname: gate.test\n'
              'listeners: [{name: mx, address: "127.0.0.1:2525"}]\n'
              'backend: {address: "127.0.0.1:10025"}\n')


class CheckConfigTest(unittest.TestCase):
    def setUp(self):
        require_binary()
        self.dir = tempfile.TemporaryDirectory(prefix="portcullis-it-check-")
        self.addCleanup(self.dir.cleanup)

    def check(self, text=None, path=None, cwd=None):
        if path is None:
            path = os.path.join(self.dir.name, "portcullis.yaml")
            with open(path, "w") as f:
                f.write(text)
        run = subprocess.run([BIN, "--check-config", "--config", path], capture_output=True,
                             timeout=60 * TIME_SCALE, stdin=subprocess.DEVNULL, cwd=cwd)
        report = sanitizer_report(run.stderr.decode("utf-8", "replace"))
        self.assertIsNone(report, report)
        return path, run.returncode, run.stdout.decode(), run.stderr.decode()

    def assertProblems(self, text, expected):
        """expected: [(line, key-or-message fragment)], in file order."""
        path, code, out, err = self.check(text)
        self.assertEqual(code, 2, out + err)
        problems = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(problems), len(expected), err)
        for line_text, (line, fragment) in zip(problems, expected):
            self.assertRegex(line_text, r"^%s:%d:\d+: " % (re.escape(path), line))
            self.assertIn(fragment, line_text)
        self.assertNotIn("ok", out)
        return problems

    def test_shipped_config_is_ok(self):
        shipped = os.path.join(SOURCE, "deploy", "portcullis.yaml")
        self.assertTrue(os.path.exists(shipped), "deploy/portcullis.yaml is missing")
        # From the repository root, as its header says: its paths are relative to it.
        path, code, out, err = self.check(path=shipped, cwd=SOURCE)
        self.assertEqual(code, 0, out + err)
        self.assertIn("ok", out)
        self.assertEqual(err.strip(), "")

    def test_test_config_is_ok(self):
        path, code, out, err = self.check(to_yaml(gate_config(2525, 10025)))
        self.assertEqual((code, out.strip()), (0, path + ": ok"), err)

    def test_unknown_key(self):
        self.assertProblems(VALID_HEAD + "relay_domain: [example.org]\n",
                            [(4, "relay_domain: unknown key; did you mean 'relay_domains'?")])

    def test_bad_size(self):
        self.assertProblems(VALID_HEAD + "limits:\n  max_message_size: 10XB\n",
                            [(5, "limits.max_message_size: expected a size")])

    def test_bad_duration(self):
        self.assertProblems(VALID_HEAD + "limits:\n  command_timeout: 5 minutes\n",
                            [(5, "limits.command_timeout: expected a duration")])

    def test_bad_cidr(self):
        self.assertProblems(VALID_HEAD + "trusted_networks: [127.0.0.0/8, 10.0.0.0/33]\n",
                            [(4, "trusted_networks[1]")])

    def test_unsupported_section(self):
        self.assertProblems(VALID_HEAD + "tls: {cert: /etc/c.pem, key: /etc/k.pem}\n",
                            [(4, "tls: not supported by this build yet")])

    def test_several_problems_at_once(self):
        text = (VALID_HEAD +
                "bogus: 1\n"                                   # 4
                "limits:\n"                                    # 5
                "  max_message_size: lots\n"                   # 6
                "  command_timeout: -1s\n"                     # 7
                "trusted_networks: [300.0.0.0/8]\n"            # 8
                "tls: {cert: a, key: b}\n"                     # 9
                "smtp: {bare_newline: maybe}\n")               # 10
        self.assertProblems(text, [(4, "bogus"), (6, "max_message_size"),
                                   (7, "command_timeout"), (8, "trusted_networks[0]"),
                                   (9, "tls"), (10, "smtp.bare_newline")])

    def test_missing_file(self):
        path, code, out, err = self.check(path=os.path.join(self.dir.name, "absent.yaml"))
        self.assertEqual(code, 2)
        self.assertIn("absent.yaml", err)

    def test_usage_error_exits_2(self):
        run = subprocess.run([BIN, "--check-config"], capture_output=True,
                             timeout=60 * TIME_SCALE, stdin=subprocess.DEVNULL)
        self.assertEqual(run.returncode, 2)
        self.assertIsNone(sanitizer_report(run.stderr.decode("utf-8", "replace")))


if __name__ == "__main__":
    unittest.main()
