#!/usr/bin/env python3
"""Milter front door overhead (issue 10): a real Postfix with portcullis as its milter versus
the same Postfix without it, side by side in one run, alternated, medians.

  smtp-source -> Postfix smtpd [smtpd_milters = inet:127.0.0.1:PORT -> portcullis] -> queue
              -> Postfix smtp client (relayhost = [127.0.0.1]:SINKPORT) -> smtp-sink

Both variants are the same private Postfix 3.7 instance (tests/integration/postfix_instance.py,
imported, not copied: own main.cf/master.cf/queue/maillog, started with `postfix -c DIR
start`, stopped by PID as a fallback), freshly started for every run; the milter variant adds
`smtpd_milters = inet:127.0.0.1:PORT`, `milter_default_action = tempfail`,
`milter_protocol = 6` (so a milter failure shows up as refused mail, never as mail that
silently skipped the gate). Run order alternates within each repetition (plain, milter /
milter, plain / ...); the table gives medians and the milter/plain ratio of each pair.
Target: milter >= 0.8x plain (delivered msg/s).

The gate (milter variant only, fresh per run): the required keys (a proxy listener on a free
port, backend "maildir:DIR" that nothing reaches), `milter: {address}`, `log: {level: warn}`,
`threads: 2`, and a pipeline that needs no DNS: `filters: {access: {deny_senders:
["@blocked.example"]}, helo: {}}`, `policy: {reject: 50, add_header: 0}` -- so every message
gets X-Spam-* headers inserted by the milter (the header edit runs on each message).

A run counts only if smtp-source exits 0, smtp-sink's counter (-c) reaches exactly the number
of messages sent, the Postfix queue is empty afterwards, and the sink's dump file (-D, in both
variants alike) holds an X-Spam-Status header in every message of the milter run and in none
of the plain run (proof that the milter really edited every message).

Figures per run
  accept msg/s    messages / smtp-source's wall time (all mail queued by Postfix; this is
                  where the milter's round trips add latency to each smtpd transaction)
  deliver msg/s   messages / (smtp-source start -> smtp-sink has counted them all): the
                  end-to-end figure the target applies to
  gate ms/msg     portcullis utime+stime (/proc/PID/stat, all threads) over the run / messages
  postfix ms/msg  the whole Postfix instance's CPU over the run / messages: the master's own
                  utime+stime plus cutime+cstime (its reaped children: smtpd, cleanup, smtp
                  processes that exited) plus utime+stime of every live process of the
                  instance (found through MAIL_CONFIG in /proc/PID/environ, as
                  postfix_instance.instance_processes does), before and after

Postfix settings for throughput (both variants; what and why):
  queue on tmpfs (/dev/shm, --tmpdir to change): cleanup fsyncs every queue file; on the
      shared VM's disk that fsync, not smtpd or the milter, would bound both variants and hide
      the difference. A real MX pays it: the ratio on disk is closer to 1 (try --tmpdir /tmp).
  default_process_limit = 200: room for 20+ smtpd, their cleanup processes and 20 smtp
      clients at once (the default 100 is enough for 20 sessions; 200 keeps headroom).
  in_flow_delay = 0s: smtpd never sleeps to let the queue manager catch up.
  initial_destination_concurrency = 20, default_destination_concurrency_limit = 20: the relay
      to the sink starts with 20 parallel deliveries instead of ramping up from 5.
  smtp_connection_cache_on_demand = yes, smtp_connection_cache_destinations = the relayhost,
      smtp_connection_cache_time_limit = 10s: deliveries reuse SMTP connections to the sink
      instead of one TCP connection and greeting per message.
  default_destination_recipient_limit stays 50 (one recipient per message anyway).
  smtpd_peername_lookup = no: no reverse lookup of 127.0.0.1 per connection (not the
      thing measured; the milter's CONNECT then carries "unknown" as the client name).
  max_use = 1000: smtpd/cleanup/smtp processes live for 1000 uses instead of 100, fewer forks.
  (from postfix_instance: no DNS, no TLS, no chroot, queue_run_delay 1s, maillog via postlogd)

Modes (--modes): conn = one message per SMTP connection (smtp-source default; inbound MX
shape: every message also pays the milter's connect, option negotiation, CONNECT and HELO),
persist = many messages per connection (smtp-source -d; the milter connection persists too).

Peer (control; --peer): the same measurement with a different, well-known milter that also
reads every header and the body, to tell Postfix's cost of running any content milter from
portcullis's own. `--peer opendkim` runs Debian's OpenDKIM (package `opendkim`:
`DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends opendkim`) in
its place, fresh per run, verify-only: `Mode v`, `Socket inet:PORT@127.0.0.1`, `Background
no`, no keys, `SoftwareHeader no`, `AlwaysAddARHeader yes` (so it inserts one header per
message, as the gate inserts its X-Spam-* headers), `Syslog no`, a PidFile in the run dir;
the unsigned test messages need no DNS lookup. It is started and stopped by PID, its CPU
read from /proc like the gate's; its run counts only if every delivered message carries its
Authentication-Results header and none an X-Spam-Status (the plain runs carry neither).
`--peer both` alternates plain, portcullis and opendkim in one run (order reversed on every
other repetition) and prints one table row per milter, each against the same plain runs.
Default (`--peer portcullis`): plain and portcullis only, the output as before.

  /usr/bin/python3 bench/milter_overhead.py            # 4 KiB, 20 sessions, 5000 msgs, 3 reps
  /usr/bin/python3 bench/milter_overhead.py --peer both --reps 2 --modes persist
  /usr/bin/python3 bench/milter_overhead.py --quick    # smoke run
Runs as root (Postfix), loopback only.
"""
import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
import benchlib as bl  # noqa: E402
from postfix_instance import PostfixInstance, PostfixError  # noqa: E402

