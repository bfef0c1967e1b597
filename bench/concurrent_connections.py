#!/usr/bin/python3
"""10,000 concurrent client connections to portcullis, each greeted; memory of the gate.

Starts smtp-sink (the backend) and portcullis (max_connections and max_connections_per_ip
20000), then opens N connections (default 10,000) from many loopback source addresses
(127.0.1.1, 127.0.1.2, ...; --per-address each, bound with bind((addr, 0)) so ephemeral
ports never run out), non-blocking with one epoll selector, and reads each 220 greeting.
Reports portcullis VmRSS and VmHWM (/proc/PID/status) at 0 connections, with all N
connected-and-greeted, after EHLO on every connection (phase 2), and after all closed;
plus KB per connection. Target: <= 100 MB total with 10,000 greeted connections.

  /usr/bin/python3 bench/concurrent_connections.py            # 10,000 connections
  /usr/bin/python3 bench/concurrent_connections.py --quick    # 1,000 connections
"""

import argparse
import errno
import os
import resource
import selectors
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

TARGET_MB = 100


def source_addr(i, per_address):
    k = i // per_address  # 0, 1, 2, ... -> 127.0.1.1, 127.0.1.2, ...
    return "127.0.%d.%d" % (1 + k // 254, 1 + k % 254)


class Conn:
    __slots__ = ("sock", "state", "buf", "greeting", "reply")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connecting"
        self.buf = b""
        self.greeting = None
        self.reply = None


def complete_reply(buf):
    """The first complete SMTP reply in buf (possibly multi-line), or None."""
    start = 0
    while True:
        nl = buf.find(b"\r\n", start)
        if nl < 0:
            return None
        line = buf[start:nl]
        if len(line) < 4 or line[3:4] != b"-":
            return buf[:nl + 2]
        start = nl + 2


def open_all(n, port, per_address, max_inflight, deadline):
    """Connects n sockets and reads each greeting. Returns (conns, failures dict)."""
    sel = selectors.DefaultSelector()
    conns = []
    fails = {}
    inflight = 0
    started = 0
    done = 0

    def fail(c, why):
        nonlocal inflight
        fails[why] = fails.get(why, 0) + 1
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        c.state = "failed"
        inflight -= 1

    while done + sum(fails.values()) < n:
        if time.monotonic() > deadline:
            fails["deadline"] = n - done - sum(fails.values())
            break
        while started < n and inflight < max_inflight:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            c = Conn(s)
            try:
                s.bind((source_addr(started, per_address), 0))
                rc = s.connect_ex(("127.0.0.1", port))
            except OSError as e:
                s.close()
                fails["bind/connect: " + errno.errorcode.get(e.errno, str(e.errno))] = \
                    fails.get("bind/connect: " + errno.errorcode.get(e.errno, "?"), 0) + 1
                started += 1
                continue
            started += 1
            conns.append(c)
            inflight += 1
            if rc in (0, errno.EINPROGRESS):
                sel.register(s, selectors.EVENT_WRITE, c)
            else:
                fail(c, "connect: " + errno.errorcode.get(rc, str(rc)))
        for key, _ in sel.select(timeout=0.5):
            c = key.data
            if c.state == "connecting":
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(c, "connect: " + errno.errorcode.get(err, str(err)))
                    continue
                c.state = "greeting"
                sel.modify(c.sock, selectors.EVENT_READ, c)
            elif c.state == "greeting":
                try:
                    data = c.sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(c, "recv: " + errno.errorcode.get(e.errno, str(e.errno)))
                    continue
                if not data:
                    fail(c, "closed before greeting")
                    continue
                c.buf += data
                r = complete_reply(c.buf)
                if r is not None:
                    c.greeting = r
                    c.buf = b""
                    sel.unregister(c.sock)
                    inflight -= 1
                    if r.startswith(b"220"):
                        c.state = "greeted"
                        done += 1
                    else:
                        fail_key = "non-220 greeting: " + r[:60].decode("ascii", "replace").strip()
                        fails[fail_key] = fails.get(fail_key, 0) + 1
                        c.state = "failed"
                        c.sock.close()
    sel.close()
    return [c for c in conns if c.state == "greeted"], fails


def command_all(conns, line, expect, deadline):
    """Sends one command on every connection and reads the reply. Returns (ok, failures)."""
    sel = selectors.DefaultSelector()
    for c in conns:
        c.sock.setblocking(True)
        try:
            c.sock.sendall(line)  # tiny, never blocks on a fresh socket
        except OSError:
            pass
        c.sock.setblocking(False)
        c.buf = b""
        c.reply = None
        sel.register(c.sock, selectors.EVENT_READ, c)
    pending = len(conns)
    ok = 0
    fails = {}
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            c = key.data
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                fails["closed"] = fails.get("closed", 0) + 1
                sel.unregister(c.sock)
                pending -= 1
                continue
            c.buf += data
            r = complete_reply(c.buf)
            if r is not None:
                sel.unregister(c.sock)
                pending -= 1
                if r.startswith(expect):
                    ok += 1
                else:
                    k = r[:40].decode("ascii", "replace").strip()
                    fails[k] = fails.get(k, 0) + 1
    if pending:
        fails["no reply by deadline"] = pending
    sel.close()
    return ok, fails


def mem(pid):
    st = bl.proc_status(pid)
    return (int(st["VmRSS"].split()[0]), int(st["VmHWM"].split()[0]),
            int(st.get("Threads", "0")), len(os.listdir("/proc/%d/fd" % pid)))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary")
    ap.add_argument("--quick", action="store_true", help="1,000 connections")
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--per-address", type=int, default=500,
                    help="connections per client source address")
    ap.add_argument("--max-inflight", type=int, default=512,
                    help="connections being opened (not yet greeted) at once")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120.0, help="deadline for each phase")
    ap.add_argument("--one-round", action="store_true",
                    help="skip the second open/close round (leak check)")
    ap.add_argument("--no-ehlo", action="store_true", help="skip phase 2 (EHLO on every one)")
    args = ap.parse_args()
    if args.quick:
        args.connections = 1000
    n = args.connections
    binary = bl.find_binary(args.binary)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = n + 64
    if hard < need:
        print("ulimit -Hn is %d: too low for %d connections in this client (and in "
              "portcullis, which raises its soft limit only up to the hard limit). Raise the "
              "hard limit (e.g. `ulimit -Hn %d` as root, or LimitNOFILE= in systemd) and "
              "rerun, or pass --connections %d." % (hard, n, need, max(100, hard - 64)))
        return 2
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    wd = bl.workdir("pcconn-")
    sink = gate = None
    conns = []
    rc = 0
    try:
        sink_port = bl.free_port()
        sink = bl.Sink(wd, sink_port)
        bl.wait_port(sink_port)
        gate_port = bl.free_port()
        # Start the gate with a low soft fd limit (1024, the usual default) to check that it
        # raises its own soft limit to the hard limit as documented.
        def low_soft_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
        gate = bl.Gate(binary, wd, gate_port, sink_port, threads=args.threads,
                       preexec_fn=low_soft_limit)
        bl.wait_port(gate_port)
        time.sleep(0.5)
        g_soft, g_hard = bl.nofile_limits(gate.pid)
        print("# concurrent_connections: %s" % bl.machine_info())
        print("# binary=%s threads=%d date=%s" % (binary, args.threads,
                                                  time.strftime("%Y-%m-%d %H:%M:%S %Z")))
        print("# fd limits: this client soft/hard %d/%d -> %d; portcullis started with soft "
              "limit %d, now soft/hard %d/%d (%s)" % (
                  soft, hard, hard, min(1024, hard), g_soft, g_hard,
                  "raised itself to the hard limit" if g_soft == g_hard else "NOT raised"))
        if g_soft < need:
            print("WARNING: portcullis's soft fd limit %d < %d needed; it did not raise it "
                  "to the hard limit, or the hard limit is too low" % (g_soft, need))
        rss0, hwm0, thr0, fd0 = mem(gate.pid)
        cpu0 = bl.cpu_seconds(gate.pid)

        t0 = time.monotonic()
        conns, fails = open_all(n, gate_port, args.per_address, args.max_inflight,
                                time.monotonic() + args.timeout)
        t_open = time.monotonic() - t0
        time.sleep(1.0)
        rss1, hwm1, thr1, fd1 = mem(gate.pid)
        cpu1 = bl.cpu_seconds(gate.pid)
        addrs = len({source_addr(i, args.per_address) for i in range(n)})
        print("opened %d/%d connections greeted with 220 in %.1f s (%.0f/s) from %d source "
              "addresses; failures: %s" % (len(conns), n, t_open, len(conns) / t_open, addrs,
                                           fails or "none"))
        print("portcullis CPU for accept+greet: %.3f ms per connection" % (
            1000.0 * (cpu1 - cpu0) / max(1, len(conns))))

        rows = [("0 connections (after start)", rss0, hwm0, thr0, fd0),
                ("%d connected + greeted" % len(conns), rss1, hwm1, thr1, fd1)]
        if not args.no_ehlo and conns:
            ok, efails = command_all(conns, b"EHLO client.test\r\n", b"250",
                                     time.monotonic() + args.timeout)
            time.sleep(0.5)
            rss2, hwm2, thr2, fd2 = mem(gate.pid)
            print("EHLO answered 250 on %d/%d; failures: %s" % (ok, len(conns), efails or "none"))
            rows.append(("%d after EHLO on each" % len(conns), rss2, hwm2, thr2, fd2))
        conns_n = len(conns)
        for c in conns:
            c.sock.close()
        conns = []
        time.sleep(2.0)
        rss3, hwm3, thr3, fd3 = mem(gate.pid)
        rows.append(("all closed (+2 s)", rss3, hwm3, thr3, fd3))
        # A second round on the same process: memory that grows round after round would be
        # a leak; memory kept after close but reused by the next round is allocator caching.
        if not args.one_round:
            again, fails2 = open_all(n, gate_port, args.per_address, args.max_inflight,
                                     time.monotonic() + args.timeout)
            time.sleep(1.0)
            rss4, hwm4, thr4, fd4 = mem(gate.pid)
            rows.append(("round 2: %d connected + greeted (failures: %s)" % (
                len(again), fails2 or "none"), rss4, hwm4, thr4, fd4))
            for c in again:
                c.sock.close()
            time.sleep(2.0)
            rss5, hwm5, thr5, fd5 = mem(gate.pid)
            rows.append(("round 2: all closed (+2 s)", rss5, hwm5, thr5, fd5))

        print("\n| portcullis state | VmRSS MB | VmHWM MB | threads | open fds |")
        print("|---|---|---|---|---|")
        for name, r, h, t, f in rows:
            print("| %s | %.1f | %.1f | %d | %d |" % (name, r / 1024, h / 1024, t, f))
        per_conn = (rss1 - rss0) / max(1, conns_n)
        print("\nKB per greeted connection: %.1f (VmRSS delta %.1f MB / %d)" % (
            per_conn, (rss1 - rss0) / 1024, conns_n))
        if len(rows) > 3:
            print("KB per connection after EHLO: %.1f" % ((rows[2][1] - rss0) / max(1, conns_n)))
        total_mb = max(rss1, hwm1) / 1024
        verdict = "met" if total_mb <= TARGET_MB and conns_n == n else "MISSED"
        print("target: %d greeted connections in <= %d MB total: %s (VmHWM %.1f MB, %d greeted)"
              % (n, TARGET_MB, verdict, hwm1 / 1024, conns_n))
        if conns_n != n:
            rc = 1
        if not gate.alive():
            print("portcullis exited: " + gate.stderr_text()[-500:])
            rc = 1
    finally:
        for c in conns:
            c.sock.close()
        if gate:
            gate.stop()
            err = gate.stderr_text().strip()
            if err:
                print("\nportcullis stderr (last 1500 bytes):\n" + err[-1500:])
        if sink:
            sink.stop()
        shutil.rmtree(wd, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
