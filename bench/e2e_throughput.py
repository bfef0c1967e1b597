#!/usr/bin/python3
"""End-to-end throughput: smtp-source -> smtp-sink (direct) versus
smtp-source -> portcullis -> smtp-sink (proxy), side by side in one run.

For each message size (default 4 KiB and 100 KiB) and each connection mode
(`conn`: one message per connection, smtp-source's default; `persist`: smtp-source -d,
many messages over each connection), runs alternate direct, proxy, direct, proxy, ...
(--reps of each, fresh smtp-sink and fresh portcullis for every run) and reports the
median messages/s, the ratio proxy/direct, and CPU milliseconds per message of each
process (portcullis and smtp-sink from utime+stime in /proc/PID/stat sampled just before
smtp-source starts and after the sink has counted the last message; smtp-source from
wait4's rusage). A run counts only if smtp-source exited 0 and smtp-sink counted exactly
the messages sent (smtp-sink -c, "mesg=N"); otherwise the script reports the run as FAILED
and exits 1, so a path that silently drops mail cannot look fast.

  /usr/bin/python3 bench/e2e_throughput.py            # full run (see --help for counts)
  /usr/bin/python3 bench/e2e_throughput.py --quick    # smoke test, a few seconds
  bench/e2e_throughput.sh [same options]               # the same, via the shell wrapper
"""

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

TARGET_RATIO_4K = 0.6
TARGET_CPU_MS = 0.2


