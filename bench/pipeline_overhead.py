#!/usr/bin/env python3
"""Filter overhead: smtp-source -> portcullis -> smtp-sink with no filters (part 1's bare
proxy) versus the same with filters on, side by side in one run, alternated, medians.

--filters pipeline (default): access lists with realistic list sizes, HELO checks, and a
  policy that adds headers to every message (so the header rewrite runs too).
  Target: >= 0.95x bare.
--filters antivirus: in-process ClamAV (libclamav) with the shipped demo signatures
  (deploy/clamav) scanning every message. Target: >= 0.7x bare at 4 KiB.
--filters auth: SPF, DKIM and DMARC on every message, DNS from a dnsmasq on loopback (so
  the cache is warm after the first message, as for a sender that writes often): each
  message (bare and auth alike, sent with smtp-source -F) is a --size body signed with a
  2048-bit RSA key by dkimpy, From aligned with the signature and the SPF-passing envelope
  domain, whose DMARC policy is p=reject. Target: >= 0.8x bare.

  /usr/bin/python3 bench/pipeline_overhead.py                       # 4 KiB, both modes
  /usr/bin/python3 bench/pipeline_overhead.py --filters antivirus --size 4096
  /usr/bin/python3 bench/pipeline_overhead.py --filters antivirus --size 1048576 --messages 1000
  /usr/bin/python3 bench/pipeline_overhead.py --filters auth
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

TARGETS = {"pipeline": 0.95, "antivirus": 0.7, "auth": 0.8}
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


class AuthWorld:
    """dnsmasq with the SPF, DKIM key and DMARC records of client.test, and the signed
    message file both variants send."""

    def __init__(self, size):
        import base64
        import subprocess
        import dkim  # Debian python3-dkim (seen by /usr/bin/python3)
        self.dir = bl.workdir("pcauth-")
        key_pem = subprocess.run(["openssl", "genrsa", "2048"], check=True,
                                 capture_output=True).stdout
        public_der = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"],
                                    input=key_pem, check=True, capture_output=True).stdout
        body = b"".join(b"line %05d of the benchmark message, signed once by dkimpy.\r\n" % i
                        for i in range(max(1, size // 60)))
        message = (b"From: Sender <sender@client.test>\r\nTo: user@example.org\r\n"
                   b"Subject: auth benchmark\r\nMessage-ID: <bench@client.test>\r\n\r\n" + body)
        signature = dkim.sign(message, b"bench", b"client.test", key_pem,
                              canonicalize=(b"relaxed", b"relaxed"),
                              include_headers=[b"from", b"to", b"subject", b"message-id"])
        # smtp-source -F sends each line with CRLF: the file has LF line ends.
        self.message_file = os.path.join(self.dir, "signed.eml")
        with open(self.message_file, "wb") as f:
            f.write((signature + message).replace(b"\r\n", b"\n"))
        self.dns_port = bl.free_port()
        key_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(public_der).decode()
        conf = os.path.join(self.dir, "dnsmasq.conf")
        with open(conf, "w") as f:
            f.write('txt-record=client.test,"v=spf1 ip4:127.0.0.1 -all"\n')
            f.write('txt-record=_dmarc.client.test,"v=DMARC1; p=reject"\n')
            # Strings of at most 255 octets, joined by the resolver.
            chunks = ",".join('"%s"' % key_record[i:i + 250]
                              for i in range(0, len(key_record), 250))
            f.write("txt-record=bench._domainkey.client.test,%s\n" % chunks)
        argv = ["dnsmasq", "--keep-in-foreground", "--conf-file=" + conf, "--pid-file=",
                "--port=%d" % self.dns_port, "--listen-address=127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--local=/test/", "--local-ttl=3600",
                "--log-facility=/dev/null"]
        if os.geteuid() == 0:
            argv.append("--user=root")
        self.dns = bl.Proc(argv, os.path.join(self.dir, "dnsmasq.out"),
                           os.path.join(self.dir, "dnsmasq.err"))
        time.sleep(0.3)

    def yaml(self, _workdir):
        return """dns: {servers: ["127.0.0.1:%d"], timeout: 2s, attempts: 2}
filters:
  spf: {}
  dkim: {}
  dmarc: {}
""" % self.dns_port

    def check(self, binary):
        """The benchmark measures passing checks, not failures: scan the message once."""
        import json
        import subprocess
        cfg = os.path.join(self.dir, "scan.yaml")
        bl.write_config(cfg, bl.free_port(), bl.free_port(), extra_yaml=self.yaml(self.dir))
        with open(self.message_file, "rb") as f:
            crlf = f.read().replace(b"\n", b"\r\n")
        path = os.path.join(self.dir, "check.eml")
        with open(path, "wb") as f:
            f.write(crlf)
        out = subprocess.run([binary, "scan", "--config", cfg, "--client-ip", "127.0.0.1",
                              "--helo", "client.test", "--mail-from", "sender@client.test",
                              "--rcpt", "user@example.org", "--json", path],
                             capture_output=True, check=True).stdout
        auth = json.loads(out)["auth"]
        results = (auth["spf"]["result"], [d["result"] for d in auth["dkim"]],
                   auth["dmarc"]["result"])
        print("# auth results of the benchmark message: spf=%s dkim=%s dmarc=%s" % results)
        if results != ("pass", ["pass"], "pass"):
            raise SystemExit("the benchmark message does not pass SPF/DKIM/DMARC: %s" % out)

    def close(self):
        self.dns.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def one_run(args, binary, variant, mode, world=None):
    wd = bl.workdir("pcpipe-")
    sink = gate = None
    res = {"variant": variant, "mode": mode}
    try:
        sink_port = bl.free_port()
        sink = bl.Sink(wd, sink_port)
        bl.wait_port(sink_port)
        gate_port = bl.free_port()
        extra = {"pipeline": pipeline_yaml, "antivirus": antivirus_yaml,
                 "auth": world.yaml if world else None, "bare": lambda _: ""}[variant](wd)
        gate = bl.Gate(binary, wd, gate_port, sink_port, threads=args.threads, extra_yaml=extra)
        bl.wait_port(gate_port)
        time.sleep(0.3)
        gate0 = sum(bl.cpu_split(gate.pid))
        argv = [bl.SMTP_SOURCE] + (["-d"] if mode == "persist" else [])
        argv += ["-s", str(args.sessions), "-m", str(args.messages),
                 "-M", "client.test", "-f", "sender@client.test", "-t", "user@example.org"]
        # The signed message file has the --size body (-l and -F exclude each other).
        argv += ["-F", world.message_file] if world else ["-l", str(args.size)]
        argv.append("127.0.0.1:%d" % gate_port)
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
    world = AuthWorld(args.size) if args.filters == "auth" else None
    if world:
        world.check(binary)
    for mode in args.modes.split(","):
        for rep in range(args.reps):
            for variant in ("bare", args.filters):
                r = one_run(args, binary, variant, mode, world)
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
    if world:
        world.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
