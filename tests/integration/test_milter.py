"""The milter front door against a real Postfix (postfix_instance.PostfixInstance): Postfix's
smtpd consults portcullis through `smtpd_milters = inet:127.0.0.1:PORT` (milter_default_action
= tempfail), the same pipeline and verdicts as the proxy. A clean message lands in the
Postfix mailbox carrying our Authentication-Results and X-Spam headers (and without a forged
Authentication-Results claiming our authserv-id); an EICAR attachment, GTUBE (the shipped
content rules) and a blocklisted sender are refused with portcullis's own reply text as the
SMTP client sees it through Postfix. Every test fails if portcullis is not in the path: the
headers and reply texts are ours.
"""
import base64
import os
import re
import smtplib
import stat
import unittest

from harness import SHARED, SOURCE, GateTestCase, free_port, run_cli
from dnsserver import DnsServer
from postfix_instance import PostfixInstance

AUTHSERV = "gate.portcullis.test"
EICAR = open(os.path.join(SHARED, "testdata", "clamav", "eicar.com"), "rb").read()


def message(subject, body="Hello through the milter.\r\n", extra_headers=(), sender="a@good.test"):
    head = ["From: Alice <%s>" % sender, "To: alice@postfix.test", "Subject: %s" % subject,
            "Message-ID: <%s@good.test>" % subject.replace(" ", "-")]
    return ("\r\n".join(list(extra_headers) + head) + "\r\n\r\n" + body).encode()


