"""Antivirus through the real binary (docs/filters.md#antivirus): in-process libclamav with the
shared test signatures in front of a real smtp-sink, and once against a real clamd (Debian's
clamav-daemon) started here on a unix socket and stopped by PID. EICAR in an attachment and
in a zip is refused with the signature name, a clean message is delivered byte for byte, the
quarantine action delivers with X-Portcullis-Quarantine, an unreachable scanner tempfails
(never fails open by accident) unless fail_open is set, and `scan --json` agrees.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import (CRLF, SHARED, SOURCE, TIME_SCALE, GateTestCase, crlf_to_lf, dot_stuff,
                     run_cli, to_yaml)

CLAMAV = os.path.join(SHARED, "testdata", "clamav")
CLAMD = "/usr/sbin/clamd"


def eml(name):
    """A sample message with CRLF line ends, as SMTP carries it."""
    with open(os.path.join(CLAMAV, name), "rb") as f:
        data = f.read()
    return data.replace(b"\r\n", b"\n").replace(b"\n", CRLF)


def test_database(tmp):
    """The shared test signatures in a directory of their own (the filter loads a dir)."""
    db = os.path.join(tmp, "db")
    os.makedirs(db, exist_ok=True)
    for name in ("test.hdb", "test.ndb"):
        shutil.copy(os.path.join(CLAMAV, name), db)
    return db


class AntivirusCase(GateTestCase):
    def send(self, gate, msg):
        return self.send_message(gate, msg)


class LibclamavTest(AntivirusCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = test_database(cls.class_tmp)
        cls.sink_ = cls.class_sink()
        cls.gate_ = cls.class_gate(backend=cls.sink_.port, name="av-gate",
                                   filters={"antivirus": {"database": cls.db}})
        cls.quarantine = cls.class_gate(
            backend=cls.sink_.port, name="av-quarantine",
            filters={"antivirus": {"database": cls.db, "on_virus": "quarantine"}})

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def test_eicar_attachment_rejected_with_its_name(self):
        r = self.send(self.gate_, eml("eicar-attachment.eml"))
        self.assertReply(r, 554, "5.7.1")
        self.assertIn("virus", r.first)
        self.assertIn("Portcullis.Test.EICAR", r.first)
        self.assertNotIn("UNOFFICIAL", r.first)
        time.sleep(0.2 * TIME_SCALE)
        self.assertEqual(self.sink_.dumps(), [])
        self.assertIn("AV_INFECTED", self.gate_.log())

    def test_eicar_in_zip_rejected(self):
        r = self.send(self.gate_, eml("eicar-zip-attachment.eml"))
        self.assertReply(r, 554, "5.7.1")
        time.sleep(0.2 * TIME_SCALE)
        self.assertEqual(self.sink_.dumps(), [])

    def test_clean_message_delivered_byte_for_byte(self):
        msg = eml("clean.eml")
        self.assertReply(self.send(self.gate_, msg), 250)
        [dump] = self.sink_.wait_dumps(1)
        self.assertEqual(dump.body, crlf_to_lf(msg))

    def test_quarantine_delivers_with_header(self):
        r = self.send(self.quarantine, eml("eicar-attachment.eml"))
        self.assertReply(r, 250)
        [dump] = self.sink_.wait_dumps(1)
        [line] = [l for l in dump.raw.split(b"\n") if l.startswith(b"X-Portcullis-Quarantine:")]
        self.assertIn(b"virus", line)

    def test_scan_json_agrees(self):
        cfg = os.path.join(self.class_tmp, "av-gate.yaml")
        run = run_cli(["scan", "--config", cfg, "--json", "--mail-from", "a@example.com",
                       "--rcpt", "user@example.org",
                       os.path.join(CLAMAV, "eicar-attachment.eml"),
                       os.path.join(CLAMAV, "clean.eml")])
        self.assertEqual(run.returncode, 0, run.stderr)
        infected, clean = [json.loads(l) for l in run.stdout.decode().splitlines()]
        self.assertEqual(infected["action"], "reject")
        self.assertTrue(infected["reply"].startswith("554 5.7.1"), infected)
        self.assertIn("AV_INFECTED", [s["name"] for s in infected["symbols"]])
        self.assertEqual(clean["action"], "accept")


class ScannerDownTest(AntivirusCase):
    """clamd engine pointed at a socket nobody listens on: tempfail, or a symbol with
    fail_open; never a silent accept."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()
        missing = "unix:" + os.path.join(cls.class_tmp, "no-clamd.sock")
        cls.closed = cls.class_gate(backend=cls.sink_.port, name="av-closed",
                                    filters={"antivirus": {"engine": "clamd", "clamd": missing}})
        cls.open_ = cls.class_gate(
            backend=cls.sink_.port, name="av-open",
            filters={"antivirus": {"engine": "clamd", "clamd": missing, "fail_open": True}})

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def test_scanner_down_tempfails(self):
        r = self.send(self.closed, eml("clean.eml"))
        self.assertReply(r, 451, "4.7.1")
        time.sleep(0.2 * TIME_SCALE)
        self.assertEqual(self.sink_.dumps(), [])

    def test_scanner_down_fail_open_delivers_and_says_so(self):
        msg = eml("clean.eml")
        self.assertReply(self.send(self.open_, msg), 250)
        self.sink_.wait_dumps(1)
        self.assertIn("AV_FAIL_OPEN", self.open_.log())


