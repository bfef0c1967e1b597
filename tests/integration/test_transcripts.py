"""Replays the golden transcripts tests/transcripts/*.smtp (format: that folder's README.md)
against a fresh gate + smtp-sink each, asserting every S: line exactly and every B: block
against smtp-sink's captures. One test method per transcript file."""

import glob
import os
import unittest

from harness import (ConnectionClosed, GateTestCase, SOURCE, free_port, gate_config, to_yaml,
                     unescape)

TRANSCRIPTS = os.path.join(SOURCE, "tests", "transcripts")


class Transcript:
    def __init__(self, path):
        self.path = path
        self.config = {}
        self.steps = []  # ("send", bytes, lineno) | ("expect", text, lineno)
        self.backend = []  # list of messages, each a list of lines
        with open(path, encoding="utf-8") as f:
            for n, raw in enumerate(f, 1):
                line = raw.rstrip("\r\n")
                if not line.strip() or line.startswith("#"):
                    continue
                if line.startswith("@config "):
                    key, _, value = line[len("@config "):].partition(":")
                    self.config[key.strip()] = value.strip()
                    continue
                tag, rest = line[:2], line[3:] if len(line) > 2 else ""
                if len(line) > 2 and line[2] != " ":
                    raise ValueError("%s:%d: a space must follow %r" % (path, n, tag))
                if tag == "C:":
                    self.steps.append(("send", rest.encode("utf-8") + b"\r\n", n))
                elif tag == "C~":
                    self.steps.append(("send", unescape(rest), n))
                elif tag == "S:":
                    self.steps.append(("expect", rest, n))
                elif tag == "B:":
                    if rest.startswith("X-Client-Addr:") or not self.backend:
                        self.backend.append([])
                    self.backend[-1].append(rest)
                else:
                    raise ValueError("%s:%d: unknown line %r" % (path, n, line))


def config_text(port, sink_port, overrides):
    """The default test config, with @config lines replacing whole top-level keys (their
    values are YAML flow text, inserted as written)."""
    cfg = gate_config(port, sink_port)
    lines = []
    for key, value in cfg.items():
        if key not in overrides:
            lines.append(to_yaml({key: value}))
    for key, value in overrides.items():
        lines.append("%s: %s\n" % (key, value))
    return "".join(lines)


class TranscriptTest(GateTestCase):
    def replay(self, path):
        t = Transcript(path)
        sink = self.sink()
        port = free_port()
        gate = self.gate(cfg=config_text(port, sink.port, t.config), port=port,
                         name="gate-" + os.path.basename(path)[:-5])
        c = self.client(gate)
        pending = b""
        where = os.path.relpath(path, SOURCE)
        for kind, value, n in t.steps:
            if kind == "send":
                pending += value
                continue
            if pending:
                c.send(pending)
                pending = b""
            if value == "<closed>":
                self.assertTrue(c.wait_closed(), "%s:%d: connection still open" % (where, n))
                self.assertEqual(c.buf, b"", "%s:%d: bytes before the close" % (where, n))
                continue
            try:
                got = c.read_line()
            except ConnectionClosed:
                self.fail("%s:%d: expected %r, the gate closed the connection" %
                          (where, n, value))
            self.assertEqual(got.decode("utf-8", "replace"), value,
                             "%s:%d: the gate's reply differs" % (where, n))
        if pending:
            c.send(pending)
        self.assertTrue(c.wait_closed(), "%s: the session did not end" % where)
        self.assertEqual(c.buf, b"", "%s: replies the transcript does not expect: %r" %
                         (where, c.buf))
        gate.wait_disconnect(c)
        captured = [d.transcript_lines() for d in sink.wait_dumps(len(t.backend))]
        if len(captured) != len(t.backend):
            self.fail("%s: %d messages reached the backend, the transcript has %d:\n%s" %
                      (where, len(captured), len(t.backend),
                       "\n---\n".join("\n".join(m) for m in captured)))
        for expected in t.backend:
            if expected in captured:
                captured.remove(expected)
                continue
            self.assertEqual(captured[0] if len(captured) == 1 else captured, expected,
                             "%s: a B: block matches no captured message" % where)


def _add_tests():
    paths = sorted(glob.glob(os.path.join(TRANSCRIPTS, "*.smtp")))
    for path in paths:
        name = "test_" + os.path.basename(path)[:-5].replace("-", "_")

        def test(self, path=path):
            self.replay(path)
        test.__doc__ = os.path.basename(path)
        setattr(TranscriptTest, name, test)

    def test_there_are_transcripts(self):
        self.assertGreaterEqual(len(paths), 7, TRANSCRIPTS)
    TranscriptTest.test_there_are_transcripts = test_there_are_transcripts


_add_tests()

if __name__ == "__main__":
    unittest.main()
