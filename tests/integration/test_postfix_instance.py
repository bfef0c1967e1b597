"""The PostfixInstance fixture (postfix_instance.py): a private real Postfix on loopback.

Proves the fixture that the milter and XCLIENT tests build on: delivery into its virtual
maildirs, relaying to smtp-sink (and deferral + flush), two instances side by side (one
relaying to the other, XCLIENT offered via extra_main), smtpd_milters with a tiny milter
written here (and with no milter listening: milter_default_action = tempfail gives 451),
and the watchdog that stops Postfix when a test process dies without stop().
"""

import os
import shutil
import signal
import smtplib
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

from harness import HERE, Sink, deadline, free_port, make_tempdir, port_refuses, SmtpClient
from postfix_instance import PostfixInstance, POSTFIX, _pid_alive, instance_processes

MESSAGE = (b"From: Sender <sender@outside.test>\r\n"
           b"To: Alice <alice@postfix.test>\r\n"
           b"Subject: postfix fixture %s\r\n"
           b"Message-ID: <%s@outside.test>\r\n"
           b"\r\n"
           b"Hello from the portcullis integration tests.\r\n"
           b".leading dot survives dot-stuffing\r\n")


def message(tag):
    return MESSAGE % (tag.encode(), tag.encode())


# --- a minimal milter (Sendmail milter protocol v6, as in libmilter's mfdef.h) ------------
#
# Every packet: 4-byte big-endian length (of what follows), 1 command byte, data.
# OPTNEG 'O' carries version, actions, protocol flags (3 x uint32); the reply repeats
# them: version 6, no actions (no message changes), no protocol flags (send every step,
# expect a reply to every step). Macros 'D', abort 'A', quit 'Q', quit-new-connection 'K'
# get no reply. Every other command gets 'c' (continue), except end of body 'E', which
# gets the configured answer ('r' reject, 't' tempfail, 'a' accept, 'c' continue).

SMFIC_OPTNEG, SMFIC_MACRO, SMFIC_ABORT, SMFIC_QUIT, SMFIC_QUIT_NC, SMFIC_BODYEOB = (
    b"O", b"D", b"A", b"Q", b"K", b"E")


class TinyMilter:
    def __init__(self, eob_reply=b"r", port=None):
        self.eob_reply = eob_reply
        self.port = port or free_port()
        self.commands = []  # (command byte, data) in arrival order, all connections
        self.errors = []
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.closed = False
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    @staticmethod
    def _send(conn, cmd, data=b""):
        conn.sendall(struct.pack(">I", len(cmd) + len(data)) + cmd + data)

    def _serve(self, conn):
        conn.settimeout(30)
        try:
            while True:
                (length,) = struct.unpack(">I", self._read(conn, 4))
                packet = self._read(conn, length)
                cmd, data = packet[:1], packet[1:]
                with self.lock:
                    self.commands.append((cmd.decode("latin-1"), data))
                if cmd == SMFIC_OPTNEG:
                    self._send(conn, b"O", struct.pack(">III", 6, 0, 0))
                elif cmd in (SMFIC_MACRO, SMFIC_ABORT, SMFIC_QUIT_NC):
                    pass
                elif cmd == SMFIC_QUIT:
                    return
                elif cmd == SMFIC_BODYEOB:
                    self._send(conn, self.eob_reply)
                else:
                    self._send(conn, b"c")
        except (EOFError, OSError):
            pass
        except Exception as e:  # a bug here must fail the test, not hang it
            self.errors.append(repr(e))
        finally:
            conn.close()

    def seen(self, cmd):
        with self.lock:
            return [d for c, d in self.commands if c == cmd]

    def close(self):
        self.listener.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass


# --- tests -------------------------------------------------------------------------------