class WatchTest(AntivirusCase):
    """New signatures in the database directory are picked up without a reload (polled), and
    SIGHUP reloads the engine too: sessions never see a pause or a gap."""

    MARKER = "portcullis-integration-marker-5f3a9c"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = test_database(cls.class_tmp)
        cls.sink_ = cls.class_sink()
        cls.gate_ = cls.class_gate(
            backend=cls.sink_.port, name="av-watch",
            filters={"antivirus": {"database": cls.db, "watch": "200ms"}})

    def marked(self):
        return CRLF.join([b"From: <a@example.com>", b"To: <user@example.org>", b"Subject: m",
                          b"", b"text with " + self.MARKER.encode() + b" inside", b""])

    def test_new_signature_file_is_loaded_without_reload(self):
        self.sink_.clear()
        self.assertReply(self.send(self.gate_, self.marked()), 250)
        with open(os.path.join(self.db, "local.ndb"), "w") as f:
            f.write("Portcullis.Local.Marker:0:*:%s\n" % self.MARKER.encode().hex())
        deadline = time.monotonic() + 20 * TIME_SCALE
        while True:
            r = self.send(self.gate_, self.marked())
            if r.code == 554 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertReply(r, 554, "5.7.1")
        self.assertIn("Portcullis.Local.Marker", r.first)
        self.assertIn("changed; reloading", self.gate_.log())


@unittest.skipUnless(os.access(CLAMD, os.X_OK), "clamd not installed (clamav-daemon)")
class ClamdTest(AntivirusCase):
    """A real clamd with the test signatures, started here and stopped by PID."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tmp = cls.class_tmp
        db = test_database(tmp)
        cls.socket = os.path.join(tmp, "clamd.sock")
        conf = os.path.join(tmp, "clamd.conf")
        with open(conf, "w") as f:
            f.write("Foreground yes\nLocalSocket %s\nDatabaseDirectory %s\nLogFile %s\n"
                    "TemporaryDirectory %s\nUser %s\nLogVerbose no\nAlertExceedsMax yes\n" % (
                        cls.socket, db, os.path.join(tmp, "clamd.log"), tmp,
                        os.environ.get("USER") or "root"))
        cls.clamd = subprocess.Popen([CLAMD, "--config-file=" + conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        cls.addClassCleanup(cls.stop_clamd)
        deadline = time.monotonic() + 60 * TIME_SCALE
        while not os.path.exists(cls.socket):
            if cls.clamd.poll() is not None or time.monotonic() > deadline:
                with open(os.path.join(tmp, "clamd.log"), errors="replace") as f:
                    raise AssertionError("clamd did not start:\n" + f.read()[-2000:])
            time.sleep(0.05)
        cls.sink_ = cls.class_sink()
        cls.gate_ = cls.class_gate(
            backend=cls.sink_.port, name="av-clamd",
            filters={"antivirus": {"engine": "clamd", "clamd": "unix:" + cls.socket}})

    @classmethod
    def stop_clamd(cls):
        cls.clamd.send_signal(signal.SIGTERM)
        try:
            cls.clamd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.clamd.kill()
            cls.clamd.wait()

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def test_clamd_finds_eicar(self):
        r = self.send(self.gate_, eml("eicar-attachment.eml"))
        self.assertReply(r, 554, "5.7.1")
        self.assertIn("virus", r.first)

    def test_clamd_passes_clean(self):
        msg = eml("clean.eml")
        self.assertReply(self.send(self.gate_, msg), 250)
        [dump] = self.sink_.wait_dumps(1)
        self.assertEqual(dump.body, crlf_to_lf(msg))


if __name__ == "__main__":
    unittest.main()
