#!/usr/bin/python3
"""Added latency per message: direct to smtp-sink versus through portcullis, same run.

One smtp-sink and one portcullis in front of it run for the whole script. --clients
(default 4) client processes each hold one persistent SMTP session (raw sockets, no
pipelining) and send messages back to back; per message the time from sending MAIL FROM
to reading the final reply to the end of DATA (MAIL, RCPT, DATA, body + CRLF.CRLF) is
recorded. Phases alternate direct, proxy, direct, proxy (--rounds of each); the first
--warmup messages of each session are not counted. Reports p50/p90/p99/max per path and
the difference proxy - direct; verifies that smtp-sink counted every message.

  /usr/bin/python3 bench/latency.py            # 4 clients x 2,000 messages x 3 rounds per path
  /usr/bin/python3 bench/latency.py --quick
"""

import argparse
import multiprocessing as mp
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.expect(b"220")
        self.cmd(b"EHLO client.test\r\n", b"250")

    def reply(self):
        while True:
            start = 0
            while True:
                nl = self.buf.find(b"\r\n", start)
                if nl < 0:
                    break
                line = self.buf[start:nl]
                if len(line) < 4 or line[3:4] != b"-":
                    r = self.buf[:nl + 2]
                    self.buf = self.buf[nl + 2:]
                    return r
                start = nl + 2
            data = self.s.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buf += data

    def expect(self, code):
        r = self.reply()
        if not r.startswith(code):
            raise RuntimeError("expected %s, got %r" % (code.decode(), r[:200]))
        return r

    def cmd(self, line, code):
        self.s.sendall(line)
        return self.expect(code)

    def send_message(self, body, n):
        """Returns (total, MAIL, RCPT, DATA, body) nanoseconds."""
        t0 = time.perf_counter_ns()
        self.cmd(b"MAIL FROM:<sender%d@client.test>\r\n" % n, b"250")
        t1 = time.perf_counter_ns()
        self.cmd(b"RCPT TO:<user@example.org>\r\n", b"250")
        t2 = time.perf_counter_ns()
        self.cmd(b"DATA\r\n", b"354")
        t3 = time.perf_counter_ns()
        self.cmd(body, b"250")
        t4 = time.perf_counter_ns()
        return (t4 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3)

    def quit(self):
        try:
            self.s.sendall(b"QUIT\r\n")
            self.reply()
        except OSError:
            pass
        self.s.close()


