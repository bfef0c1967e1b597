#!/usr/bin/python3
"""Where portcullis spends its CPU under smtp-source load: perf (cpu-clock) on the gate.

Starts smtp-sink and portcullis, attaches `perf record` to the portcullis PID, runs
smtp-source through the gate, and prints the top of `perf report` twice: by shared object
(kernel vs libc vs portcullis) and by symbol. Needs perf (linux-perf) and permission to
profile (root, or kernel.perf_event_paranoid <= 1). Virtual machines without a PMU only
have the cpu-clock software event, which is what this script uses.

  /usr/bin/python3 bench/profile_proxy.py --mode conn      # one message per connection
  /usr/bin/python3 bench/profile_proxy.py --mode persist   # smtp-source -d
  add --callgraph for call chains (dwarf unwinding; slower, bigger data)
  add --syscalls to count portcullis's system calls per message instead (perf stat on
  syscall tracepoints)
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


SYSCALLS = ("recvfrom", "sendto", "recvmsg", "sendmsg", "read", "write", "readv", "writev",
            "epoll_wait", "epoll_ctl", "futex", "accept", "accept4", "connect", "socket", "close",
            "shutdown", "setsockopt", "getsockopt", "ioctl", "timerfd_settime", "mmap",
            "munmap", "madvise", "brk")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary")
    ap.add_argument("--mode", choices=("conn", "persist"), default="conn")
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--callgraph", action="store_true")
    ap.add_argument("--syscalls", action="store_true",
                    help="count system calls per message (perf stat) instead of sampling")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--keep", action="store_true", help="keep perf.data (path printed)")
    args = ap.parse_args()
    binary = bl.find_binary(args.binary)
    perf = shutil.which("perf")
    if not perf:
        sys.exit("perf not found (apt-get install linux-perf)")

    wd = bl.workdir("pcprof-")
    sink = gate = None
    try:
        sink_port = bl.free_port()
        sink = bl.Sink(wd, sink_port)
        bl.wait_port(sink_port)
        gate_port = bl.free_port()
        gate = bl.Gate(binary, wd, gate_port, sink_port, threads=args.threads)
        bl.wait_port(gate_port)
        time.sleep(0.3)
        data = os.path.join(wd, "perf.data")
        cmd = [perf, "record", "-e", "cpu-clock", "-F", "1999", "-o", data, "-p", str(gate.pid)]
        if args.callgraph:
            cmd += ["--call-graph", "dwarf,16384"]
        if args.syscalls:
            events = ["raw_syscalls:sys_enter"] + ["syscalls:sys_enter_" + n for n in SYSCALLS]
            cmd = [perf, "stat", "-x", ",", "-o", data, "-p", str(gate.pid), "-e", ",".join(events)]
        rec = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        c0 = bl.cpu_ticks(gate.pid)
        src = [bl.SMTP_SOURCE] + (["-d"] if args.mode == "persist" else []) + [
            "-s", str(args.sessions), "-m", str(args.messages), "-l", str(args.size),
            "-M", "client.test", "-f", "sender@client.test", "-t", "user@example.org",
            "127.0.0.1:%d" % gate_port]
        t0 = time.monotonic()
        r = subprocess.run(src, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
        wall = time.monotonic() - t0
        got = sink.wait_messages(args.messages, 15)
        c1 = bl.cpu_ticks(gate.pid)
        rec.send_signal(signal.SIGINT)
        rec.wait(30)
        print("# profile_proxy: %s" % bl.machine_info())
        print("# mode=%s size=%d messages=%d sessions=%d: smtp-source rc=%d, sink counted %d, "
              "%.0f msg/s, portcullis %.3f CPU ms/msg (perf attached, adds overhead)" % (
                  args.mode, args.size, args.messages, args.sessions, r.returncode, got,
                  args.messages / wall, 1000.0 * (c1 - c0) / bl.CLK_TCK / args.messages))
        if args.syscalls:
            print("\n## portcullis system calls per message (perf stat, whole run)")
            print("| syscall | count | per message |")
            print("|---|---|---|")
            with open(data) as f:
                for line in f:
                    parts = line.strip().split(",")
                    if len(parts) < 3 or not parts[0].strip().isdigit():
                        continue
                    count, name = int(parts[0]), parts[2].split(":")[-1].replace("sys_enter_", "")
                    if count:
                        print("| %s | %d | %.2f |" % ("ALL" if name == "sys_enter" else name,
                                                     count, count / args.messages))
            return 0
        base = [perf, "report", "-i", data, "--stdio", "--no-children", "--percent-limit", "0.5"]
        for sort in ("dso", "dso,sym"):
            out = subprocess.run(base + ["--sort", sort] + (["-g", "none"] if args.callgraph else []),
                                 capture_output=True, text=True, timeout=300).stdout
            lines = [ln for ln in out.splitlines() if ln.strip() and not ln.startswith("#")]
            print("\n## perf report --sort %s (top %d)" % (sort, args.top))
            print("\n".join(lines[:args.top]))
        if args.callgraph:
            out = subprocess.run(base[:-2] + ["--percent-limit", "2", "-G", "--sort", "sym"],
                                 capture_output=True, text=True, timeout=300).stdout
            print("\n## call graph (caller-based, >= 2%)")
            print("\n".join(out.splitlines()[:300]))
        if args.keep:
            print("\nperf data kept: %s" % data)
    finally:
        if gate:
            gate.stop()
        if sink:
            sink.stop()
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