TARGET = 0.8
OPENDKIM = "/usr/sbin/opendkim"
VARIANTS = {  # --peer -> the variants of one repetition, in order (reversed every other rep)
    "portcullis": ("plain", "milter"),
    "opendkim": ("plain", "opendkim"),
    "both": ("plain", "milter", "opendkim"),
}
LABEL = {"plain": "plain", "milter": "portcullis", "opendkim": "opendkim"}


def gate_yaml(listen_port, milter_port, maildir, threads, policy):
    return """hostname: gate.test
listeners: [{name: bench, address: "127.0.0.1:%d"}]
backend: {address: "maildir:%s"}
relay_domains: [example.org]
trusted_networks: [127.0.0.0/8]
milter: {address: "127.0.0.1:%d"}
log: {level: warn}
threads: %d
filters: {access: {deny_senders: ["@blocked.example"]}, helo: {}}
policy: %s
""" % (listen_port, maildir, milter_port, threads, policy)


def opendkim_conf(milter_port, pidfile, authserv_id="gate.test"):
    """Verify-only OpenDKIM: no keys, no signing, one A-R header added to every message."""
    return """Mode v
Socket inet:%d@127.0.0.1
Background no
SoftwareHeader no
AlwaysAddARHeader yes
AuthservID %s
Syslog no
PidFile %s
""" % (milter_port, authserv_id, pidfile)


def postfix_tuning(sink_port):
    return {
        "default_process_limit": "200",
        "in_flow_delay": "0s",
        "initial_destination_concurrency": "20",
        "default_destination_concurrency_limit": "20",
        "smtp_connection_cache_on_demand": "yes",
        "smtp_connection_cache_destinations": "[127.0.0.1]:%d" % sink_port,
        "smtp_connection_cache_time_limit": "10s",
        "smtpd_peername_lookup": "no",
        "max_use": "1000",
    }


