"""DNS servers for the sender-authentication tests (SPF, DKIM, DMARC): real ones on loopback.

DnsServer: a real dnsmasq, authoritative for the zones it is given (every name under them that
has no record is NXDOMAIN, nothing is forwarded anywhere), serving TXT records from a
configuration file it writes (so commas and quotes in a record survive: dnsmasq only parses
quoted strings in files, on its command line a comma starts a new character-string). TXT
text longer than 255 bytes is split into several character-strings by dnsmasq itself.

SilentDns: a UDP socket (and a TCP listener) on a loopback port that never answers, for
DNS timeouts.

Both are stopped by their owner (by PID for dnsmasq), never by name.
"""

import os
import socket
import subprocess
import time

from harness import TIME_SCALE, stop_process

DNSMASQ = "/usr/sbin/dnsmasq"


def _free_udp_tcp_port():
    """A loopback port free for UDP and TCP a moment ago (dnsmasq serves both)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            t.close()
            u.close()
        return port
    raise RuntimeError("no free UDP+TCP port")


def _quote(text):
    """A dnsmasq configuration-file string: quoted, with \\ and \" escaped, and CR, LF and
    TAB as dnsmasq's escapes (so hostile records with line breaks can be published)."""
    for c in text:
        if ord(c) < 0x20 and c not in "\r\n\t":
            raise ValueError("dnsmasq cannot publish control character %r" % c)
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return '"' + text + '"'


class DnsServer:
    """dnsmasq on 127.0.0.1:port serving `txt` ({name: text or [text, ...]}: one TXT record
    per text) under the `zones` (default: test). Queries are logged to `log_path`."""

    def __init__(self, tmpdir, txt, zones=("test",), name="dnsmasq"):
        self.tmpdir = tmpdir
        self.conf_path = os.path.join(tmpdir, name + ".conf")
        self.log_path = os.path.join(tmpdir, name + ".log")
        self.zones = list(zones)
        self.txt = {}
        for owner, texts in txt.items():
            self.txt[owner.lower().rstrip(".")] = [texts] if isinstance(texts, str) else list(texts)
        with open(self.conf_path, "w") as f:
            for owner, texts in self.txt.items():
                for text in texts:
                    f.write("txt-record=%s,%s\n" % (owner, _quote(text)))
        self.proc = None
        self.port = None
        last = ""
        for _ in range(5):
            self.port = _free_udp_tcp_port()
            last = self._start()
            if last is None:
                return
        raise AssertionError("dnsmasq did not start: %s" % last)

    def _start(self):
        cmd = [DNSMASQ, "--keep-in-foreground", "--conf-file=" + self.conf_path, "--pid-file=",
               "--port=%d" % self.port, "--listen-address=127.0.0.1", "--bind-interfaces",
               "--no-resolv", "--no-hosts", "--local-ttl=300", "--log-queries",
               "--log-facility=" + self.log_path]
        cmd += ["--local=/%s/" % z for z in self.zones]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        out_path = os.path.join(self.tmpdir, "dnsmasq.out")
        out = open(out_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        out.close()
        # Ready when it answers a question about a name it serves (or NXDOMAIN for one it
        # does not have: an answer either way).
        import dns.message
        import dns.query
        probe = next(iter(self.txt), "probe.%s" % self.zones[0])
        end = time.monotonic() + 10 * TIME_SCALE
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                with open(out_path, "rb") as f:
                    return "exit %s: %r" % (self.proc.returncode, f.read()[-1000:])
            try:
                dns.query.udp(dns.message.make_query(probe, "TXT"), "127.0.0.1",
                              port=self.port, timeout=0.5)
                return None
            except Exception:  # timeout or refused while it starts
                time.sleep(0.05)
        self.stop()
        return "no answer on port %d within 10s" % self.port

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def query_txt(self, name):
        """What this server answers for TXT `name`: a list of records, each the list of its
        character-strings (bytes); [] for NXDOMAIN or no TXT."""
        import dns.message
        import dns.query
        import dns.rdatatype
        r = dns.query.udp(dns.message.make_query(name, "TXT"), "127.0.0.1", port=self.port,
                          timeout=2 * TIME_SCALE)
        out = []
        for rrset in r.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                out += [list(rd.strings) for rd in rrset]
        return out

    def dkimpy_dnsfunc(self, name, timeout=5):
        """A dnsfunc for dkim.verify that asks this server (the first TXT record, its strings
        joined), so dkimpy can confirm a signature the gate is asked about."""
        name = name.decode() if isinstance(name, bytes) else name
        records = self.query_txt(name)
        return b"".join(records[0]) if records else None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        stop_process(self.proc, seconds=10)


class SilentDns:
    """A loopback UDP port (and a TCP listener on the same port) where nothing ever answers:
    every DNS query sent there times out."""

    def __init__(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.tcp.bind(("127.0.0.1", self.port))
            self.tcp.listen(16)  # never accepted: connections hang in the backlog
        except OSError:
            self.tcp.close()
            self.tcp = None

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def received(self):
        """How many datagrams arrived so far (drains them; still never answers)."""
        n = 0
        self.udp.setblocking(False)
        try:
            while True:
                self.udp.recv(65536)
                n += 1
        except (BlockingIOError, OSError):
            pass
        finally:
            self.udp.setblocking(True)
        return n

    def close(self):
        for s in (self.udp, self.tcp):
            if s is not None:
                s.close()
