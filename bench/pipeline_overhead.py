#!/usr/bin/env python3
"""Filter overhead: smtp-source -> portcullis -> smtp-sink with no filters (part 1's bare
proxy) versus the same with filters on, side by side in one run, alternated, medians.

--filters pipeline (default): access lists with realistic list sizes, HELO checks, and a
  policy that adds headers to every message (so the header rewrite runs too).
  Target: >= 0.95x bare.
--filters antivirus: in-process ClamAV (libclamav) with the shipped demo signatures
  (deploy/clamav) scanning every message. Target: >= 0.7x bare at 4 KiB.

  /usr/bin/python3 bench/pipeline_overhead.py                       # 4 KiB, both modes
  /usr/bin/python3 bench/pipeline_overhead.py --filters antivirus --size 4096
  /usr/bin/python3 bench/pipeline_overhead.py --filters antivirus --size 1048576 --messages 1000
  /usr/bin/python3 bench/pipeline_overhead.py --quick               # smoke test
"""
import argparse
import os
import resource
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
from e2e_throughput import run_source  # noqa: E402

TARGETS = {"pipeline": 0.95, "antivirus": 0.7}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pipeline_yaml(workdir):
    # Lists of a realistic size, none of which match the benchmark's traffic, so every
    # lookup runs to the end; the policy tags every message (HELO "client.test" is fine,
    # so add_header: 0 makes the header rewrite run on each message).
    deny_clients = ", ".join('"198.51.%d.%d/32"' % (i // 250, i % 250) for i in range(1000))
    deny_senders = ", ".join('"@spam%d.example"' % i for i in range(1000))
    deny_rcpts = ", ".join('"trap%d@example.org"' % i for i in range(1000))
    return """filters:
  access: {deny_clients: [%s], deny_senders: [%s], deny_recipients: [%s]}
  helo: {}
policy: {reject: 50, quarantine: 40, add_header: 0}
""" % (deny_clients, deny_senders, deny_rcpts)


def antivirus_yaml(workdir):
    return """filters:
  antivirus: {database: "%s"}
""" % os.path.join(REPO, "deploy", "clamav")


def one_run(args, binary, variant, mode):
    wd = bl.workdir("pcpipe-")
    sink = gate = None
    res = {"variant": variant, "mode": mode}
    try:
        sink_port = bl.free_port()
        sink = bl.Sink(wd, sink_port)
        bl.wait_port(sink_port)
        gate_port = bl.free_port()
        extra = {"pipeline": pipeline_yaml, "antivirus": antivirus_yaml,
                 "bare": lambda _: ""}[variant](wd)
        gate = bl.Gate(binary, wd, gate_port, sink_port, threads=args.threads, extra_yaml=extra)
        bl.wait_port(gate_port)
        time.sleep(0.3)
        gate0 = sum(bl.cpu_split(gate.pid))
        argv = [bl.SMTP_SOURCE] + (["-d"] if mode == "persist" else [])
        argv += ["-s", str(args.sessions), "-m", str(args.messages), "-l", str(args.size),
                 "-M", "client.test", "-f", "sender@client.test", "-t", "user@example.org",
                 "127.0.0.1:%d" % gate_port]
        rc, wall, _, err = run_source(argv, args.run_timeout)
        got = sink.wait_messages(args.messages, 15.0)
        gate1 = sum(bl.cpu_split(gate.pid))
        res.update(rc=rc, rate=args.messages / wall, received=got,
                   gate_ms=1000.0 * (gate1 - gate0) / bl.CLK_TCK / args.messages,
                   ok=(rc == 0 and got == args.messages and gate.alive()), err=err[-200:])
    finally:
        if gate:
            gate.stop()
        if sink:
            sink.stop()
        shutil.rmtree(wd, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--filters", choices=sorted(TARGETS), default="pipeline")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--modes", default="persist,conn")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--run-timeout", type=float, default=240.0)
    args = ap.parse_args()
    if args.quick:
        args.messages, args.reps = 2000, 1
    binary = bl.find_binary(args.binary)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print("# pipeline_overhead: %s" % bl.machine_info())
    print("# filters=%s binary=%s sessions=%d messages=%d size=%d reps=%d date=%s" % (
        args.filters, binary, args.sessions, args.messages, args.size, args.reps,
        time.strftime("%Y-%m-%d %H:%M:%S %Z")))
    runs = []
    for mode in args.modes.split(","):
        for rep in range(args.reps):
            for variant in ("bare", args.filters):
                r = one_run(args, binary, variant, mode)
                runs.append(r)
                print("%-8s %-8s rep=%d msg/s=%7.0f gate_ms=%.3f recv=%d %s" % (
                    mode, variant, rep, r["rate"], r["gate_ms"], r["received"],
                    "ok" if r["ok"] else "FAILED " + r.get("err", "")), flush=True)
    print("\n| mode | bare msg/s | %s msg/s | %s/bare (per pair) | "
          "portcullis CPU ms/msg bare / %s |" % ((args.filters,) * 3))
    print("|---|---|---|---|---|")
    failed = any(not r["ok"] for r in runs)
    for mode in args.modes.split(","):
        b = [r for r in runs if r["mode"] == mode and r["variant"] == "bare" and r["ok"]]
        p = [r for r in runs if r["mode"] == mode and r["variant"] == args.filters and r["ok"]]
        if not b or not p:
            print("| %s | FAILED | | | |" % mode)
            continue
        br, pr = bl.median([r["rate"] for r in b]), bl.median([r["rate"] for r in p])
        pairs = ", ".join("%.2f" % (y["rate"] / x["rate"]) for x, y in zip(b, p))
        print("| %s | %.0f | %.0f | **%.2f** (%s) | %.3f / %.3f |" % (
            "one msg per connection" if mode == "conn" else "persistent (-d)", br, pr, pr / br,
            pairs, bl.median([r["gate_ms"] for r in b]), bl.median([r["gate_ms"] for r in p])))
        target = TARGETS[args.filters]
        print("target %s/bare >= %.2f (%s): %s" % (
            args.filters, target, mode, "met" if pr / br >= target else "MISSED"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