def wait_listening(port, proc, seconds=15.0, name="portcullis"):
    """Connect-only probe (a milter says nothing first), then close."""
    end = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if not proc.alive() or time.monotonic() > end:
                raise RuntimeError("%s does not listen on %d: %s" % (
                    name, port, proc.stderr_text()[-300:]))
            time.sleep(0.05)


def stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    return data[data.rindex(")") + 2:].split()


def postfix_cpu(pf):
    """CPU ticks of the whole instance so far (master self + its reaped children + every
    live process), and {pid: (comm, ticks)} of the live processes for a breakdown."""
    total = 0
    live = {}
    master = pf.master_pid
    for pid in pf.processes():
        try:
            with open("/proc/%d/stat" % pid) as f:
                data = f.read()
        except OSError:
            continue
        comm = data[data.index("(") + 1:data.rindex(")")]
        fields = data[data.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        live[pid] = (comm, ticks)
        total += ticks
        if pid == master:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total, live


def breakdown(before, after, total):
    """Ticks per process name between two snapshots; what exited meanwhile is 'exited'."""
    by = {}
    for pid, (comm, ticks) in after.items():
        by[comm] = by.get(comm, 0) + ticks - (before[pid][1] if pid in before else 0)
    by["exited"] = total - sum(by.values())
    return by


def count_in_file(path, needle):
    n = 0
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(needle):
                    n += 1
    except OSError:
        return -1
    return n


def one_run(args, binary, variant, mode):
    wd = tempfile.mkdtemp(prefix="pcmilt-", dir=args.tmpdir)
    os.chmod(wd, 0o755)  # Postfix (user postfix) must traverse it; smtp-sink (nobody) too
    sink = gate = pf = None
    res = {"variant": variant, "mode": mode, "ok": False, "why": "", "rate": 0.0,
           "accept": 0.0, "gate_ms": float("nan"), "pf_ms": float("nan"), "received": 0,
           "pf_by": {}}
    try:
        dumpdir = os.path.join(wd, "dump")
        os.mkdir(dumpdir)
        os.chmod(dumpdir, 0o777)
        dump = os.path.join(dumpdir, "sink.dump")
        sink_port = bl.free_port()
        sink = bl.Sink(wd, sink_port, extra=["-D", dump])
        bl.wait_port(sink_port)
        milter = None
        if variant == "milter":
            milter_port, listen_port = bl.free_port(), bl.free_port()
            cfg = os.path.join(wd, "portcullis.yaml")
            with open(cfg, "w") as f:
                f.write(gate_yaml(listen_port, milter_port, os.path.join(wd, "unused"),
                                  args.threads, args.policy))
            gate = bl.Proc([binary, "--config", cfg], os.path.join(wd, "portcullis.out"),
                           os.path.join(wd, "portcullis.err"))
            wait_listening(milter_port, gate)
            milter = milter_port
        elif variant == "opendkim":
            milter_port = bl.free_port()
            cfg = os.path.join(wd, "opendkim.conf")
            pidfile = os.path.join(wd, "opendkim.pid")
            with open(cfg, "w") as f:
                f.write(opendkim_conf(milter_port, pidfile))
            gate = bl.Proc([args.opendkim, "-x", cfg], os.path.join(wd, "opendkim.out"),
                           os.path.join(wd, "opendkim.err"))
            wait_listening(milter_port, gate, name="opendkim")
            # Background no: the process we started is the filter itself (stopped by that PID)
            end = time.monotonic() + 5
            while not os.path.exists(pidfile) and time.monotonic() < end:
                time.sleep(0.05)
            with open(pidfile) as f:
                if int(f.read().split()[0]) != gate.pid:
                    raise RuntimeError("opendkim PidFile does not hold the PID we started")
            milter = milter_port
        pf = PostfixInstance(wd, milter=milter, relayhost=sink_port,
                             extra_main=postfix_tuning(sink_port))
        pf.start()
        time.sleep(0.5)
        sink0 = sink.messages()  # the start-up probes count as sessions, not messages
        gate0 = sum(bl.cpu_split(gate.pid)) if gate else 0
        pf0, live0 = postfix_cpu(pf)
        argv = [bl.SMTP_SOURCE] + (["-d"] if mode == "persist" else [])
        argv += ["-s", str(args.sessions), "-m", str(args.messages), "-l", str(args.size),
                 "-M", "client.test", "-f", "sender@client.test", "-t", "user@example.org",
                 "127.0.0.1:%d" % pf.port]
        errpath = os.path.join(wd, "source.err")
        with open(errpath, "wb") as err:
            t0 = time.monotonic()
            src = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=err)
            t_src = t_all = None
            end = t0 + args.run_timeout
            while time.monotonic() < end:
                if t_src is None and src.poll() is not None:
                    t_src = time.monotonic()
                if t_all is None and sink.messages() - sink0 >= args.messages:
                    t_all = time.monotonic()
                if t_src is not None and t_all is not None:
                    break
                time.sleep(0.02)
            if src.poll() is None:
                src.kill()
                src.wait(timeout=10)
        rc = src.returncode
        try:
            pf.wait_queue_empty(seconds=30)
            queue_empty = True
        except PostfixError:
            queue_empty = False
        gate1 = sum(bl.cpu_split(gate.pid)) if gate else 0
        pf1, live1 = postfix_cpu(pf)
        res["pf_by"] = {k: 1000.0 * v / bl.CLK_TCK / args.messages
                        for k, v in breakdown(live0, live1, pf1 - pf0).items()}
        got = sink.messages() - sink0
        res["received"] = got
        if t_src:
            res["accept"] = args.messages / (t_src - t0)
        if t_all:
            res["rate"] = args.messages / (t_all - t0)
        res["gate_ms"] = 1000.0 * (gate1 - gate0) / bl.CLK_TCK / args.messages if gate else 0.0
        res["pf_ms"] = 1000.0 * (pf1 - pf0) / bl.CLK_TCK / args.messages
        sink.stop()  # flushes the dump (stop() again in finally is a no-op)
        tagged = count_in_file(dump, b"X-Spam-Status:")
        res["tagged"] = tagged
        want_tagged = 0
        if variant == "milter" and "add_header" in args.policy:
            want_tagged = args.messages
        ar = count_in_file(dump, b"Authentication-Results:")
        want_ar = {"plain": 0, "opendkim": args.messages}.get(variant)  # None: not checked
        log = pf.maillog()
        milter_warnings = len(re.findall(r"warning: milter", log))
        why = []
        if rc != 0:
            why.append("smtp-source rc=%s: %s" % (
                rc, open(errpath, "rb").read()[-200:].decode("utf-8", "replace")))
        if got != args.messages:
            why.append("sink received %d of %d" % (got, args.messages))
        if not queue_empty:
            why.append("queue not empty: %d" % len(pf.queue_ids()))
        if tagged != want_tagged:
            why.append("X-Spam-Status in %d messages, want %d" % (tagged, want_tagged))
        if want_ar is not None and ar != want_ar:
            why.append("Authentication-Results in %d messages, want %d" % (ar, want_ar))
        if milter_warnings:
            why.append("%d milter warnings in the maillog" % milter_warnings)
        if gate and not gate.alive():
            why.append("%s died: %s" % (LABEL[variant], gate.stderr_text()[-300:]))
        res["ok"] = not why
        res["why"] = "; ".join(why)
    except Exception as e:  # a failed run is reported, the others still count
        res["why"] = "%s: %s" % (type(e).__name__, str(e)[-400:])
    finally:
        if pf:
            try:
                pf.stop()
            except PostfixError as e:
                res["ok"] = False
                res["why"] += " stop: %s" % e
        if gate:
            gate.stop()
        if sink:
            sink.stop()
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)
    return res


