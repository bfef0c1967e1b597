"""Shared helpers for the portcullis end-to-end benchmarks (bench/*.sh, bench/*.py).

Everything runs on loopback (127.0.0.0/8 only): Postfix's smtp-sink as the backend MTA,
the portcullis binary under test, and clients (smtp-source or the scripts' own sockets).
Each helper stops only the processes it started, by PID. Every wait has a deadline.
"""

import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
DEFAULT_BIN = os.path.join(SOURCE, "build-rel", "portcullis")
BUILD_HINT = ("cmake -S %s -B %s/build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release "
              "-DPORTCULLIS_TESTS=OFF && cmake --build %s/build-rel -j2 --target portcullis"
              % (SOURCE, SOURCE, SOURCE))
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def find_binary(path):
    path = path or os.environ.get("PORTCULLIS_BIN") or DEFAULT_BIN
    if not os.access(path, os.X_OK):
        sys.exit("portcullis binary not found at %s; build it with:\n  %s\n"
                 "or pass --binary PATH / set PORTCULLIS_BIN" % (path, BUILD_HINT))
    return os.path.abspath(path)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, seconds=15.0, host="127.0.0.1"):
    end = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection((host, port), timeout=1) as s:
                s.settimeout(2)
                try:
                    s.recv(512)  # the greeting; then close (counts as one short session)
                except OSError:
                    pass
                return
        except OSError:
            if time.monotonic() > end:
                raise RuntimeError("nothing listens on %s:%d after %.0fs" % (host, port, seconds))
            time.sleep(0.05)


# --- /proc accounting --------------------------------------------------------------------

def cpu_ticks(pid):
    """utime+stime of a whole process (all threads), in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    return int(fields[11]) + int(fields[12])


def cpu_split(pid):
    """(utime, stime) of a whole process, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[11]), int(fields[12])


def cpu_seconds(pid):
    return cpu_ticks(pid) / CLK_TCK


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def status_kb(pid, key):
    v = proc_status(pid).get(key, "0 kB")
    return int(v.split()[0])


def nofile_limits(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                parts = line.split()
                return int(parts[3]), int(parts[4])
    return None


def machine_info():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = open("/proc/loadavg").read().split()[:3]
    return "nproc=%d, CPU=%s, kernel=%s, loadavg(1/5/15m) at start=%s" % (
        os.cpu_count(), model, platform.release(), "/".join(load))


# --- processes ---------------------------------------------------------------------------

class Proc:
    """A child process we own; stopped by PID only."""

    def __init__(self, argv, stdout_path, stderr_path, **kw):
        self.argv = argv
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path
        self._out = open(stdout_path, "wb")
        self._err = open(stderr_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self._out, stderr=self._err,
                                  stdin=subprocess.DEVNULL, **kw)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self, seconds=10.0):
        if self.p.poll() is None:
            try:
                self.p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=5)
        self._out.close()
        self._err.close()
        return self.p.returncode

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


class Sink(Proc):
    """smtp-sink with running counters (-c) on stdout; mesg=N is what it received."""

    def __init__(self, workdir, port, extra=(), tag="sink"):
        argv = [SMTP_SINK]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += ["-c", "-h", "sink.test", "-m", "1024"] + list(extra)
        argv += ["127.0.0.1:%d" % port, "1024"]
        super().__init__(argv, os.path.join(workdir, tag + ".out"),
                         os.path.join(workdir, tag + ".err"))
        self.port = port

    _re = re.compile(rb"mesg=(\d+)")

    def messages(self):
        try:
            with open(self.stdout_path, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - 256))
                tail = f.read()
        except OSError:
            return 0
        m = self._re.findall(tail)
        return int(m[-1]) if m else 0

    def wait_messages(self, n, seconds=10.0):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            got = self.messages()
            if got >= n:
                return got
            time.sleep(0.05)
        return self.messages()


def write_config(path, listen_port, backend_port, threads=2, extra_limits="", extra_yaml=""):
    text = """hostname: gate.test
listeners: [{name: bench, address: "127.0.0.1:%d"}]
backend: {address: "127.0.0.1:%d"}
relay_domains: [example.org]
trusted_networks: [127.0.0.0/8]
limits: {max_connections: 20000, max_connections_per_ip: 20000, max_message_size: 50MiB%s}
log: {level: warn}
threads: %d
""" % (listen_port, backend_port, extra_limits, threads)
    with open(path, "w") as f:
        f.write(text + extra_yaml)


class Gate(Proc):
    def __init__(self, binary, workdir, listen_port, backend_port, threads=2, wrapper=(),
                 tag="portcullis", extra_limits="", extra_yaml="", **kw):
        cfg = os.path.join(workdir, tag + ".yaml")
        write_config(cfg, listen_port, backend_port, threads, extra_limits, extra_yaml)
        super().__init__(list(wrapper) + [binary, "--config", cfg],
                         os.path.join(workdir, tag + ".out"),
                         os.path.join(workdir, tag + ".err"), **kw)
        self.port = listen_port


def workdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return float("nan")
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def percentile(xs, p):
    """Nearest-rank percentile of a list (p in 0..100)."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]
