#!/usr/bin/python3
"""Content rules (issue 6): portcullis' compiled SpamAssassin rules vs spamd on the same messages.

1. Converts Debian's SpamAssassin rules to our YAML at run time (`portcullis rules import-sa
   /usr/share/spamassassin --output TMP`), unless --sa-rules names an existing conversion.
2. Starts spamd (Debian's `spamd` package) on a free loopback port: local tests only (-L), no
   Bayes, no auto-learning, no user config, one child (--max-children 1), its default rule set
   (/usr/share/spamassassin plus /etc/spamassassin). Speaks the SPAMD protocol itself
   (`SYMBOLS SPAMC/1.5`), so no spamc process is paid for; every corpus message, several
   rounds after one warm-up round; spamd's CPU is utime+stime of its whole process tree
   (parent, live children, reaped children) from /proc, before and after each round.
3. Runs `bench_rules_scan` with the imported rules over the very same message files and takes
   its `scan` figure (MIME parse + all rules, one thread, CPU time).
4. Prints messages per CPU second for both and the ratio (target >= 50x), plus how far the two
   agree on the symbols hit (for rules both have).

Stops spamd by PID. Every wait is bounded. Standard library only.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

SPAMD = "/usr/sbin/spamd"
SA_RULES = "/usr/share/spamassassin"
DEFAULT_BUILD = os.path.join(SOURCE, "build-bench")
BUILD_HINT = ("cmake -S %s -B %s/build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release "
              "-DPORTCULLIS_BENCH=ON -DPORTCULLIS_TESTS=OFF && cmake --build %s/build-bench "
              "-j2 --target bench_rules_scan portcullis" % (SOURCE, SOURCE, SOURCE))
SKIP_EXT = (".md", ".json", ".yaml", ".yml", ".py", ".pl", ".sh", ".cf", ".pre", ".tsv")


# --- corpus (the same discovery as bench_rules_scan's default) ------------------------------

def message_files(paths):
    out = []
    if not paths:
        corpus = os.path.join(SOURCE, "bench", "corpus", "sa")
        if os.path.isdir(corpus) and os.listdir(corpus):
            return message_files([corpus])
        out += sorted(walk("/work/shared/testdata", only_eml=True))
        for f in ("/usr/share/doc/spamassassin/examples/sample-nonspam.txt",
                  "/usr/share/doc/spamassassin/examples/sample-spam.txt"):
            if os.path.isfile(f):
                out.append(f)
        tests = os.path.join(SOURCE, "tests", "rules", "default", "messages")
        if os.path.isdir(tests):
            out += sorted(walk(tests))
        return out
    for p in paths:
        if os.path.isdir(p):
            out += sorted(walk(p))
            out += external(p)
        elif os.path.isfile(p):
            out.append(p)
        else:
            print("warning: %s: no such file or directory" % p, file=sys.stderr)
    return out


def external(root):
    """Files listed in a corpus's EXTERNAL.txt files (bench/corpus/sa/): one path a line, '#'
    comments, relative paths from the repository root (bench_rules_scan reads them alike)."""
    out = []
    for dirpath, _, names in sorted(os.walk(root)):
        if "EXTERNAL.txt" not in names:
            continue
        listing = os.path.join(dirpath, "EXTERNAL.txt")
        with open(listing) as f:
            for line in f:
                line = line.rstrip("\r\n ")
                if not line or line.startswith("#"):
                    continue
                path = os.path.normpath(os.path.join(SOURCE, line))
                if os.path.isfile(path):
                    out.append(path)
                else:
                    print("warning: %s: listed in %s, missing" % (path, listing),
                          file=sys.stderr)
    return out


def walk(root, only_eml=False):
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if not os.path.isfile(p) or os.path.getsize(p) == 0:
                continue
            if only_eml:
                if n.endswith(".eml"):
                    yield p
            elif n == "EXTERNAL.txt":
                continue  # read by message_files()
            elif not (n.startswith(".") or n.startswith("README") or n.startswith("SOURCES")
                      or n.endswith(SKIP_EXT)):
                yield p


def crlf(data):
    # As SMTP delivers it (and as bench_rules_scan reads it): bare LF -> CRLF.
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


# --- spamd ------------------------------------------------------------------------------

def proc_children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(d))
    return kids


def stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    return data[data.rindex(")") + 2:].split()


def tree_cpu_seconds(pid):
    """utime+stime of spamd's parent and live children, plus cutime+cstime of the parent (its
    reaped children), in seconds."""
    f = stat_fields(pid)
    ticks = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    for kid in proc_children(pid):
        try:
            k = stat_fields(kid)
            ticks += int(k[11]) + int(k[12]) + int(k[13]) + int(k[14])
        except (OSError, ValueError, IndexError):
            pass
    return ticks / benchlib.CLK_TCK


def spamd_request(port, verb, body=b"", timeout=120.0):
    """One SPAMD request; returns (status line, headers dict, body)."""
    head = "%s SPAMC/1.5\r\n" % verb
    if verb not in ("PING",):
        head += "Content-length: %d\r\nUser: nobody\r\n" % len(body)
    data = head.encode() + b"\r\n" + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError("spamd reply timed out")
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    reply = b"".join(chunks)
    header, _, rest = reply.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return lines[0], headers, rest


class Spamd:
    def __init__(self, workdir, port, rules_dir):
        home = os.path.join(workdir, "spamd-home")
        os.makedirs(home, exist_ok=True)
        os.chmod(home, 0o777)
        argv = [SPAMD, "-L", "-x", "--max-children", "1", "--min-children", "1",
                "--min-spare", "1", "--max-spare", "1", "--max-conn-per-child", "1000000",
                "-i", "127.0.0.1", "-p", str(port), "-A", "127.0.0.1",
                "--syslog=stderr", "-H", home,
                "-C", rules_dir,
                "--cf=use_bayes 0", "--cf=bayes_auto_learn 0"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        self.proc = benchlib.Proc(argv, os.path.join(workdir, "spamd.out"),
                                  os.path.join(workdir, "spamd.err"))
        self.port = port

    def wait_ready(self, seconds=120.0):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.proc.alive():
                raise RuntimeError("spamd exited:\n" + self.proc.stderr_text()[-3000:])
            try:
                status, _, _ = spamd_request(self.port, "PING", timeout=5)
                if "PONG" in status:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("spamd not ready after %.0fs:\n%s"
                           % (seconds, self.proc.stderr_text()[-3000:]))

    def stop(self):
        return self.proc.stop(seconds=15)


# --- main -------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("messages", nargs="*",
                    help="message files or dirs (default: bench/corpus/sa/, else the shared "
                         "test messages + SpamAssassin's samples)")
    ap.add_argument("--build", default=DEFAULT_BUILD,
                    help="build dir with portcullis and bench_rules_scan (default build-bench)")
    ap.add_argument("--portcullis", help="the binary that runs import-sa (default BUILD/portcullis;"
                                         " any build type converts alike)")
    ap.add_argument("--sa-rules", help="already converted rules (default: convert into /tmp)")
    ap.add_argument("--rounds", type=int, default=3, help="spamd rounds after the warm-up")
    ap.add_argument("--scan-rounds", type=int, default=7, help="bench_rules_scan --rounds")
    ap.add_argument("--scaling", action="store_true",
                    help="let bench_rules_scan also measure 100 / 1,000 / all")
    ap.add_argument("--quick", action="store_true", help="1 spamd round, 3 scan rounds")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.scan_rounds = 1, 3

    portcullis = args.portcullis or os.path.join(args.build, "portcullis")
    bench = os.path.join(args.build, "bench_rules_scan")
    for b in (bench,) + (() if args.sa_rules else (portcullis,)):
        if not os.access(b, os.X_OK):
            sys.exit("%s not found; build with:\n  %s" % (b, BUILD_HINT))
    if not os.access(SPAMD, os.X_OK):
        sys.exit("%s not found: apt-get install spamd" % SPAMD)

    files = message_files(args.messages)
    if not files:
        sys.exit("no messages")
    msgs = []
    for p in files:
        with open(p, "rb") as f:
            msgs.append((p, crlf(f.read())))
    total_bytes = sum(len(m) for _, m in msgs)

    work = tempfile.mkdtemp(prefix="rules_vs_spamd.")
    os.chmod(work, 0o755)
    spamd = None
    try:
        print(benchlib.machine_info())
        print("messages: %d, %.1f KiB" % (len(msgs), total_bytes / 1024))

        # 1. Convert.
        rules = args.sa_rules
        if not rules:
            rules = os.path.join(work, "sa-yaml")
            t0 = time.monotonic()
            r = subprocess.run([portcullis, "rules", "import-sa", SA_RULES, "--output", rules],
                               capture_output=True, text=True, timeout=600)
            print("import-sa: exit %d in %.1fs; %s" % (
                r.returncode, time.monotonic() - t0,
                (r.stdout.strip().splitlines() or [""])[-1][:300]))
            if r.returncode != 0 and not os.path.isdir(rules):
                sys.exit("import-sa failed:\n" + r.stderr[-3000:])

        # 2. spamd.
        port = benchlib.free_port()
        t0 = time.monotonic()
        spamd = Spamd(work, port, SA_RULES)
        spamd.wait_ready()
        print("spamd %d ready on 127.0.0.1:%d after %.1fs" % (spamd.proc.pid, port,
                                                               time.monotonic() - t0))
        symbols = {}

        def one_round(record):
            for path, body in msgs:
                status, headers, rest = spamd_request(spamd.port, "SYMBOLS", body)
                if " 0 EX_OK" not in status:
                    raise RuntimeError("spamd: %s for %s" % (status, path))
                if record:
                    symbols[path] = set(s for s in rest.decode("latin-1").strip().split(",")
                                        if s)

        one_round(True)  # warm-up (and the symbols for the agreement check)
        samples = []
        for _ in range(args.rounds):
            c0, w0 = tree_cpu_seconds(spamd.proc.pid), time.monotonic()
            one_round(False)
            c1, w1 = tree_cpu_seconds(spamd.proc.pid), time.monotonic()
            samples.append((c1 - c0, w1 - w0))
        spamd_cpu = sorted(s[0] for s in samples)[len(samples) // 2]
        spamd_wall = sorted(s[1] for s in samples)[len(samples) // 2]
        spamd_msg_per_cpu_s = len(msgs) / spamd_cpu if spamd_cpu > 0 else 0
        print("spamd: per round %s CPU s (median %.2f, %.1f ms CPU/msg, %.1f msg per CPU s), "
              "wall %.2fs" % ([round(s[0], 2) for s in samples], spamd_cpu,
                              1e3 * spamd_cpu / len(msgs), spamd_msg_per_cpu_s, spamd_wall))
        spamd.stop()
        spamd = None

        # 3. bench_rules_scan over the same files.
        listing = os.path.join(work, "messages.txt")
        with open(listing, "w") as f:
            f.write("\n".join(p for p, _ in msgs) + "\n")
        hits_path = os.path.join(work, "hits.tsv")
        argv = [bench, "--rules", rules, "--label", "spamassassin-imported",
                "--messages-from", listing, "--rounds", str(args.scan_rounds),
                "--hits-out", hits_path]
        if not args.scaling:
            argv.append("--no-scaling")
        r = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
        sys.stdout.write(r.stdout)
        if r.returncode not in (0, 3):
            sys.exit("bench_rules_scan failed (exit %d):\n%s" % (r.returncode, r.stderr[-3000:]))
        if r.returncode == 3:
            print("NOTE: bench_rules_scan found engine/PCRE2 mismatches (see MISMATCH lines)")
        js = [l for l in r.stdout.splitlines() if l.startswith("JSON ")]
        result = json.loads(js[-1][5:])
        ours = result["scan"]["msg_per_s_per_core"]
        ratio = ours / spamd_msg_per_cpu_s if spamd_msg_per_cpu_s else 0

        # 4. Agreement on symbols (rules both have; sub-rules never reported by either).
        ids = set()
        for dirpath, _, names in os.walk(rules):
            for n in names:
                if n.endswith(".yaml"):
                    with open(os.path.join(dirpath, n), encoding="utf-8", errors="replace") as f:
                        ids.update(re.findall(r"^- id: *['\"]?([A-Za-z0-9_]+)", f.read(), re.M))
        ours_hits = {}
        with open(hits_path) as f:
            for line in f:
                path, _, hit = line.rstrip("\n").partition("\t")
                ours_hits[path] = set(h for h in hit.split(",") if h)
        both = only_sa = only_ours = 0
        diff_sa, diff_ours = {}, {}
        for path in symbols:
            sa = set(s for s in symbols[path] if s in ids)
            us = ours_hits.get(path, set())
            both += len(sa & us)
            only_sa += len(sa - us)
            only_ours += len(us - sa)
            for s in sa - us:
                diff_sa[s] = diff_sa.get(s, 0) + 1
            for s in us - sa:
                diff_ours[s] = diff_ours.get(s, 0) + 1
        sa_all = sum(len(v) for v in symbols.values())
        print("\nsymbols: spamd hit %d in all (%d of rules we imported); both %d, spamd only %d, "
              "portcullis only %d" % (sa_all, both + only_sa, both, only_sa, only_ours))
        if diff_sa:
            print("  spamd only (top): " + ", ".join(
                "%s×%d" % kv for kv in sorted(diff_sa.items(), key=lambda kv: -kv[1])[:12]))
        if diff_ours:
            print("  portcullis only (top): " + ", ".join(
                "%s×%d" % kv for kv in sorted(diff_ours.items(), key=lambda kv: -kv[1])[:12]))

        print("\n%-52s %12s %12s" % ("", "msg/CPU s", "ms CPU/msg"))
        print("%-52s %12.1f %12.2f" % ("spamd -L, one child, Debian rules (SYMBOLS)",
                                       spamd_msg_per_cpu_s, 1e3 * spamd_cpu / len(msgs)))
        print("%-52s %12.1f %12.3f" % ("portcullis RuleSet::scan incl. MIME, imported rules",
                                       ours, result["scan"]["us_per_msg"] / 1e3))
        print("ratio: %.1fx  (target >= 50x: %s)" % (ratio, "met" if ratio >= 50 else "MISSED"))
        out = {"bench": "rules_vs_spamd", "messages": len(msgs), "bytes": total_bytes,
               "spamd_cpu_s_per_round": [round(s[0], 4) for s in samples],
               "spamd_msg_per_cpu_s": round(spamd_msg_per_cpu_s, 3),
               "spamd_ms_cpu_per_msg": round(1e3 * spamd_cpu / len(msgs), 3),
               "portcullis_msg_per_cpu_s": ours, "ratio": round(ratio, 2),
               "rules": result["rules"], "mismatches": result["mismatches"],
               "symbols": {"spamd_all": sa_all, "both": both, "spamd_only": only_sa,
                           "portcullis_only": only_ours}}
        print("JSON " + json.dumps(out, separators=(",", ":")))
    finally:
        if spamd is not None:
            spamd.stop()
        if args.keep:
            print("work dir kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