def peer_table(runs, modes, variants):
    """One row per (mode, milter), each against the same plain runs; Postfix CPU split into
    cleanup and smtpd (the two processes that talk to a milter) and the whole instance."""
    print("\n| mode | milter | plain msg/s | milter msg/s | milter/plain (pairs) | accept msg/s "
          "plain / milter | milter CPU ms/msg | cleanup ms/msg plain / milter | smtpd ms/msg "
          "plain / milter | Postfix CPU ms/msg plain / milter |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for mode in modes:
        name = "one msg per connection" if mode == "conn" else "persistent (-d)"
        ok = {v: {r["rep"]: r for r in runs if r["mode"] == mode and r["variant"] == v
                  and r["ok"]} for v in variants}
        p = ok["plain"]
        for v in variants[1:]:
            m = ok[v]
            if not p or not m:
                print("| %s | %s | INVALID | | | | | | | |" % (name, LABEL[v]))
                verdicts.append("%s %s: no valid pair" % (mode, LABEL[v]))
                continue

            def med(rs, key, proc=None):
                if proc:
                    return bl.median([r["pf_by"].get(proc, 0.0) for r in rs.values()])
                return bl.median([r[key] for r in rs.values()])
            pr, mr = med(p, "rate"), med(m, "rate")
            pairs = ", ".join("%.2f" % (m[k]["rate"] / p[k]["rate"]) for k in sorted(p) if k in m)
            print("| %s | %s | %.0f | %.0f | **%.2f** (%s) | %.0f / %.0f | %.3f | %.2f / %.2f | "
                  "%.2f / %.2f | %.3f / %.3f |" % (
                      name, LABEL[v], pr, mr, mr / pr, pairs, med(p, "accept"), med(m, "accept"),
                      med(m, "gate_ms"), med(p, None, "cleanup"), med(m, None, "cleanup"),
                      med(p, None, "smtpd"), med(m, None, "smtpd"), med(p, "pf_ms"),
                      med(m, "pf_ms")))
            verdicts.append("target milter/plain >= %.2f (%s, %s): %s" % (
                TARGET, mode, LABEL[v], "met" if mr / pr >= TARGET else "MISSED"))
        if "milter" in variants and "opendkim" in variants and ok["milter"] and ok["opendkim"]:
            m, o = ok["milter"], ok["opendkim"]
            pairs = ", ".join("%.2f" % (m[k]["rate"] / o[k]["rate"]) for k in sorted(m) if k in o)
            verdicts.append("portcullis/opendkim msg/s (%s): %.2f (pairs %s)" % (
                mode, bl.median([r["rate"] for r in m.values()]) /
                bl.median([r["rate"] for r in o.values()]), pairs))
    return verdicts


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary")
    ap.add_argument("--quick", action="store_true", help="500 messages, 1 rep, conn only")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--modes", default="conn,persist")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="portcullis event-loop threads")
    ap.add_argument("--tmpdir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where each run's Postfix queue lives (default /dev/shm)")
    ap.add_argument("--policy", default="{reject: 50, add_header: 0}",
                    help="the gate's policy (diagnostic: without add_header the milter "
                    "edits nothing)")
    ap.add_argument("--peer", choices=sorted(VARIANTS), default="portcullis",
                    help="the milter(s) measured against plain Postfix: portcullis (default), "
                    "opendkim (verify-only control) or both, alternated in one run")
    ap.add_argument("--opendkim", default=OPENDKIM, help="the opendkim binary")
    ap.add_argument("--run-timeout", type=float, default=120.0)
    ap.add_argument("--keep", action="store_true", help="keep the run directories")
    args = ap.parse_args()
    if args.quick:
        args.messages, args.reps, args.modes = 500, 1, "conn"
    if os.geteuid() != 0:
        sys.exit("needs root (a private Postfix instance)")
    variants = VARIANTS[args.peer]
    binary = bl.find_binary(args.binary) if "milter" in variants else None
    if "opendkim" in variants and not os.access(args.opendkim, os.X_OK):
        sys.exit("%s not found: apt-get install --no-install-recommends opendkim" % args.opendkim)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    version = subprocess.run(["/usr/sbin/postconf", "-dh", "mail_version"],
                             capture_output=True, text=True).stdout.strip()
    print("# milter_overhead: %s" % bl.machine_info())
    print("# binary=%s postfix=%s sessions=%d messages=%d size=%d reps=%d threads=%d "
          "queue_dir_on=%s policy=%s date=%s" % (
              binary, version, args.sessions, args.messages, args.size, args.reps,
              args.threads, args.tmpdir or "/tmp", args.policy, time.strftime("%Y-%m-%d %H:%M:%S %Z")))
    if "opendkim" in variants:
        v = subprocess.run([args.opendkim, "-V"], capture_output=True, text=True, timeout=10)
        print("# peer: %s" % (v.stdout.splitlines() or ["?"])[0].strip())
    modes = args.modes.split(",")
    runs = []
    for mode in modes:
        for rep in range(args.reps):
            order = variants if rep % 2 == 0 else variants[::-1]
            for variant in order:
                r = one_run(args, binary, variant, mode)
                r["rep"] = rep
                runs.append(r)
                print("%-7s %-8s rep=%d deliver msg/s=%6.0f accept msg/s=%6.0f gate_ms=%.3f "
                      "postfix_ms=%.3f recv=%d %s" % (
                          mode, variant, rep, r["rate"], r["accept"], r["gate_ms"],
                          r["pf_ms"], r["received"],
                          "ok" if r["ok"] else "INVALID: " + r["why"]), flush=True)
                print("        postfix ms/msg by process: " + " ".join(
                    "%s=%.2f" % kv for kv in sorted(r["pf_by"].items(), key=lambda kv: -kv[1])
                    if abs(kv[1]) >= 0.005), flush=True)
    failed = any(not r["ok"] for r in runs)
    if args.peer != "portcullis":
        verdicts = peer_table(runs, modes, variants)
        print("\n".join(verdicts))
        if failed:
            print("some runs were INVALID (see above); medians use the valid ones only")
        return 1 if failed else 0
    print("\n| mode | plain msg/s | milter msg/s | milter/plain (pairs) | accept msg/s plain / "
          "milter | portcullis CPU ms/msg | Postfix CPU ms/msg plain / milter |")
    print("|---|---|---|---|---|---|---|")
    verdicts = []
    for mode in modes:
        p = {r["rep"]: r for r in runs if r["mode"] == mode and r["variant"] == "plain" and r["ok"]}
        m = {r["rep"]: r for r in runs if r["mode"] == mode and r["variant"] == "milter" and r["ok"]}
        name = "one msg per connection" if mode == "conn" else "persistent (-d)"
        if not p or not m:
            print("| %s | INVALID | | | | | |" % name)
            verdicts.append("%s: no valid pair" % mode)
            continue
        pr = bl.median([r["rate"] for r in p.values()])
        mr = bl.median([r["rate"] for r in m.values()])
        pairs = ", ".join("%.2f" % (m[k]["rate"] / p[k]["rate"]) for k in sorted(p) if k in m)
        print("| %s | %.0f | %.0f | **%.2f** (%s) | %.0f / %.0f | %.3f | %.3f / %.3f |" % (
            name, pr, mr, mr / pr, pairs,
            bl.median([r["accept"] for r in p.values()]),
            bl.median([r["accept"] for r in m.values()]),
            bl.median([r["gate_ms"] for r in m.values()]),
            bl.median([r["pf_ms"] for r in p.values()]),
            bl.median([r["pf_ms"] for r in m.values()])))
        verdicts.append("target milter/plain >= %.2f (%s): %s" % (
            TARGET, mode, "met" if mr / pr >= TARGET else "MISSED"))
    print("\n".join(verdicts))
    if failed:
        print("some runs were INVALID (see above); medians use the valid ones only")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
