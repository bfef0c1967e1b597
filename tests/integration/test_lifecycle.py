"""Process lifecycle: SIGTERM drain (DESIGN.md process model) and SIGHUP reload.

SIGTERM: listeners close at once (new connections refused); an idle session gets
"421 4.3.2 ... Service shutting down" promptly; a session inside a transaction may finish
it within shutdown_grace, then gets the 421; a session still stuck when the grace ends is
closed with the 421; the process exits 0.
SIGHUP: limits and relay lists change for new sessions; sessions in flight keep the
snapshot they started with; a broken file is refused (logged as file:line:col) and the old
configuration keeps serving."""

import os
import signal
import subprocess
import time
import unittest

from harness import (BIN, GateTestCase, TIME_SCALE, crlf_to_lf, dot_stuff, gate_config,
                     free_port, port_refuses, sanitizer_report, to_yaml)

MSG = b"From: <a@example.com>\r\nSubject: drain\r\n\r\nfinished during the drain\r\n"
SHUTDOWN = b"421 4.3.2 gate.test Service shutting down\r\n"


class DrainTest(GateTestCase):
    def wait_refused(self, gate):
        end = time.monotonic() + 10 * TIME_SCALE
        while not port_refuses(gate.port):
            self.assertLess(time.monotonic(), end, "listener still accepting during drain")
            time.sleep(0.02)

    def test_idle_session_gets_421_promptly_and_exit_0(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, limits={"shutdown_grace": "10s"})
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        t0 = time.monotonic()
        gate.send_signal(signal.SIGTERM)
        self.assertEqual(c.reply(seconds=10).raw, SHUTDOWN)
        self.assertLess(time.monotonic() - t0, 3 * TIME_SCALE, "idle session not told promptly")
        self.assertTrue(c.wait_closed())
        self.assertEqual(gate.wait_exit(15), 0)
        self.assertLess(time.monotonic() - t0, 8 * TIME_SCALE,
                        "exit waited for the grace period with no session open")

    def test_transaction_in_flight_may_finish(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, limits={"shutdown_grace": "10s"})
        busy = self.client(gate)
        busy.greeting()
        busy.ehlo()
        self.assertReply(busy.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(busy.cmd("RCPT TO:<user@example.org>"), 250)
        idle = self.client(gate)
        idle.greeting()
        idle.ehlo()
        gate.send_signal(signal.SIGTERM)
        # The idle one is told at once, while the busy one is still open.
        self.assertEqual(idle.reply(seconds=10).raw, SHUTDOWN)
        self.assertTrue(idle.wait_closed())
        self.wait_refused(gate)
        # The busy one finishes its message...
        self.assertReply(busy.cmd("DATA"), 354)
        busy.send(dot_stuff(MSG))
        self.assertReply(busy.reply(), 250, "2.0.0")
        # ...and then gets the 421 (already sent, or as the answer to its next command).
        try:
            busy.send(b"NOOP\r\n")
        except OSError:
            pass
        self.assertEqual(busy.reply(seconds=10).raw, SHUTDOWN)
        self.assertTrue(busy.wait_closed())
        self.assertEqual(gate.wait_exit(15), 0)
        dumps = sink.wait_dumps(1)
        self.assertEqual(len(dumps), 1)
        self.assertEqual(dumps[0].body, crlf_to_lf(MSG))

    def test_stuck_session_is_closed_after_the_grace(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, limits={"shutdown_grace": "1s"})
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        c.cmd("RCPT TO:<user@example.org>")
        t0 = time.monotonic()
        gate.send_signal(signal.SIGTERM)
        self.wait_refused(gate)
        self.assertEqual(c.reply(seconds=15).raw, SHUTDOWN)
        waited = time.monotonic() - t0
        self.assertGreater(waited, 0.8, "closed before the grace period ended")
        self.assertLess(waited, 6 * TIME_SCALE)
        self.assertTrue(c.wait_closed())
        self.assertEqual(gate.wait_exit(15), 0)
        self.assertEqual(sink.dumps(), [])

    def test_stuck_in_data_is_closed_after_the_grace(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, limits={"shutdown_grace": "1s"})
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        c.cmd("RCPT TO:<user@example.org>")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: half a message\r\n\r\nand no end")
        gate.send_signal(signal.SIGTERM)
        self.assertEqual(c.reply(seconds=15).raw, SHUTDOWN)
        self.assertTrue(c.wait_closed())
        self.assertEqual(gate.wait_exit(15), 0)
        self.assertEqual(sink.dumps(), [])


class ReloadTest(GateTestCase):
    def test_sighup_changes_relay_domains_and_size_for_new_sessions(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, limits={"max_message_size": "10KiB"})
        old = self.client(gate)
        old.greeting()
        self.assertIn("SIZE 10240", old.ehlo().lines)
        self.assertReply(old.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(old.cmd("RCPT TO:<b@example.net>"), 550, "5.7.1")

        cfg = gate_config(gate.port, sink.port, relay_domains=["example.org", "example.net"],
                          limits={"max_message_size": "20KiB"})
        gate.write_config(cfg)
        since = gate.log_offset()
        gate.send_signal(signal.SIGHUP)
        gate.wait_log(r"reloaded ", since=since)

        new = self.client(gate)
        new.greeting()
        self.assertIn("SIZE 20480", new.ehlo().lines)
        self.assertReply(new.cmd("MAIL FROM:<a@example.com> SIZE=15000"), 250)
        self.assertReply(new.cmd("RCPT TO:<b@example.net>"), 250)
        new.cmd("QUIT")
        # The session opened before the reload keeps its snapshot.
        self.assertReply(old.cmd("RCPT TO:<b@example.net>"), 550, "5.7.1")
        old.cmd("QUIT")

    def test_broken_config_on_reload_is_refused_and_old_one_serves(self):
        sink = self.sink()
        gate = self.gate(backend=sink.port, limits={"max_message_size": "10KiB"})
        with open(gate.config_path) as f:
            good = f.read()
        broken = good + "limits_typo: {max_errors: 3}\nbackend: {address: \"nowhere\"}\n"
        gate.write_config(broken)
        bad_line = good.count("\n") + 1
        since = gate.log_offset()
        gate.send_signal(signal.SIGHUP)
        m = gate.wait_log(r"reload refused: (\S+?):(\d+):(\d+): ", since=since)
        self.assertEqual(m.group(1), gate.config_path)
        self.assertIn(int(m.group(2)), (bad_line, bad_line + 1))
        self.assertNotRegex(gate.log()[since:], r"reloaded ")
        self.assertIsNone(gate.proc.poll())
        c = self.client(gate)
        c.greeting()
        self.assertIn("SIZE 10240", c.ehlo().lines)
        self.assertReply(c.cmd("MAIL FROM:<a@example.com>"), 250)
        self.assertReply(c.cmd("RCPT TO:<b@example.net>"), 550, "5.7.1")
        c.cmd("QUIT")
        # A fixed file is taken at the next HUP.
        gate.write_config(good.replace('"example.org"', '"example.org", "example.net"'))
        since = gate.log_offset()
        gate.send_signal(signal.SIGHUP)
        gate.wait_log(r"reloaded ", since=since)
        c = self.client(gate)
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        self.assertReply(c.cmd("RCPT TO:<b@example.net>"), 250)
        c.cmd("QUIT")

    def test_sighup_switches_backend_and_keeps_listeners(self):
        first = self.sink(name="first")
        second = self.sink(name="second")
        gate = self.gate(backend=first.port)
        new_port = free_port()
        cfg = gate_config(new_port, second.port)
        gate.write_config(cfg)
        since = gate.log_offset()
        gate.send_signal(signal.SIGHUP)
        gate.wait_log(r"reloaded ", since=since)
        self.assertRegex(gate.log()[since:], r"listener changes need a restart")
        self.assertTrue(port_refuses(new_port), "a reload opened a new listener")
        c = self.client(gate)  # still on the old port
        c.greeting()
        c.ehlo()
        c.cmd("MAIL FROM:<a@example.com>")
        c.cmd("RCPT TO:<user@example.org>")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(MSG))
        self.assertReply(c.reply(), 250)
        c.cmd("QUIT")
        gate.wait_disconnect(c)
        self.assertEqual(len(second.wait_dumps(1)), 1)
        self.assertEqual(first.dumps(), [])


class SignalRaceTest(GateTestCase):
    """A supervisor may signal as soon as the gate says it is ready."""

    def start_and_signal(self, sink, sig):
        port = free_port()
        path = os.path.join(self.tmp, "race.yaml")
        with open(path, "w") as f:
            f.write(to_yaml(gate_config(port, sink.port)))
        proc = subprocess.Popen([BIN, "--config", path], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        log = b""
        try:
            for line in proc.stderr:
                log += line
                if b"portcullis ready" in line:
                    proc.send_signal(sig)
                    break
            if sig == signal.SIGHUP:
                end = time.monotonic() + 15 * TIME_SCALE
                while b"reloaded " not in log and proc.poll() is None:
                    self.assertLess(time.monotonic(), end, log.decode())
                    log += proc.stderr.readline()
                alive = proc.poll() is None
                proc.send_signal(signal.SIGTERM)
                rc = proc.wait(timeout=30 * TIME_SCALE)
                return alive, rc, log
            return True, proc.wait(timeout=30 * TIME_SCALE), log
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log += proc.stderr.read()
            proc.stderr.close()
            report = sanitizer_report(log.decode("utf-8", "replace"))
            if report:
                self.fail("sanitizer report:\n" + report)

    def test_sighup_right_after_ready_reloads(self):
        sink = self.sink()
        for attempt in range(5):
            alive, rc, log = self.start_and_signal(sink, signal.SIGHUP)
            self.assertTrue(alive, "attempt %d: SIGHUP right after 'portcullis ready' killed "
                            "the gate (exit %s):\n%s" % (attempt, rc, log.decode()))
            self.assertEqual(rc, 0)

    def test_sigterm_right_after_ready_drains(self):
        sink = self.sink()
        for attempt in range(5):
            _, rc, log = self.start_and_signal(sink, signal.SIGTERM)
            self.assertEqual(rc, 0, "attempt %d: SIGTERM right after 'portcullis ready' was "
                             "not a clean drain:\n%s" % (attempt, log.decode()))


if __name__ == "__main__":
    unittest.main()