@unittest.skipUnless(os.geteuid() == 0, "a private Postfix master needs root")
class PostfixInstanceTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.assertTrue(os.access(POSTFIX, os.X_OK), "Postfix is not installed")
        self.tmp = make_tempdir(type(self).__name__)
        self.instances = []

    def run(self, result=None):
        if result is None:
            return super().run(result)
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            for pf in getattr(self, "instances", []):
                sys.stderr.write("\n" + pf.log_tail(80) + "\n")
        if getattr(self, "tmp", None):
            shutil.rmtree(self.tmp, True)
        return out

    def postfix(self, **kw):
        pf = PostfixInstance(self.tmp, **kw)
        self.instances.append(pf)
        self.addCleanup(pf.stop)
        pf.start()
        return pf

    def send(self, pf, rcpts, tag, sender="sender@outside.test"):
        with smtplib.SMTP("127.0.0.1", pf.port, local_hostname="client.test",
                          timeout=20) as s:
            return s.sendmail(sender, rcpts, message(tag))

    def test_delivers_to_virtual_mailbox(self):
        pf = self.postfix()
        self.assertFalse(self.send(pf, ["alice@postfix.test"], "one"))
        msgs = pf.wait_delivered(1, user="alice")
        self.assertEqual(len(msgs), 1)
        msg = msgs[0]
        self.assertIn(b"Delivered-To: alice@postfix.test\n", msg)
        self.assertIn(b"Subject: postfix fixture one\n", msg)
        self.assertTrue(msg.endswith(b"\n\nHello from the portcullis integration tests.\n"
                                     b".leading dot survives dot-stuffing\n"), msg)
        pf.wait_log(r"postfix/virtual\[\d+\]: \w+: to=<alice@postfix\.test>.*status=sent")
        # A user without a mailbox is refused at RCPT; the queue is empty afterwards.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            self.send(pf, ["nobody-here@postfix.test"], "two")
        self.assertEqual(cm.exception.recipients["nobody-here@postfix.test"][0], 550)
        pf.wait_queue_empty()
        # Private: its own queue and logs, nothing under /var/spool/postfix.
        self.assertTrue(pf.queue_dir.startswith(self.tmp))
        self.assertEqual(pf.postconf("-h", "queue_directory").strip(), pf.queue_dir)
        # stop() leaves nothing running and the port closed.
        self.assertTrue(pf.processes())
        pf.stop()
        self.assertEqual(pf.processes(), [])
        self.assertTrue(port_refuses(pf.port))

    def test_relays_to_smtp_sink(self):
        sink = Sink(self.tmp)
        self.addCleanup(sink.stop)
        pf = self.postfix(relayhost=sink.port)
        self.assertFalse(self.send(pf, ["someone@remote.test"], "relay"))
        dumps = sink.wait_dumps(1)
        self.assertEqual(len(dumps), 1)
        self.assertEqual(dumps[0].mail_args, "<sender@outside.test>", dumps[0].raw)
        self.assertEqual(len(dumps[0].rcpt_args), 1, dumps[0].raw)
        self.assertTrue(dumps[0].rcpt_args[0].startswith("<someone@remote.test>"), dumps[0].raw)
        self.assertIn(b"Subject: postfix fixture relay\n", dumps[0].body)
        self.assertIn(b"\n.leading dot survives dot-stuffing\n", dumps[0].body)
        pf.wait_log(r"to=<someone@remote\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d,.*"
                    r"status=sent" % sink.port)
        pf.wait_queue_empty()

    def test_deferred_then_flushed(self):
        # The relayhost does not listen yet: the message is deferred and stays queued.
        sink_port = free_port()
        pf = self.postfix(relayhost=sink_port,
                          extra_main={"minimal_backoff_time": "300s",
                                      "maximal_backoff_time": "300s"})
        self.assertFalse(self.send(pf, ["someone@remote.test"], "deferred"))
        m = pf.wait_log(r"(\w+): to=<someone@remote\.test>, .*status=deferred")
        queue_id = m.group(1)
        self.assertEqual(pf.queue_ids(), [queue_id])
        entries = pf.queue()
        self.assertEqual([(e["queue_id"], e["queue_name"]) for e in entries],
                         [(queue_id, "deferred")])
        # The relayhost comes up; flush() delivers now, not after the 300 s backoff.
        sink = Sink(self.tmp, port=sink_port)
        self.addCleanup(sink.stop)
        pf.flush()
        self.assertIn(b"Subject: postfix fixture deferred\n", sink.wait_dumps(1)[0].body)
        pf.wait_queue_empty()

    def test_watchdog_stops_postfix_when_the_test_process_dies(self):
        code = ("import os, signal, sys\n"
                "from postfix_instance import PostfixInstance\n"
                "pf = PostfixInstance(sys.argv[1]).start()\n"
                "print(pf.master_pid, pf.config_dir, flush=True)\n"
                "os.kill(os.getpid(), signal.SIGKILL)\n")
        child = subprocess.run([sys.executable, "-c", code, self.tmp], cwd=HERE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(child.returncode, -signal.SIGKILL, child.stderr)
        pid, conf = child.stdout.decode().split()
        pid = int(pid)
        self.assertTrue(conf.startswith(self.tmp))
        # The watchdog runs `postfix stop`; wait until it and all of the instance are gone
        # (before run() removes the directory under the feet of postfix-script).
        end = deadline(15)
        while instance_processes(conf) and time.monotonic() < end:
            time.sleep(0.05)
        left = instance_processes(conf)
        if left:
            subprocess.run([POSTFIX, "-c", conf, "abort"], timeout=30)
            end = deadline(10)
            while instance_processes(conf) and time.monotonic() < end:
                time.sleep(0.05)
            self.fail("processes %r (master %d) survived their test process" % (left, pid))
        self.assertFalse(_pid_alive(pid))

    def test_two_instances_side_by_side(self):
        # B is the final MTA, A relays to B's smtpd: the shape of "gate in front of Postfix".
        b = self.postfix(name="pf-b")
        a = self.postfix(name="pf-a", relayhost=b.port, domain="front.test",
                         extra_main={"smtpd_authorized_xclient_hosts": "127.0.0.0/8"})
        self.assertNotEqual(a.queue_dir, b.queue_dir)
        self.assertFalse(set(a.processes()) & set(b.processes()))
        with SmtpClient(a.port) as c:
            c.greeting()
            ehlo = c.ehlo()
            self.assertIn("XCLIENT", ehlo.raw.decode())  # extra_main applied
        self.assertFalse(self.send(a, ["bob@postfix.test"], "via-a"))
        msg = b.wait_delivered(1, user="bob")[0]
        self.assertIn(b"by %s (Postfix)" % a.hostname.encode(), msg)
        self.assertIn(b"by %s (Postfix)" % b.hostname.encode(), msg)
        self.assertEqual(a.mailbox_users(), [])

    def test_milter_reject_at_end_of_message(self):
        milter = TinyMilter(eob_reply=b"r")
        self.addCleanup(milter.close)
        pf = self.postfix(milter=milter.port)
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send(pf, ["alice@postfix.test"], "milter")
        self.assertEqual(cm.exception.smtp_code, 550, cm.exception)
        self.assertIn(b"5.7.1", cm.exception.smtp_error)
        pf.wait_log(r"milter-reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]")
        self.assertEqual(milter.errors, [])
        # Postfix walked the milter through the whole transaction.
        order = [c for c, _ in milter.commands if c not in "D"]
        for cmd in "OCHMRTLNBE":
            self.assertIn(cmd, order, milter.commands)
        self.assertEqual(order[0], "O")
        version = struct.unpack(">I", milter.seen("O")[0][:4])[0]
        self.assertEqual(version, 6)
        self.assertIn(b"<sender@outside.test>", milter.seen("M")[0])
        self.assertIn(b"<alice@postfix.test>", milter.seen("R")[0])
        self.assertIn(b"client.test", milter.seen("H")[0])
        self.assertIn(b"Hello from the portcullis", b"".join(milter.seen("B")))
        # Rejected: nothing delivered, nothing queued.
        pf.wait_queue_empty()
        self.assertEqual(pf.mailbox_messages("alice"), [])

    def test_milter_down_tempfails(self):
        port = free_port()  # nothing listens here
        pf = self.postfix(milter=port)
        with SmtpClient(pf.port) as c:
            self.assertEqual(c.greeting().code, 220)
            self.assertEqual(c.ehlo().code, 250)
            reply = c.cmd("MAIL FROM:<sender@outside.test>")
            self.assertEqual(reply.code, 451, reply.raw)
            self.assertEqual(reply.enhanced, "4.7.1", reply.raw)
            c.cmd("QUIT")
        pf.wait_log(r"warning: connect to Milter service inet:127\.0\.0\.1:%d: "
                    r"Connection refused" % port)
        pf.wait_log(r"milter-reject: MAIL from .*: 451 4\.7\.1 ")
        self.assertEqual(pf.queue_ids(), [])


if __name__ == "__main__":
    unittest.main()