def run_source(argv, timeout):
    """Runs smtp-source; returns (rc, wall seconds, cpu seconds of smtp-source)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    killed = []

    def kill():
        killed.append(True)
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    # Drain stderr in a thread so a chatty failure cannot block the child.
    err = []
    t = threading.Thread(target=lambda: err.append(p.stderr.read()))
    t.start()
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.monotonic()
    timer.cancel()
    t.join(5)
    p.returncode = os.waitstatus_to_exitcode(status)
    rc = p.returncode if not killed else "timeout"
    return rc, t1 - t0, ru.ru_utime + ru.ru_stime, (err[0] if err else b"").decode(
        "utf-8", "replace").strip()


def one_run(args, binary, path, size, mode, messages):
    wd = bl.workdir("pcbench-")
    sink = gate = None
    res = {"path": path, "size": size, "mode": mode, "messages": messages}
    try:
        sink_port = bl.free_port()
        sink = bl.Sink(wd, sink_port)
        bl.wait_port(sink_port)
        target = sink_port
        if path == "proxy":
            gate_port = bl.free_port()
            gate = bl.Gate(binary, wd, gate_port, sink_port, threads=args.threads)
            bl.wait_port(gate_port)
            target = gate_port
        time.sleep(0.3)  # let start-up (backend probe) finish before sampling CPU
        sink0 = bl.cpu_ticks(sink.pid)
        gate0 = bl.cpu_split(gate.pid) if gate else (0, 0)
        argv = [bl.SMTP_SOURCE]
        if mode == "persist":
            argv.append("-d")
        argv += ["-s", str(args.sessions), "-m", str(messages), "-l", str(size),
                 "-M", "client.test", "-f", "sender@client.test", "-t", "user@example.org",
                 "127.0.0.1:%d" % target]
        rc, wall, src_cpu, err = run_source(argv, args.run_timeout)
        got = sink.wait_messages(messages, 15.0)
        sink1 = bl.cpu_ticks(sink.pid)
        gate1 = bl.cpu_split(gate.pid) if gate else (0, 0)
        per_msg = 1000.0 / bl.CLK_TCK / messages
        res.update(rc=rc, wall=wall, received=got, rate=messages / wall,
                   src_ms=1000.0 * src_cpu / messages,
                   sink_ms=1000.0 * (sink1 - sink0) / bl.CLK_TCK / messages,
                   gate_ms=(per_msg * (sum(gate1) - sum(gate0))) if gate else None,
                   gate_usr_ms=(per_msg * (gate1[0] - gate0[0])) if gate else None,
                   gate_sys_ms=(per_msg * (gate1[1] - gate0[1])) if gate else None,
                   ok=(rc == 0 and got == messages), err=err[-300:])
        if gate and not gate.alive():
            res["ok"] = False
            res["err"] = "portcullis exited: " + gate.stderr_text()[-300:]
    finally:
        if gate:
            gate.stop()
            # log level is warn: any line on stderr is a warning or an error worth seeing.
            log = gate.stderr_text().strip()
            res["gate_log_lines"] = len(log.splitlines()) if log else 0
            if log:
                res["gate_stderr"] = log[-1000:]
        if sink:
            sink.stop()
        if not args.keep_logs:
            shutil.rmtree(wd, ignore_errors=True)
        else:
            res["workdir"] = wd
    return res


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="portcullis binary (default: $PORTCULLIS_BIN or "
                    "build-rel/portcullis)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 2,000/200 messages, 1 rep")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--messages", type=int, default=20000, help="messages per run at 4 KiB")
    ap.add_argument("--messages-large", type=int, default=5000,
                    help="messages per run at 100 KiB (default 5000 keeps the script "
                    "under ~5 min; pass 20000 for the full count)")
    ap.add_argument("--sizes", default="4096,102400", help="payload bytes (smtp-source -l)")
    ap.add_argument("--modes", default="persist,conn",
                    help="persist (smtp-source -d) and/or conn (one message per connection)")
    ap.add_argument("--reps", type=int, default=None,
                    help="runs of each path, alternated (default 3; 1 with --quick)")
    ap.add_argument("--threads", type=int, default=2, help="portcullis event-loop threads")
    ap.add_argument("--run-timeout", type=float, default=240.0)
    ap.add_argument("--keep-logs", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.messages, args.messages_large = 2000, 200
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    binary = bl.find_binary(args.binary)
    for tool in (bl.SMTP_SINK, bl.SMTP_SOURCE):
        if not os.access(tool, os.X_OK):
            sys.exit("%s not found (apt-get install postfix)" % tool)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    sizes = [int(s) for s in args.sizes.split(",")]
    modes = args.modes.split(",")
    print("# e2e_throughput: %s" % bl.machine_info())
    print("# binary=%s sessions=%d reps=%d threads=%d date=%s" % (
        binary, args.sessions, args.reps, args.threads,
        time.strftime("%Y-%m-%d %H:%M:%S %Z")))
    print("# CPU columns are ms per message: gate = portcullis (usr+sys), sink = smtp-sink, "
          "src = smtp-source")
    print("%-8s %-7s %-6s %3s %7s %5s %8s %9s %8s %8s %8s %8s %8s  %s" % (
        "size", "mode", "path", "rep", "msgs", "rc", "recv", "msg/s", "gate_ms", "gate_usr",
        "gate_sys", "sink_ms", "src_ms", "ok"))
    all_runs = []
    t_start = time.monotonic()
    for size in sizes:
        messages = args.messages if size <= 16384 else args.messages_large
        for mode in modes:
            for rep in range(args.reps):
                for path in ("direct", "proxy"):
                    r = one_run(args, binary, path, size, mode, messages)
                    r["rep"] = rep
                    all_runs.append(r)
                    print("%-8d %-7s %-6s %3d %7d %5s %8d %9.0f %8s %8s %8s %8.3f %8.3f  %s%s" % (
                        size, mode, path, rep, messages, r["rc"], r["received"], r["rate"],
                        fmt(r["gate_ms"], ".3f"), fmt(r["gate_usr_ms"], ".3f"),
                        fmt(r["gate_sys_ms"], ".3f"), r["sink_ms"], r["src_ms"],
                        "ok" if r["ok"] else "FAILED",
                        "" if r["ok"] else "  " + r.get("err", "")), flush=True)

    print("\n## Medians (%d rep(s) each; CPU ms per message; wall %.0f s in total)" % (
        args.reps, time.monotonic() - t_start))
    print("| size | mode | messages | direct msg/s | proxy msg/s | proxy/direct (per pair) | "
          "portcullis CPU ms/msg (usr + sys) | sink ms/msg direct / proxy | source ms/msg direct / proxy | "
          "CPU-bound ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    failed = any(not r["ok"] for r in all_runs)
    verdicts = []
    for size in sizes:
        for mode in modes:
            d = [r for r in all_runs if r["size"] == size and r["mode"] == mode
                 and r["path"] == "direct" and r["ok"]]
            p = [r for r in all_runs if r["size"] == size and r["mode"] == mode
                 and r["path"] == "proxy" and r["ok"]]
            if not d or not p:
                print("| %d | %s | - | FAILED | | | | | | |" % (size, mode))
                continue
            dr = bl.median([r["rate"] for r in d])
            pr = bl.median([r["rate"] for r in p])
            gms = bl.median([r["gate_ms"] for r in p])
            pairs = ", ".join("%.2f" % (b["rate"] / a["rate"]) for a, b in zip(d, p))
            # If the machine were CPU-bound, throughput would be inversely proportional to
            # the CPU all processes spend per message: a noise-resistant ratio estimate.
            dcpu = bl.median([r["sink_ms"] + r["src_ms"] for r in d])
            pcpu = bl.median([r["sink_ms"] + r["src_ms"] + r["gate_ms"] for r in p])
            print("| %s | %s | %d | %.0f | %.0f | **%.2f** (%s) | %.3f (%.3f + %.3f) | %.3f / %.3f | %.3f / %.3f | %.2f |" % (
                "%d KiB" % (size // 1024) if size % 1024 == 0 else size,
                "one msg per connection" if mode == "conn" else "persistent (-d)",
                d[0]["messages"], dr, pr, pr / dr, pairs, gms,
                bl.median([r["gate_usr_ms"] for r in p]), bl.median([r["gate_sys_ms"] for r in p]),
                bl.median([r["sink_ms"] for r in d]), bl.median([r["sink_ms"] for r in p]),
                bl.median([r["src_ms"] for r in d]), bl.median([r["src_ms"] for r in p]),
                dcpu / pcpu))
            if size == 4096:
                verdicts.append("4 KiB %s: proxy/direct %.3f, per pair %s (target >= %.1f: %s; "
                                "CPU-bound estimate %.2f); "
                                "portcullis %.3f CPU ms/msg (target <= %.1f: %s)" % (
                                    mode, pr / dr, pairs, TARGET_RATIO_4K,
                                    "met" if pr / dr >= TARGET_RATIO_4K else "MISSED",
                                    dcpu / pcpu,
                                    gms, TARGET_CPU_MS,
                                    "met" if gms <= TARGET_CPU_MS else "MISSED"))
    print()
    for v in verdicts:
        print(v)
    logged = [r for r in all_runs if r.get("gate_log_lines")]
    if logged:
        print("\nportcullis logged %d warning/error line(s) in %d run(s); last:\n%s" % (
            sum(r["gate_log_lines"] for r in logged), len(logged), logged[-1]["gate_stderr"]))
    else:
        print("\nportcullis logged nothing at warn level or above in any run.")

    if failed:
        print("\nSOME RUNS FAILED (smtp-source error or message count mismatch); see above.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
