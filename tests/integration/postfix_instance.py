"""A private, real Postfix instance for an integration test, on loopback only.

Each PostfixInstance owns a directory below the test's tmpdir with its own configuration
(main.cf, master.cf), queue_directory, data_directory, maillog and virtual mailboxes, so
several instances (ctest -j) and a system Postfix never share anything but the installed
programs. It is started with the stock `postfix -c CONFDIR start` and stopped with
`postfix -c CONFDIR stop`, with a kill by PID as the fallback.

    with PostfixInstance(tmp, relayhost=sink.port) as pf:
        smtplib.SMTP("127.0.0.1", pf.port).sendmail(...)
        pf.wait_delivered(1)            # virtual maildir delivery to <user>@postfix.test
        pf.wait_log(r"status=sent")

What Postfix 3.7 needs for that (found by trying):
  - queue_directory must exist (root-owned, 0755) before `postfix start`; its subdirectories
    and data_directory are then created with the right owners and modes (postfix:postdrop
    for maildrop/public) by the `post-install create-missing` step of `postfix check`,
    which `postfix start` runs. Every directory above it must be searchable by the postfix
    user (make_tempdir makes the test directory 0755).
  - master.cf must not chroot any service (the Debian sample chroots into
    /var/spool/postfix): every service here has chroot = n.
  - maillog_file (postlogd, Postfix 3.4+) needs a `postlog unix-dgram` service in master.cf
    (`postfix check` refuses to start without it) and the file's directory must be listed in
    maillog_file_prefixes (default "/var, /dev/stdout"), else `postfix start` fails with
    "fatal: maillog_file value ... does not match any prefix" (printed only to a terminal:
    postfix() runs the command on a pty so such errors reach the exception).
  - `postfix -c` / `postqueue -c` with a non-default configuration directory work for root
    without alternate_config_directories in /etc/postfix/main.cf (which may not exist).
  - Postfix distrusts a configuration file modified within the last ~2 s and re-reads it
    every 300 ms until it is older: the files are backdated, or each fresh instance
    starts ~2 s slower.
  - The container's PID 1 reaps orphans late: a stopped master can stay a zombie for a
    while, so "gone" means "no such PID or a zombie".
  - A test process killed without stop() (e.g. a ctest timeout) would leave the master
    running: a small watchdog process runs `postfix stop` when the test process dies.
"""

import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import time

from harness import deadline, free_port, read_log, TIME_SCALE

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"

# Virtual mailbox owner: "nobody"/"nogroup" exist on every Debian.
MAILBOX_UID = 65534
MAILBOX_GID = 65534

DOMAIN = "postfix.test"
# Mailboxes of DOMAIN (RCPT to another user of DOMAIN gets 550 unless catchall is set).
USERS = ("alice", "bob", "carol", "postmaster")

# Queue subdirectories that hold messages (hashed one level deep for defer/deferred).
_QUEUE_DIRS = ("maildrop", "incoming", "active", "deferred", "hold")

# master.cf, Postfix 3.7 stock services, none chrooted (chroot would need a copy of /etc
# files inside the private queue directory). The smtpd listener is prepended.
_MASTER_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PostfixError(AssertionError):
    pass


def postfix_available():
    return os.access(POSTFIX, os.X_OK) and os.geteuid() == 0