def make_body(size):
    head = (b"From: <sender@client.test>\r\nTo: <user@example.org>\r\n"
            b"Subject: latency bench\r\nMessage-ID: <bench@client.test>\r\n\r\n")
    line = b"x" * 76 + b"\r\n"
    n = max(1, (size - len(head)) // len(line))
    return head + line * n + b".\r\n"


def client_proc(port, count, warmup, size, q):
    try:
        body = make_body(size)
        c = Client(port)
        lat = []
        t0 = time.monotonic()
        for i in range(count + warmup):
            d = c.send_message(body, i)
            if i >= warmup:
                lat.append(d)
        wall = time.monotonic() - t0
        c.quit()
        q.put(("ok", lat, wall))
    except Exception as e:  # reported by the parent
        q.put(("error", repr(e), 0))


def phase(port, clients, count, warmup, size, timeout):
    q = mp.Queue()
    procs = [mp.Process(target=client_proc, args=(port, count, warmup, size, q))
             for _ in range(clients)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    results = []
    for _ in procs:
        results.append(q.get(timeout=timeout))
    wall = time.monotonic() - t0
    for p in procs:
        p.join(10)
    errs = [r[1] for r in results if r[0] != "ok"]
    lat = [x for r in results if r[0] == "ok" for x in r[1]]
    return lat, errs, clients * (count + warmup) / wall


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary")
    ap.add_argument("--quick", action="store_true", help="4 clients x 100 messages, 1 round")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--messages", type=int, default=2000, help="per client per phase")
    ap.add_argument("--warmup", type=int, default=20, help="per client per phase, not counted")
    ap.add_argument("--rounds", type=int, default=3, help="phases per path, alternated")
    ap.add_argument("--size", type=int, default=4096, help="message bytes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=240.0)
    args = ap.parse_args()
    if args.quick:
        args.messages, args.rounds = 100, 1
    binary = bl.find_binary(args.binary)

    wd = bl.workdir("pclat-")
    sink = gate = None
    rc = 0
    try:
        sink_port = bl.free_port()
        sink = bl.Sink(wd, sink_port)
        bl.wait_port(sink_port)
        gate_port = bl.free_port()
        gate = bl.Gate(binary, wd, gate_port, sink_port, threads=args.threads)
        bl.wait_port(gate_port)
        time.sleep(0.3)
        print("# latency: %s" % bl.machine_info())
        print("# binary=%s clients=%d messages/client/phase=%d (+%d warm-up) rounds=%d "
              "size=%d B threads=%d date=%s" % (
                  binary, args.clients, args.messages, args.warmup, args.rounds, args.size,
                  args.threads, time.strftime("%Y-%m-%d %H:%M:%S %Z")))
        lat = {"direct": [], "proxy": []}
        rates = {"direct": [], "proxy": []}
        sent = 0
        for rnd in range(args.rounds):
            for path, port in (("direct", sink_port), ("proxy", gate_port)):
                l, errs, rate = phase(port, args.clients, args.messages, args.warmup,
                                      args.size, args.timeout)
                sent += args.clients * (args.messages + args.warmup)
                if errs:
                    print("round %d %s: ERRORS %s" % (rnd, path, errs))
                    rc = 1
                lat[path] += l
                rates[path].append(rate)
                tot = [x[0] for x in l]
                print("round %d %-6s: %5d samples, p50 %.3f ms, p99 %.3f ms, %.0f msg/s" % (
                    rnd, path, len(l), bl.percentile(tot, 50) / 1e6,
                    bl.percentile(tot, 99) / 1e6, rate), flush=True)
        got = sink.wait_messages(sent, 15.0)
        print("smtp-sink counted %d of %d messages sent: %s" % (
            got, sent, "ok" if got == sent else "MISMATCH"))
        if got != sent:
            rc = 1

        def ms(xs, p):
            return bl.percentile(xs, p) / 1e6

        print("\n| path | samples | p50 ms | p90 ms | p99 ms | max ms | msg/s (median phase) |")
        print("|---|---|---|---|---|---|---|")
        steps = {path: [[x[k] for x in lat[path]] for k in range(5)]
                 for path in ("direct", "proxy")}
        for path in ("direct", "proxy"):
            xs = steps[path][0]
            print("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.0f |" % (
                "direct to smtp-sink" if path == "direct" else "through portcullis",
                len(xs), ms(xs, 50), ms(xs, 90), ms(xs, 99), max(xs) / 1e6,
                bl.median(rates[path])))
        d, p = steps["direct"][0], steps["proxy"][0]
        print("| added by portcullis | | %+.3f | %+.3f | %+.3f | | |" % (
            ms(p, 50) - ms(d, 50), ms(p, 90) - ms(d, 90), ms(p, 99) - ms(d, 99)))
        print("\nPer step, p50 ms (direct / proxy / added):")
        print("| step | direct | proxy | added |")
        print("|---|---|---|---|")
        for k, name in ((1, "MAIL -> 250"), (2, "RCPT -> 250"), (3, "DATA -> 354"),
                        (4, "body + . -> 250")):
            a, b = ms(steps["direct"][k], 50), ms(steps["proxy"][k], 50)
            print("| %s | %.3f | %.3f | %+.3f |" % (name, a, b, b - a))
        if not gate.alive():
            print("portcullis exited: " + gate.stderr_text()[-500:])
            rc = 1
    finally:
        if gate:
            gate.stop()
        if sink:
            sink.stop()
        shutil.rmtree(wd, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