def with_eicar(subject):
    body = ("--b1\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
            "--b1\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename=\"eicar.com\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.b64encode(EICAR).decode() + "\r\n--b1--\r\n")
    head = ["From: Alice <a@good.test>", "To: alice@postfix.test", "Subject: %s" % subject,
            "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b1"']
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


class MilterTest(GateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dns = DnsServer(cls.class_tmp, {"good.test": "v=spf1 ip4:127.0.0.1 -all"})
        cls.addClassCleanup(cls.dns.stop)
        cls.milter_port = free_port()
        cls.gate_ = cls.class_gate(
            name="milter-gate", backend="maildir:%s" % os.path.join(cls.class_tmp, "unused"),
            authserv_id=AUTHSERV,
            milter={"address": "127.0.0.1:%d" % cls.milter_port},
            dns={"servers": ["127.0.0.1:%d" % cls.dns.port], "timeout": "1s", "attempts": 1},
            filters={
                "access": {"deny_senders": ["@blocked.test"]},
                "spf": {},
                "antivirus": {"database": os.path.join(SOURCE, "deploy", "clamav")},
                "rules": {"dir": os.path.join(SOURCE, "rules", "default")},
            },
            policy={"reject": 50, "add_header": -10})
        cls.gate_.wait_log(r"milter listening on 127\.0\.0\.1:%d" % cls.milter_port)
        cls.pf = PostfixInstance(cls.class_tmp, milter=cls.milter_port)
        cls.addClassCleanup(cls.pf.stop)
        cls.pf.start()

    def send(self, msg, sender="a@good.test", rcpts=("alice@postfix.test",)):
        with smtplib.SMTP("127.0.0.1", self.pf.port, local_hostname="client.good.test",
                          timeout=30) as s:
            return s.sendmail(sender, list(rcpts), msg)

    def delivered(self, subject):
        for msg in self.pf.wait_delivered(1, user="alice", seconds=20):
            if ("Subject: %s" % subject).encode() in msg:
                return msg
        raise AssertionError("no delivered message %r; maillog:\n%s" % (
            subject, self.pf.log_tail()))

    def wait_for(self, subject):
        import time
        end = time.monotonic() + 20
        while time.monotonic() < end:
            for msg in self.pf.mailbox_messages("alice"):
                if ("Subject: %s" % subject).encode() in msg:
                    return msg
            time.sleep(0.1)
        raise AssertionError("no delivered message %r; maillog:\n%s\ngate log:\n%s" % (
            subject, self.pf.log_tail(), self.gate_.log()[-3000:]))

    def test_clean_message_gets_our_headers(self):
        forged = "Authentication-Results: %s; spf=pass smtp.mailfrom=forged.test" % AUTHSERV
        upstream = "Authentication-Results: upstream.example; dkim=pass"
        self.assertFalse(self.send(message("clean one", extra_headers=[forged, upstream])))
        msg = self.wait_for("clean one").decode("utf-8", "replace")
        unfolded = msg.replace("\n ", " ").replace("\n\t", " ")
        ours = [l for l in unfolded.splitlines()
                if l.lower().startswith("authentication-results: %s;" % AUTHSERV)]
        self.assertEqual(len(ours), 1, msg)
        self.assertIn("spf=pass smtp.mailfrom=good.test", ours[0])
        self.assertNotIn("forged.test", msg)
        self.assertIn("Authentication-Results: upstream.example; dkim=pass", unfolded)
        self.assertRegex(unfolded, r"(?m)^X-Spam-Score: -?[0-9.]+")
        self.assertRegex(unfolded, r"(?m)^X-Spam-Status: ")
        # The body arrives untouched.
        self.assertIn("Hello through the milter.", msg)
        self.gate_.wait_log(r"m[0-9a-f]+: .*a@good\.test")

    def test_virus_refused_with_our_text(self):
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send(with_eicar("virus one"))
        self.assertEqual(cm.exception.smtp_code, 554, cm.exception)
        self.assertIn(b"5.7.1 Message rejected: virus", cm.exception.smtp_error)
        self.pf.wait_queue_empty()

    def test_gtube_refused_with_our_text(self):
        with open(os.path.join(SHARED, "testdata", "messages",
                               "spamassassin-sample-spam-gtube.eml"), "rb") as f:
            gtube = f.read()
        gtube = gtube.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self.send(gtube)
        self.assertEqual(cm.exception.smtp_code, 554, cm.exception)
        # The shipped GTUBE rule's own reply text, as Postfix passes it on.
        self.assertIn(b"5.7.1", cm.exception.smtp_error)
        self.assertIn(b"GTUBE", cm.exception.smtp_error)
        self.pf.wait_queue_empty()

    def test_blocklisted_sender_refused_at_mail(self):
        with self.assertRaises((smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused)) as cm:
            self.send(message("blocked one", sender="x@blocked.test"), sender="x@blocked.test")
        err = cm.exception
        code = err.smtp_code if hasattr(err, "smtp_code") else list(err.recipients.values())[0][0]
        self.assertEqual(code // 100, 5, err)

    def test_several_transactions_on_one_connection(self):
        with smtplib.SMTP("127.0.0.1", self.pf.port, local_hostname="client.good.test",
                          timeout=30) as s:
            s.sendmail("a@good.test", ["alice@postfix.test"], message("multi one"))
            with self.assertRaises(smtplib.SMTPDataError):
                s.sendmail("a@good.test", ["alice@postfix.test"], with_eicar("multi two"))
            s.sendmail("a@good.test", ["alice@postfix.test"], message("multi three"))
        self.wait_for("multi one")
        self.wait_for("multi three")


if __name__ == "__main__":
    unittest.main()


# --- the protocol from a scripted MTA: misbehaving peers ----------------------------------

import socket  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402

SMFIF_ALL = 0x1FF
SMFIP_ALL = 0x1FFFFF


def packet(code, data=b""):
    return struct.pack(">I", len(data) + 1) + code + data


class RawMta:
    """Speaks the milter protocol to the gate as a script: what Postfix would send."""

    def __init__(self, port):
        """port: a TCP port on 127.0.0.1, or the path of a unix socket."""
        if isinstance(port, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(10)
            self.sock.connect(port)
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, code, data=b""):
        self.sock.sendall(packet(code, data))

    def reply(self):
        while len(self.buf) < 4 or len(self.buf) < 4 + struct.unpack(">I", self.buf[:4])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the gate")
            self.buf += chunk
        n = struct.unpack(">I", self.buf[:4])[0]
        code, data = self.buf[4:5], self.buf[5:4 + n]
        self.buf = self.buf[4 + n:]
        return code, data

    def closed(self, seconds=10):
        self.sock.settimeout(seconds)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def negotiate(self):
        self.send(b"O", struct.pack(">III", 6, SMFIF_ALL, SMFIP_ALL))
        code, data = self.reply()
        self.protocol = struct.unpack(">III", data[:12])[2]
        return code, data

    # The no-reply flags the gate asked for (SMFIP_NR_*): it answers only the others.
    NO_REPLY = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"N": 0x40000,
                b"B": 0x80000, b"L": 0x80}

    def step(self, code, data=b""):
        """Sends a command; returns the gate's reply, or None when it asked for none."""
        self.send(code, data)
        if self.protocol & self.NO_REPLY.get(code, 0):
            return None
        return self.reply()

    def close(self):
        self.sock.close()


class MilterProtocolTest(GateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.milter_port = free_port()
        cls.gate_ = cls.class_gate(
            name="raw-milter-gate",
            backend="maildir:%s" % os.path.join(cls.class_tmp, "unused"),
            authserv_id=AUTHSERV, milter={"address": "127.0.0.1:%d" % cls.milter_port},
            filters={"access": {"deny_senders": ["@blocked.test"]}, "helo": {}},
            policy={"reject": 50, "add_header": -10})
        cls.gate_.wait_log(r"milter listening on 127\.0\.0\.1:%d" % cls.milter_port)

    def mta(self):
        m = RawMta(self.milter_port)
        self.addCleanup(m.close)
        return m

    def assert_still_serving(self):
        m = self.mta()
        code, data = m.negotiate()
        self.assertEqual(code, b"O")
        self.assertEqual(struct.unpack(">I", data[:4])[0], 6)

    def test_a_whole_transaction(self):
        m = self.mta()
        code, data = m.negotiate()
        version, actions, protocol = struct.unpack(">III", data[:12])
        self.assertEqual(version, 6)
        self.assertTrue(actions & 0x1 and actions & 0x20)       # ADDHDRS, QUARANTINE
        self.assertTrue(protocol & 0x100000)                       # HDR_LEADSPC
        m.send(b"D", b"C{daemon_name}\x00postfix\x00")              # macros: no reply
        # helo and access (deny_senders) hook HELO and MAIL: those are answered; connect
        # and RCPT only if a filter hooks them.
        self.assertIn(m.step(b"C", b"client.example\x004" + struct.pack(">H", 4567) +
                                b"192.0.2.7\x00"), (None, (b"c", b"")))
        self.assertEqual(m.step(b"H", b"client.example\x00"), (b"c", b""))
        m.send(b"D", b"Mi\x004Xb2Kq0Z1Tz1\x00")                   # the queue id
        self.assertEqual(m.step(b"M", b"<a@good.test>\x00SIZE=100\x00"), (b"c", b""))
        # RCPT: no filter here hooks it (access has only deny_senders): no reply.
        self.assertIsNone(m.step(b"R", b"<b@example.org>\x00"))
        # No reply per header, nor (no filter hooks the DATA stage) at the end of the
        # headers, nor per body chunk: one round trip fewer each.
        self.assertIsNone(m.step(b"L", b"From\x00 <a@good.test>\x00"))
        self.assertIsNone(m.step(b"L", b"X-Spam-Status\x00 Yes, forged\x00"))
        self.assertIsNone(m.step(b"N"))
        self.assertIsNone(m.step(b"B", b"hello\r\n"))
        m.send(b"E")
        replies = []
        while True:
            code, data = m.reply()
            replies.append((code, data))
            if code in (b"c", b"a", b"r", b"t", b"y"):
                break
        codes = [c for c, _ in replies]
        self.assertEqual(codes[-1], b"c", replies)
        # The forged verdict header deleted (change header, index 1, empty value) …
        self.assertIn((b"m", struct.pack(">I", 1) + b"X-Spam-Status\x00\x00"), replies)
        # … ours inserted at the top.
        inserted = [d for c, d in replies if c == b"i"]
        self.assertTrue(any(b"X-Spam-Score\x00" in d for d in inserted), replies)
        m.send(b"Q")
        self.assertTrue(m.closed())
        # The transaction's log line carries Postfix's queue id.
        self.gate_.wait_log(r"m[0-9a-f]+/4Xb2Kq0Z1Tz1: ")

    def test_client_address_forms(self):
        # The access filter sees the client address whatever the MTA's notation.
        gate = self.gate_
        for family, address in [(b"4", b"192.0.2.7"), (b"6", b"IPv6:2001:db8::7"),
                                (b"6", b"2001:db8::8")]:
            m = self.mta()
            m.negotiate()
            before = gate.log_offset()
            self.assertIn(m.step(b"C", b"client.example\x00" + family + struct.pack(">H", 25) +
                                    address + b"\x00"), (None, (b"c", b"")))
            m.step(b"M", b"<a@good.test>\x00")
            m.step(b"R", b"<b@example.org>\x00")
            m.step(b"N")
            m.send(b"E")
            while m.reply()[0] not in (b"c", b"a", b"r", b"t", b"y"):
                pass
            plain = address.decode().replace("IPv6:", "")
            gate.wait_log(r"m[0-9a-f]+: client=\[%s\]:25 " % re.escape(plain), since=before)

    def test_refusal_is_our_reply_code(self):
        m = self.mta()
        m.negotiate()
        m.step(b"C", b"client.example\x004" + struct.pack(">H", 4567) + b"192.0.2.7\x00")
        code, data = m.step(b"M", b"<x@blocked.test>\x00")
        self.assertEqual(code, b"y", data)
        self.assertTrue(data.startswith(b"550 5.7.1 "), data)

    def test_oversized_packet_closes_only_that_connection(self):
        m = self.mta()
        m.negotiate()
        before = self.gate_.log_offset()
        m.sock.sendall(struct.pack(">I", 50 * 1024 * 1024) + b"B")
        self.assertTrue(m.closed())
        self.gate_.wait_log(r"m[0-9a-f]+: milter: .*closing", since=before)
        self.assert_still_serving()

    def test_unknown_command_closes_the_connection(self):
        m = self.mta()
        m.negotiate()
        before = self.gate_.log_offset()
        m.send(b"Z", b"what")
        self.assertTrue(m.closed())
        self.gate_.wait_log(r"m[0-9a-f]+: milter: .*closing", since=before)
        self.assert_still_serving()

    def test_impossible_sequences_close_the_connection(self):
        for script, why in [
                ([(b"M", b"<a@good.test>\x00")], "a command before option negotiation"),
                ([(b"O", None), (b"R", b"<b@example.org>\x00")], "a command before CONNECT"),
                ([(b"O", None), (b"C", b"h\x004" + struct.pack(">H", 1) + b"192.0.2.7\x00"),
                  (b"R", b"<b@example.org>\x00")], "a message command before MAIL")]:
            m = self.mta()
            before = self.gate_.log_offset()
            for code, data in script:
                if code == b"O":
                    m.negotiate()
                elif code == b"C":
                    m.step(code, data)
                else:
                    m.send(code, data)
            self.assertTrue(m.closed(), why)
            self.gate_.wait_log(r"milter: %s \(impossible sequence\); closing" % why, since=before)
        self.assert_still_serving()

    def test_abort_and_new_connection_on_one_socket(self):
        m = self.mta()
        m.negotiate()
        for _ in range(2):
            self.assertIn(m.step(b"C", b"client.example\x004" + struct.pack(">H", 4567) +
                                    b"192.0.2.7\x00"), (None, (b"c", b"")))
            self.assertEqual(m.step(b"M", b"<a@good.test>\x00"), (b"c", b""))
            m.send(b"A")                                           # RSET: no reply
            self.assertEqual(m.step(b"M", b"<a@good.test>\x00"), (b"c", b""))
            m.send(b"K")                                           # QUIT_NC: next CONNECT
        m.send(b"Q")
        self.assertTrue(m.closed())


class MilterUnixSocketTest(GateTestCase):
    """milter.address "unix:PATH": a real Postfix (smtpd_milters = unix:PATH) and a scripted
    MTA reach the same pipeline; the MTA's macros reach the session and its log line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.path = os.path.join(cls.class_tmp, "milter.sock")
        # A stale socket file from an earlier run is replaced.
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(cls.path)
        stale.close()
        cls.gate_ = cls.class_gate(
            name="unix-milter-gate",
            backend="maildir:%s" % os.path.join(cls.class_tmp, "unused"),
            authserv_id=AUTHSERV,
            # Postfix's smtpd runs as its mail owner, not as the test's user.
            milter={"address": "unix:%s" % cls.path, "mode": "0666"},
            filters={"access": {"deny_senders": ["@blocked.test"]},
                     "rules": {"dir": os.path.join(SOURCE, "rules", "default")}},
            policy={"reject": 50, "add_header": -10})
        cls.gate_.wait_log(r"milter listening on unix:%s \(mode 0666\)" % re.escape(cls.path))
        cls.pf = PostfixInstance(cls.class_tmp, milter="unix:%s" % cls.path)
        cls.addClassCleanup(cls.pf.stop)
        cls.pf.start()

    def test_socket_file_mode(self):
        st = os.stat(self.path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o666)

    def test_postfix_through_the_unix_socket(self):
        with smtplib.SMTP("127.0.0.1", self.pf.port, local_hostname="client.good.test",
                          timeout=30) as s:
            self.assertFalse(s.sendmail("a@good.test", ["alice@postfix.test"],
                                        message("unix clean")))
            with self.assertRaises(smtplib.SMTPDataError) as cm:
                s.sendmail("a@good.test", ["alice@postfix.test"],
                           message("unix gtube", body="XJS*C4JDBQADN1.NSBN3*2IDNEN*"
                                   "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"))
        self.assertEqual(cm.exception.smtp_code, 554, cm.exception)
        self.assertIn(b"GTUBE", cm.exception.smtp_error)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            msgs = [m for m in self.pf.mailbox_messages("alice") if b"Subject: unix clean" in m]
            if msgs:
                break
            time.sleep(0.1)
        self.assertTrue(msgs, self.pf.log_tail())
        self.assertIn(b"X-Spam-Score:", msgs[0])

    def test_macros_reach_the_session(self):
        m = RawMta(self.path)
        self.addCleanup(m.close)
        m.negotiate()
        before = self.gate_.log_offset()
        # CONNECT with an unknown family: the address comes from {client_addr}.
        m.send(b"D", b"Cj\x00mx.postfix.test\x00{client_addr}\x00192.0.2.44\x00")
        m.step(b"C", b"client.example\x00U")
        m.send(b"D", b"H{tls_version}\x00TLSv1.3\x00")
        m.step(b"H", b"client.example\x00")
        m.send(b"D", b"Mi\x00ABC123\x00{auth_authen}\x00alice\x00")
        m.step(b"M", b"<a@good.test>\x00")
        m.step(b"R", b"<b@example.org>\x00")
        m.step(b"N")
        m.send(b"E")
        while m.reply()[0] not in (b"c", b"a", b"r", b"t", b"y"):
            pass
        self.gate_.wait_log(r"m[0-9a-f]+/ABC123: client=\[192\.0\.2\.44\]:0 "
                            r"helo=<client\.example> tls=TLSv1\.3 auth=<alice> from=<a@good\.test>",
                            since=before)

    def test_socket_file_removed_at_exit(self):
        path = os.path.join(self.tmp, "exit.sock")
        gate = self.gate(name="unix-exit",
                         backend="maildir:%s" % os.path.join(self.tmp, "unused"),
                         milter={"address": "unix:%s" % path})
        gate.wait_log(r"milter listening on unix:")
        self.assertTrue(os.path.exists(path))
        gate.stop()
        self.assertFalse(os.path.exists(path))

    def test_a_file_that_is_not_a_socket_is_never_replaced(self):
        path = os.path.join(self.tmp, "precious")
        with open(path, "w") as f:
            f.write("not a socket\n")
        cfg = os.path.join(self.tmp, "bad.yaml")
        from harness import gate_config, to_yaml
        with open(cfg, "w") as f:
            f.write(to_yaml(gate_config(free_port(), "maildir:%s" % self.tmp,
                                        milter={"address": "unix:%s" % path})))
        run = run_cli(["--config", cfg], seconds=30)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn(b"exists and is not a socket", run.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), "not a socket\n")


class MilterDrainTest(GateTestCase):
    def test_sigterm_ends_idle_milter_connections_without_waiting_the_grace(self):
        import signal
        port = free_port()
        gate = self.gate(name="drain-gate",
                         backend="maildir:%s" % os.path.join(self.tmp, "unused"),
                         milter={"address": "127.0.0.1:%d" % port},
                         limits={"shutdown_grace": "30s"})
        gate.wait_log(r"milter listening on 127\.0\.0\.1:%d" % port)
        m = RawMta(port)
        self.addCleanup(m.close)
        m.negotiate()
        # No filters: nothing is answered before the end of the message.
        self.assertIsNone(m.step(b"C", b"client.example\x004" + struct.pack(">H", 4567) +
                                 b"192.0.2.7\x00"))
        started = time.monotonic()
        gate.send_signal(signal.SIGTERM)
        self.assertTrue(m.closed(seconds=20))
        gate.proc.wait(timeout=25)
        # Well inside the 30 s grace: the idle milter connection did not hold the drain.
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual(gate.proc.returncode, 0)