def _pid_alive(pid):
    """True if pid exists and is not a zombie (nothing here reaps the daemonized master
    promptly, so a dead master may linger as a zombie of PID 1 for a while)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        return False
    # state is the field after the ")" that ends the command name
    state = stat[stat.rfind(")") + 2:].split(" ", 1)[0]
    return state not in ("Z", "X")


def instance_processes(config_dir):
    """PIDs of the live processes of the Postfix instance with this configuration
    directory: those whose environment carries MAIL_CONFIG=config_dir (the postfix command
    exports it; postfix-script, the master and every daemon it spawns inherit it)."""
    want = ("MAIL_CONFIG=" + config_dir).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if want in env and _pid_alive(int(entry)):
            pids.append(int(entry))
    return sorted(pids)


class PostfixInstance:
    """A private Postfix on 127.0.0.1.

    tmpdir        the test's temporary directory; everything goes below tmpdir/name
    smtpd_port    port of the smtpd listener (default: a free one)
    milter        None, a port (-> inet:127.0.0.1:PORT) or a full milter spec; sets
                  smtpd_milters with milter_default_action = tempfail, milter_protocol = 6
    relayhost     None, a port (-> [127.0.0.1]:PORT) or a full relayhost value. Without it,
                  mail for other domains than DOMAIN bounces (no DNS, no real network).
    extra_main    dict of main.cf parameters, applied last (override anything), e.g.
                  {"smtpd_authorized_xclient_hosts": "127.0.0.0/8"}
    extra_master  list of extra master.cf lines (e.g. a second listener or a content filter)
    smtpd_options dict of "-o name=value" for the smtpd listener only
    users         the mailbox users of domain (DOMAIN, "postfix.test"): user@domain is
                  delivered to maildir mailboxes/user/ (owned by nobody)
    catchall      None, or the mailbox that gets any other user@domain
    hostname      myhostname (default mta-PORT.test, unique so that loop detection between
                  two instances works)
    """

    def __init__(self, tmpdir, smtpd_port=None, milter=None, relayhost=None, extra_main=None,
                 extra_master=(), smtpd_options=None, name="postfix", hostname=None,
                 domain=DOMAIN, users=USERS, catchall=None):
        self.root = os.path.join(tmpdir, name)
        self.name = name
        self.port = smtpd_port or free_port()
        self.hostname = hostname or "mta-%d.test" % self.port
        self.domain = domain
        self.users = list(users)
        self.catchall = catchall
        self.config_dir = os.path.join(self.root, "conf")
        self.queue_dir = os.path.join(self.root, "queue")
        self.data_dir = os.path.join(self.root, "data")
        self.mail_dir = os.path.join(self.root, "mailboxes")
        self.log_path = os.path.join(self.root, "maillog")
        if isinstance(milter, int):
            milter = "inet:127.0.0.1:%d" % milter
        if isinstance(relayhost, int):
            relayhost = "[127.0.0.1]:%d" % relayhost
        self.milter = milter
        self.relayhost = relayhost
        self.extra_main = dict(extra_main or {})
        self.extra_master = list(extra_master)
        self.smtpd_options = dict(smtpd_options or {})
        self.master_pid = None
        self.started = False
        self._auto_port = smtpd_port is None
        self._auto_hostname = hostname is None
        self._watchdog = None
        self._watchdog_fd = None
        self.start_output = ""

    # --- configuration -----------------------------------------------------------------

    def main_cf(self):
        """The main.cf parameters as an ordered dict (extra_main last)."""
        p = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            # logging without syslog: postlogd writes this file (needs the postlog service
            # and an allowed prefix)
            "maillog_file": self.log_path,
            "maillog_file_prefixes": "/var, /dev/stdout, " + self.root,
            "myhostname": self.hostname,
            "mydomain": "test",
            "myorigin": "$myhostname",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_banner": "$myhostname ESMTP Postfix",
            "smtputf8_enable": "no",
            "biff": "no",
            "append_dot_mydomain": "no",
            # nothing is delivered locally: the test domain is a virtual mailbox domain
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "local_transport": "error:local delivery is disabled in this test instance",
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_base": self.mail_dir,
            "virtual_mailbox_maps": "texthash:" + os.path.join(self.config_dir, "vmailbox"),
            "virtual_uid_maps": "static:%d" % MAILBOX_UID,
            "virtual_gid_maps": "static:%d" % MAILBOX_GID,
            # no DNS, no TLS, no real network
            "smtp_dns_support_level": "disabled",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            # fast tests
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "in_flow_delay": "0s",
            "smtpd_error_sleep_time": "0s",
            "smtpd_timeout": "20s",
            "smtp_connect_timeout": "2s",
            "smtp_helo_timeout": "10s",
            "smtp_data_done_timeout": "20s",
            "milter_connect_timeout": "3s",
            "milter_command_timeout": "10s",
            "milter_content_timeout": "20s",
            "delay_warning_time": "0h",
        }
        if self.relayhost:
            p["relayhost"] = self.relayhost
        else:
            p["default_transport"] = "error:no relayhost in this test instance"
        if self.milter:
            p["smtpd_milters"] = self.milter
            p["milter_default_action"] = "tempfail"
            p["milter_protocol"] = "6"
        p.update(self.extra_main)
        return p

    def master_cf(self):
        opts = "".join("\n  -o %s=%s" % (k, v) for k, v in self.smtpd_options.items())
        lines = ["127.0.0.1:%d inet n - n - - smtpd%s" % (self.port, opts)]
        lines.append(_MASTER_SERVICES.rstrip("\n"))
        lines += self.extra_master
        return "\n".join(lines) + "\n"

    def write_config(self):
        os.makedirs(self.config_dir, exist_ok=True)
        os.chmod(self.root, 0o755)
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            for k, v in self.main_cf().items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(self.master_cf())
        # user@DOMAIN -> maildir user/ (regexp substitution is not allowed in
        # virtual_mailbox_maps, so the users are listed; "@DOMAIN" is the catch-all)
        with open(os.path.join(self.config_dir, "vmailbox"), "w") as f:
            for user in self.users:
                if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", user):
                    raise ValueError("bad mailbox user name %r" % user)
                f.write("%s@%s %s/\n" % (user, self.domain, user))
            if self.catchall:
                f.write("@%s %s/\n" % (self.domain, self.catchall))
        # Postfix does not trust a configuration file modified within the last second or
        # two (an editor may still be writing it): it re-reads it every 300 ms until it is
        # old enough, which makes every postconf/postfix call of a fresh instance ~2 s
        # slower. Backdate the files.
        past = time.time() - 60
        for name in ("main.cf", "master.cf", "vmailbox"):
            os.utime(os.path.join(self.config_dir, name), (past, past))

    def _prepare_dirs(self):
        # The queue directory must exist and be root-owned 0755; `postfix start` (its
        # check step) creates the subdirectories and data_directory with the right owners.
        os.makedirs(self.queue_dir, exist_ok=True)
        os.chown(self.queue_dir, 0, 0)
        os.chmod(self.queue_dir, 0o755)
        os.makedirs(self.mail_dir, exist_ok=True)
        os.chown(self.mail_dir, MAILBOX_UID, MAILBOX_GID)
        os.chmod(self.mail_dir, 0o755)

    # --- commands -----------------------------------------------------------------------

    def postfix(self, *args, seconds=60, check=True):
        """Runs `postfix -c CONFDIR args...` on a pseudo-terminal; returns (rc, output).

        Postfix commands print their messages to stderr only when it is a terminal (else
        only to the maillog, and a fatal error about the maillog itself, e.g. a path
        outside maillog_file_prefixes, would be seen nowhere)."""
        cmd = [POSTFIX, "-c", self.config_dir] + list(args)
        master_fd, slave_fd = pty.openpty()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave_fd,
                                    stderr=slave_fd, start_new_session=True)
        finally:
            os.close(slave_fd)
        out = b""
        end = deadline(seconds)
        try:
            while True:
                # Stop at EOF/EIO, or once the command exited and nothing more comes (a
                # daemon it started might keep the terminal open).
                ready, _, _ = select.select([master_fd], [], [], 0.1)
                if ready:
                    try:
                        chunk = os.read(master_fd, 65536)
                    except OSError:  # EIO: every writer closed the terminal
                        chunk = b""
                    if not chunk:
                        break
                    out += chunk
                elif proc.poll() is not None:
                    break
                if time.monotonic() > end:
                    proc.kill()
                    proc.wait(timeout=10)
                    raise PostfixError("%s timed out after %ss: %r\n%s" %
                                       (" ".join(cmd), seconds, out, self.log_tail()))
            rc = proc.wait(timeout=max(1.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            raise PostfixError("%s did not exit within %ss: %r\n%s" %
                               (" ".join(cmd), seconds, out, self.log_tail()))
        finally:
            os.close(master_fd)
        text = out.decode("utf-8", "replace").replace("\r\n", "\n")
        if check and rc != 0:
            raise PostfixError("%s failed (rc %d): %s\n%s" %
                               (" ".join(cmd), rc, text.strip(), self.log_tail()))
        return rc, text

    def postconf(self, *args):
        return self._run(["/usr/sbin/postconf", "-c", self.config_dir] + list(args), 30,
                         True)[1]

    def _run(self, cmd, seconds, check):
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=seconds * TIME_SCALE)
        except subprocess.TimeoutExpired as e:
            raise PostfixError("%s timed out after %ss: %r\n%s" %
                               (" ".join(cmd), seconds, e.output, self.log_tail()))
        out = r.stdout.decode("utf-8", "replace")
        if check and r.returncode != 0:
            raise PostfixError("%s failed (rc %d): %s\n%s" %
                               (" ".join(cmd), r.returncode, out.strip(), self.log_tail()))
        return r.returncode, out

    # --- lifecycle ----------------------------------------------------------------------

    def start(self, seconds=30):
        """Writes the configuration, runs `postfix -c CONFDIR start` and waits for the 220
        greeting of the smtpd listener. On failure everything is stopped and PostfixError
        carries the command output and the maillog tail. A free port taken by someone else
        between free_port() and the bind is retried with another port (unless the port was
        given)."""
        if not os.access(POSTFIX, os.X_OK):
            raise PostfixError("%s is not installed (Debian package postfix)" % POSTFIX)
        for attempt in range(3):
            self.write_config()
            self._prepare_dirs()
            since = self.log_offset()
            self.started = True  # from here on stop() has something to clean up
            self._start_watchdog()
            try:
                _, self.start_output = self.postfix("start", seconds=seconds)
                self.master_pid = self._read_master_pid()
                self._wait_greeting(seconds)
                return self
            except BaseException:
                try:
                    self.stop()
                except Exception:
                    pass
                if (self._auto_port and attempt < 2
                        and "Address already in use" in self.maillog()[since:]):
                    self.port = free_port()
                    if self._auto_hostname:
                        self.hostname = "mta-%d.test" % self.port
                    continue
                raise

    def _start_watchdog(self):
        """A detached `sh` that holds the read end of a pipe whose write end only this
        process has: if the test process dies without stop() (even by SIGKILL, e.g. a ctest
        timeout), the pipe reaches EOF and the watchdog runs `postfix stop`, so no master
        outlives its test. stop() kills the watchdog by PID first."""
        r, w = os.pipe()
        try:
            self._watchdog = subprocess.Popen(
                ["/bin/sh", "-c", 'read _ignored; exec "$1" -c "$2" stop', "postfix-watchdog",
                 POSTFIX, self.config_dir],
                stdin=r, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
        finally:
            os.close(r)
        self._watchdog_fd = w

    def _stop_watchdog(self):
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait(timeout=10)
            self._watchdog = None
        if self._watchdog_fd is not None:
            os.close(self._watchdog_fd)
            self._watchdog_fd = None

    def _read_master_pid(self):
        path = os.path.join(self.queue_dir, "pid", "master.pid")
        try:
            with open(path) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _wait_greeting(self, seconds):
        end = deadline(seconds)
        last = None
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.settimeout(max(1.0, min(10.0, end - time.monotonic())))
                    data = b""
                    while b"\n" not in data:
                        chunk = s.recv(1024)
                        if not chunk:
                            break
                        data += chunk
                    if data.startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return data
                    last = "greeting %r" % data
            except OSError as e:
                last = repr(e)
            if self.master_pid and not _pid_alive(self.master_pid):
                raise PostfixError("Postfix master (PID %s) died during startup\n%s" %
                                   (self.master_pid, self.log_tail()))
            if time.monotonic() > end:
                raise PostfixError("Postfix smtpd on 127.0.0.1:%d did not answer 220 within "
                                   "%ss (last: %s)\n%s" % (self.port, seconds, last,
                                                           self.log_tail()))
            time.sleep(0.05)

    def processes(self):
        """PIDs of live processes of this instance (see instance_processes)."""
        pids = instance_processes(self.config_dir)
        if self.master_pid and _pid_alive(self.master_pid) and self.master_pid not in pids:
            pids.append(self.master_pid)
        return sorted(pids)

    def running(self):
        return bool(self.master_pid) and _pid_alive(self.master_pid)

    def stop(self, seconds=10):
        """`postfix stop` (it waits up to 5 s, then SIGKILLs the master's process group);
        then SIGKILL by PID whatever of this instance is still alive. Idempotent."""
        if not self.started:
            return
        self.started = False
        self._stop_watchdog()
        if self.master_pid is None:
            self.master_pid = self._read_master_pid()
        if self.running():
            try:
                self.postfix("stop", seconds=seconds, check=False)
            except PostfixError:
                pass
        end = deadline(seconds)
        while self.processes() and time.monotonic() < end:
            time.sleep(0.05)
        left = self.processes()
        if left:
            if self.master_pid and _pid_alive(self.master_pid):
                try:
                    os.killpg(self.master_pid, signal.SIGKILL)  # master is a group leader
                except OSError:
                    pass
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            end = deadline(10)
            while self.processes() and time.monotonic() < end:
                time.sleep(0.05)
            if self.processes():
                raise PostfixError("Postfix processes survive SIGKILL: %r" % self.processes())

    def __enter__(self):
        if not self.started:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- logs ---------------------------------------------------------------------------

    def maillog(self):
        return read_log(self.log_path)

    def log_offset(self):
        return len(self.maillog())

    def log_tail(self, lines=40):
        text = self.maillog()
        tail = "\n".join(text.splitlines()[-lines:])
        return "----- %s maillog (%s), last %d lines -----\n%s" % (
            self.name, self.log_path, lines, tail or "(empty)")

    def wait_log(self, pattern, seconds=15, since=0):
        """Waits until the maillog (from character offset since) matches the regex;
        returns the match object."""
        rx = re.compile(pattern, re.M)
        end = deadline(seconds)
        while True:
            m = rx.search(self.maillog(), since)
            if m:
                return m
            if time.monotonic() > end:
                raise PostfixError("no maillog line matches %r within %ss\n%s" %
                                   (pattern, seconds, self.log_tail()))
            time.sleep(0.05)

    # --- mailboxes ----------------------------------------------------------------------

    def address(self, user):
        return "%s@%s" % (user, self.domain)

    def mailbox_users(self):
        try:
            return sorted(os.listdir(self.mail_dir))
        except FileNotFoundError:
            return []

    def mailbox_messages(self, user):
        """Messages delivered to user@DOMAIN (maildir new/ and cur/), oldest first, as bytes
        (LF line ends, with Postfix's Return-Path/Delivered-To/Received headers)."""
        found = []
        for sub in ("new", "cur"):
            d = os.path.join(self.mail_dir, user, sub)
            try:
                names = os.listdir(d)
            except FileNotFoundError:
                continue
            for n in names:
                path = os.path.join(d, n)
                try:
                    st = os.stat(path)
                    with open(path, "rb") as f:
                        found.append((st.st_mtime_ns, n, f.read()))
                except FileNotFoundError:
                    continue
        found.sort()
        return [raw for _, _, raw in found]

    def all_messages(self):
        return {u: self.mailbox_messages(u) for u in self.mailbox_users()}

    def wait_delivered(self, n, seconds=15, user=None):
        """Waits until at least n messages were delivered (to user, or to all mailboxes
        together); returns them (a list of bytes)."""
        end = deadline(seconds)
        while True:
            if user is not None:
                msgs = self.mailbox_messages(user)
            else:
                msgs = [m for u in self.mailbox_users() for m in self.mailbox_messages(u)]
            if len(msgs) >= n:
                return msgs
            if time.monotonic() > end:
                raise PostfixError("expected %d delivered messages%s, have %d; queue %r\n%s" %
                                   (n, " for " + user if user else "", len(msgs),
                                    self.queue_ids(), self.log_tail()))
            time.sleep(0.05)

    # --- queue --------------------------------------------------------------------------

    def queue_ids(self):
        """IDs of the messages in the queue (maildrop, incoming, active, deferred, hold),
        read from the queue directory (works whether or not Postfix runs)."""
        ids = []
        for q in _QUEUE_DIRS:
            for dirpath, _, files in os.walk(os.path.join(self.queue_dir, q)):
                ids += files
        return sorted(ids)

    def queue(self):
        """`postqueue -j`: a list of dicts (queue_name, queue_id, recipients, ...)."""
        _, out = self._run([POSTQUEUE, "-c", self.config_dir, "-j"], 30, True)
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def flush(self):
        """`postqueue -f`: attempt delivery of all queued mail now."""
        self._run([POSTQUEUE, "-c", self.config_dir, "-f"], 30, True)

    def wait_queue_empty(self, seconds=15):
        end = deadline(seconds)
        while self.queue_ids():
            if time.monotonic() > end:
                raise PostfixError("queue not empty after %ss: %r\n%s" %
                                   (seconds, self.queue_ids(), self.log_tail()))
            time.sleep(0.05)
