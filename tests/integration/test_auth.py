"""Sender authentication end to end (filters.spf, filters.dkim, filters.dmarc and the
Authentication-Results header, RFC 7208 / 6376 / 8463 / 7489 / 8601), with real components:

- a real DNS server (dnsmasq, dnsserver.DnsServer) authoritative for zones under .test,
  publishing SPF, DKIM key and DMARC records; a silent UDP port (dnsserver.SilentDns) for
  DNS timeouts;
- messages signed by python3-dkim (dkimpy) with keys made here (RSA-2048, Ed25519), which
  dkimpy itself verifies against the same DNS server before the gate is asked;
- the real gate in front of a real smtp-sink; raw SMTP clients (exact replies);
- `portcullis scan --json` for the "auth" report and the symbols.

The client always connects from 127.0.0.1 (an ordinary internet client: trusted_networks is
empty), so `ip4:127.0.0.1` is what a passing SPF record lists.

Every delivered message must carry exactly one Authentication-Results field with our
authserv-id (it may be folded: it is unfolded and parsed as RFC 8601 before asserting), and
an incoming one claiming our authserv-id must be gone. A failed assertion prints the
delivered message (or the reply), and the gate logs and the DNS query log tail.

A message with several authors (two From fields, or two addresses in one) is refused under
DMARC (multiple_from: reject), so a second author cannot escape p=reject (RFC 7489 6.6.1).
"""

import base64
import json
import os
import re
import shutil
import sys
import time
import unittest

from harness import (CRLF, SHARED, GateTestCase, crlf_to_lf, deadline, dot_stuff, free_port,
                     gate_config, make_tempdir, require_binary, run_cli, to_yaml)
from dnsserver import DNSMASQ, DnsServer, SilentDns

import dkim  # python3-dkim (dkimpy)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

AUTHSERV = "mx.portcullis.test"
CLIENT_HELO = "mail.client.test"
RCPT = "u@example.org"
SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]
POLICY = {"reject": 15, "add_header": 5}


# --- keys and DNS data ---------------------------------------------------------------------

class Keys:
    """Fresh signing keys for this run, and their DKIM key records."""

    def __init__(self):
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # dkimpy wants PKCS#1 ("BEGIN RSA PRIVATE KEY").
        self.rsa_pem = k.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption())
        spki = k.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
        self.rsa_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(spki).decode()
        seed = os.urandom(32)
        # dkimpy takes the base64 of the 32-byte seed as the Ed25519 private key (RFC 8463).
        self.ed_seed_b64 = base64.b64encode(seed)
        raw = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.ed_record = "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode()
        # RFC 8463's public RSA-1024 TEST key: the smallest size RFC 8301 3.2 lets a verifier
        # accept.
        with open(os.path.join(SHARED, "testdata", "dkim", "keys",
                               "rfc8463-rsa1024-private.pem"), "rb") as f:
            self.rsa1024_pem = f.read()
        k1024 = serialization.load_pem_private_key(self.rsa1024_pem, password=None)
        spki = k1024.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        self.rsa1024_record = "v=DKIM1; k=rsa; p=" + base64.b64encode(spki).decode()


SPF_PASS = "v=spf1 ip4:127.0.0.1 -all"
SPF_FAIL = "v=spf1 -all"


def zone(keys):
    """Every TXT record of the test zone (.test)."""
    return {
        # SPF: one domain per result.
        "spf-pass.test": SPF_PASS,
        "spf-fail.test": SPF_FAIL,
        "spf-softfail.test": "v=spf1 ~all",
        "spf-neutral.test": "v=spf1 ?all",
        "spf-none.test": "example-site-verification=4711",   # a TXT record, but not SPF
        # Two SPF records: permerror (RFC 7208 4.5).
        "spf-permerror.test": [SPF_PASS, SPF_FAIL],
        # exp= explanations (RFC 7208 6.2), one of them hostile: a line break and a fake
        # reply, and far more text than a reply line holds.
        "spf-exp.test": "v=spf1 -all exp=why.spf-exp.test",
        "why.spf-exp.test": "%{d} does not send mail from %{i}",
        "spf-evilexp.test": "v=spf1 -all exp=why.spf-evilexp.test",
        "why.spf-evilexp.test": "no\r\n250 2.1.5 Ok\r\n354 go ahead\n" + "x" * 900,
        # HELO names for the null sender (RFC 7208 2.4: postmaster@HELO).
        "relay.spf-helo.test": SPF_PASS,
        "relay.spf-helofail.test": SPF_FAIL,
        # DKIM: keys under dkim.test, no DMARC record there.
        "rsa2048._domainkey.dkim.test": keys.rsa_record,
        "ed25519._domainkey.dkim.test": keys.ed_record,
        "rsa1024._domainkey.dkim.test": keys.rsa1024_record,
        # DMARC: SPF fails for each of these unless said otherwise.
        "reject.test": SPF_FAIL,
        "_dmarc.reject.test": "v=DMARC1; p=reject",
        "quarantine.test": SPF_FAIL,
        "_dmarc.quarantine.test": "v=DMARC1; p=quarantine",
        "monitor.test": SPF_FAIL,
        "_dmarc.monitor.test": "v=DMARC1; p=none",
        # p=reject, SPF fails, but its own DKIM key signs: aligned DKIM pass.
        "signed.test": SPF_FAIL,
        "_dmarc.signed.test": "v=DMARC1; p=reject",
        "rsa2048._domainkey.signed.test": keys.rsa_record,
        # p=reject, SPF passes (also for a subdomain bounce address: relaxed alignment).
        "aligned.test": SPF_PASS,
        "bounce.aligned.test": SPF_PASS,
        "_dmarc.aligned.test": "v=DMARC1; p=reject",
        # p=reject with strict SPF alignment: the subdomain's SPF pass does not align.
        "strict.test": SPF_FAIL,
        "bounce.strict.test": SPF_PASS,
        "_dmarc.strict.test": "v=DMARC1; p=reject; aspf=s",
    }


class Env:
    """Module-wide: the keys, the DNS server, a temporary directory."""
    tmp = None
    keys = None
    dns = None


def setUpModule():
    require_binary()
    if not os.access(DNSMASQ, os.X_OK):
        raise AssertionError("%s missing: these tests need a real DNS server (apt-get install "
                             "dnsmasq-base)" % DNSMASQ)
    Env.tmp = make_tempdir("auth-module")
    unittest.addModuleCleanup(shutil.rmtree, Env.tmp, True)
    Env.keys = Keys()
    Env.dns = DnsServer(Env.tmp, zone(Env.keys))
    unittest.addModuleCleanup(Env.dns.stop)
    # The DNS data is what the tests think it is (a dnsmasq quoting/splitting surprise
    # would otherwise look like a gate bug).
    for name, expected in [("spf-pass.test", [[SPF_PASS.encode()]]),
                           ("_dmarc.strict.test", [[b"v=DMARC1; p=reject; aspf=s"]])]:
        got = Env.dns.query_txt(name)
        if got != expected:
            raise AssertionError("dnsmasq serves %r for %s, expected %r" % (got, name, expected))
    rsa_key = Env.dns.query_txt("rsa2048._domainkey.dkim.test")
    if len(rsa_key) != 1 or b"".join(rsa_key[0]).decode() != Env.keys.rsa_record:
        raise AssertionError("dnsmasq serves %r for the RSA key" % rsa_key)


def auth_overrides(dns_address, spf=None, dkim_=None, dmarc=None, **extra):
    """The gate settings of these tests (besides listener and backend)."""
    cfg = {
        "hostname": AUTHSERV,
        "authserv_id": AUTHSERV,
        "dns": {"servers": [dns_address], "timeout": "1s", "attempts": 1},
        "filters": {"spf": spf or {}, "dkim": dkim_ or {}, "dmarc": dmarc or {}},
        "policy": POLICY,
    }
    cfg.update(extra)
    return cfg


# --- messages --------------------------------------------------------------------------------

BODY = ["Hello,", "", "this is a test of sender authentication.", ".a line with a dot",
        "-- ", "the sender"]


def make_message(from_addr, subject, body=BODY, headers=(), from_field=None):
    slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")
    lines = [from_field or "From: Sender <%s>" % from_addr, "To: <%s>" % RCPT,
             "Subject: %s" % subject,
             "Date: Sat, 28 Nov 2026 12:00:00 +0000",
             "Message-ID: <%s@client.test>" % slug]
    lines += list(headers) + [""] + list(body)
    return CRLF.join(l.encode() for l in lines) + CRLF


def sign_rsa(msg, domain="dkim.test", selector="rsa2048"):
    return dkim.sign(msg, selector.encode(), domain.encode(), Env.keys.rsa_pem,
                     canonicalize=(b"relaxed", b"simple"), include_headers=SIGNED_HEADERS) + msg


def sign_rsa1024(msg, domain="dkim.test", selector="rsa1024"):
    return dkim.sign(msg, selector.encode(), domain.encode(), Env.keys.rsa1024_pem,
                     canonicalize=(b"simple", b"simple"), include_headers=SIGNED_HEADERS) + msg


def sign_ed25519(msg, domain="dkim.test", selector="ed25519"):
    return dkim.sign(msg, selector.encode(), domain.encode(), Env.keys.ed_seed_b64,
                     canonicalize=(b"relaxed", b"relaxed"), include_headers=SIGNED_HEADERS,
                     signature_algorithm=b"ed25519-sha256") + msg


def signature_b(msg, index=0):
    """The b= value (whitespace removed) of the index-th DKIM-Signature field of msg."""
    fields = [v for n, v in header_fields(msg) if n.lower() == "dkim-signature"]
    m = re.search(r"(?:^|;)\s*b\s*=([^;]*)", fields[index])
    return re.sub(r"\s+", "", m.group(1))


def dkimpy_verifies(msg, index=0):
    """dkimpy's own verdict on signature `index`, keys from our DNS server."""
    try:
        return dkim.DKIM(msg).verify(idx=index, dnsfunc=Env.dns.dkimpy_dnsfunc)
    except dkim.ValidationError:  # e.g. "body hash mismatch"
        return False


# --- header parsing --------------------------------------------------------------------------

def split_message(raw):
    """(header block, body) of a message with LF or CRLF line ends, as text."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    head, sep, body = text.partition("\n\n")
    return head, body


def header_fields(raw):
    """[(name, unfolded value)] in order (RFC 5322 2.2.3: a line starting with WSP continues
    the field; unfolding removes the line breaks only)."""
    head, _ = split_message(raw)
    fields = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += line
            fields[-1][2].append(line)
        elif ":" in line:
            name, value = line.split(":", 1)
            fields.append([name.strip(), value.strip(), [line]])
    return [(n, v.strip()) for n, v, _ in fields]


def header_lines(raw, name):
    """The physical lines of each `name` field: [[line, continuation, ...], ...]."""
    head, _ = split_message(raw)
    out = []
    current = None
    for line in head.split("\n"):
        if line[:1] in (" ", "\t"):
            if current is not None:
                current.append(line)
            continue
        current = None
        if line.split(":", 1)[0].strip().lower() == name.lower():
            current = [line]
            out.append(current)
    return out


def _strip_comments(text):
    out = []
    depth = 0
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted:
            out.append(c)
            if c == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"' and depth == 0:
            quoted = True
            out.append(c)
        elif c == "(":
            depth += 1
        elif c == ")" and depth > 0:
            depth -= 1
        elif c == "\\" and depth > 0:
            i += 1
        elif depth == 0:
            out.append(c)
        i += 1
    return "".join(out)


def _split_outside_quotes(text, sep):
    parts = [""]
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted and c == "\\" and i + 1 < len(text):
            parts[-1] += text[i:i + 2]
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        if c == sep and not quoted:
            parts.append("")
        else:
            parts[-1] += c
        i += 1
    return parts


def _unquote(value):
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


PAIR = re.compile(r'([A-Za-z0-9_.\-/]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s";]+)')


def parse_auth_results(value):
    """RFC 8601 Authentication-Results value -> (authserv-id, [resinfo]); each resinfo a dict
    with "method", "result" and the properties ("reason", "smtp.mailfrom", "header.d", ...;
    quoted values unquoted), plus "text" (the resinfo as written)."""
    parts = _split_outside_quotes(_strip_comments(value), ";")
    head = parts[0].split()
    authserv_id = _unquote(head[0]) if head else ""
    results = []
    for part in parts[1:]:
        part = part.strip()
        if not part or part.lower() == "none":
            continue
        pairs = PAIR.findall(part)
        entry = {"text": part}
        if pairs:
            entry["method"] = pairs[0][0].split("/")[0].lower()
            entry["result"] = _unquote(pairs[0][1]).lower()
            for k, v in pairs[1:]:
                entry[k.lower()] = _unquote(v)
        results.append(entry)
    return authserv_id, results


class Delivered:
    """One message as smtp-sink captured it."""

    def __init__(self, dump):
        self.dump = dump
        self.raw = dump.body                      # LF line ends
        self.text = self.raw.decode("utf-8", "replace")
        self.fields = header_fields(self.raw)

    def values(self, name):
        return [v for n, v in self.fields if n.lower() == name.lower()]

    def auth_results_fields(self):
        """[(authserv-id, [resinfo], unfolded value)] of every Authentication-Results field."""
        out = []
        for v in self.values("Authentication-Results"):
            sid, results = parse_auth_results(v)
            out.append((sid, results, v))
        return out

    def show(self, limit=6000):
        return "\n----- delivered message -----\n%s\n-----------------------------" % (
            self.text[:limit])


class Transcript:
    def __init__(self):
        self.steps = []       # (what was sent, reply)
        self.port = None
        self.final = None

    def add(self, sent, reply):
        self.steps.append((sent, reply))
        return reply

    def show(self):
        lines = ["----- SMTP transcript -----"]
        for sent, reply in self.steps:
            lines.append("C: %s" % sent)
            lines += ["S: %s" % l for l in reply.raw.decode("utf-8", "replace").splitlines()]
        return "\n" + "\n".join(lines)


# --- the test cases --------------------------------------------------------------------------

class AuthTestCase(GateTestCase):
    """A class-wide smtp-sink; subclasses start their gates in setUpClass with gate_for()."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sink_ = cls.class_sink()

    @classmethod
    def gate_for(cls, name, dns_address=None, **kw):
        return cls.class_gate(backend=cls.sink_.port, name=name,
                              **auth_overrides(dns_address or Env.dns.address, **kw))

    def setUp(self):
        super().setUp()
        self.sink_.clear()

    def run(self, result=None):
        if result is None:
            return super().run(result)
        before = len(result.failures) + len(result.errors)
        out = super().run(result)
        if len(result.failures) + len(result.errors) > before and Env.dns:
            sys.stderr.write("\n----- dnsmasq query log, last 40 lines -----\n")
            sys.stderr.write("\n".join(Env.dns.log().splitlines()[-40:]) + "\n")
        return out

    # SMTP

    def transact(self, gate, mail_from, msg, rcpts=(RCPT,), helo=CLIENT_HELO, client=None,
                 quit=True):
        """One transaction, each command on its own; the message only after 354. Returns a
        Transcript (.mail, .rcpts, .data, .final); waits until the gate has finished the
        session (so the backend has everything) when quit."""
        t = Transcript()
        c = client
        if c is None:
            c = self.client(gate)
            t.add("(connect)", c.greeting())
            t.add("EHLO " + helo, c.ehlo(helo))
        t.port = c.local_port
        t.client = c
        t.mail = t.add("MAIL FROM:<%s>" % mail_from, c.cmd("MAIL FROM:<%s>" % mail_from))
        t.rcpts = [t.add("RCPT TO:<%s>" % r, c.cmd("RCPT TO:<%s>" % r)) for r in rcpts]
        t.data = t.add("DATA", c.cmd("DATA"))
        if t.data.code == 354:
            c.send(dot_stuff(msg))
            t.final = t.add("(message, %d bytes)" % len(msg), c.reply())
        if quit:
            t.add("QUIT", c.cmd("QUIT"))
            gate.wait_disconnect(c)
        return t

    def deliver(self, gate, mail_from, msg, helo=CLIENT_HELO, original=None):
        """A transaction that must be accepted; returns the one delivered message, checked to
        be `original` (default msg) with only our fields added on top."""
        t = self.transact(gate, mail_from, msg, helo=helo)
        self.assertEqual([t.mail.code] + [r.code for r in t.rcpts] + [t.data.code],
                         [250, 250, 354], t.show())
        self.assertIsNotNone(t.final, t.show())
        self.assertEqual(t.final.code, 250, t.show())
        return self.only_delivered(msg if original is None else original)

    def only_delivered(self, original):
        dumps = self.sink_.wait_dumps(1)
        self.assertEqual(len(dumps), 1, [d.raw[:400] for d in dumps])
        d = Delivered(dumps[0])
        self.assertEqual(d.dump.rcpt_args, ["<%s>" % RCPT], d.show())
        want = crlf_to_lf(original)
        self.assertTrue(d.raw.endswith(want),
                        "the delivered message is not the original with fields added on top:"
                        "\n----- original -----\n%s%s" % (want.decode(), d.show()))
        added = d.raw[:len(d.raw) - len(want)]
        for name, _ in header_fields(added + b"\n"):
            self.assertRegex(name, r"^(?i:Authentication-Results|X-Spam-[A-Za-z]+|"
                                   r"X-Portcullis-Quarantine)$",
                             "unexpected added field" + d.show())
        return d

    def assertNothingDelivered(self, t=None):
        self.assertEqual([x.raw[:400] for x in self.sink_.dumps()], [],
                         t.show() if t else "")

    # Authentication-Results

    def our_ar(self, d):
        """Our one Authentication-Results field: its resinfo list. Also checks it was added
        on top of the message (above every field of the original) and its lines' lengths."""
        ours = [(sid, res, v) for sid, res, v in d.auth_results_fields()
                if sid.lower() == AUTHSERV]
        self.assertEqual(len(ours), 1, "expected exactly one Authentication-Results: %s; ...%s"
                         % (AUTHSERV, d.show()))
        self.assertIn(d.fields[0][0].lower(), ("authentication-results", "x-spam-score",
                                               "x-spam-status", "x-portcullis-quarantine"),
                      d.show())
        for lines in header_lines(d.raw, "Authentication-Results"):
            if not re.match(r"(?i)authentication-results:\s*%s;" % re.escape(AUTHSERV),
                            lines[0]):
                continue
            for line in lines:
                self.assertLessEqual(len(line), 998, "line too long (RFC 5322 2.1.1)" + d.show())
                # Folded at 78 columns (RFC 5322 2.1.1 SHOULD), but where a single word is
                # longer than that.
                if len(line) > 78:
                    self.assertNotRegex(line[:79], r"\S[ \t]", "%d columns, not folded%s"
                                        % (len(line), d.show()))
        return ours[0][1]

    def assertAuth(self, d, method, result, **props):
        """Exactly one `method` entry in our A-R, with `result` (a word or a set of words)
        and, for each prop (header_d -> header.d), that value (case-insensitive; a compiled
        regex is searched instead). Returns the entry."""
        entries = [e for e in self.our_ar(d) if e.get("method") == method]
        ar = self.ar_text(d)
        self.assertEqual(len(entries), 1, "expected one %s= entry in %r%s" % (method, ar,
                                                                              d.show()))
        e = entries[0]
        self.assertResult(e, result, ar, d)
        self.assertProps(e, props, ar, d)
        return e

    def assertResult(self, e, result, ar, d):
        allowed = {result} if isinstance(result, str) else set(result)
        self.assertIn(e.get("result"), allowed, "%s= in %r%s" % (e.get("method"), ar, d.show()))

    def assertProps(self, e, props, ar, d):
        for key, want in props.items():
            key = key.replace("_", ".", 1)
            got = e.get(key)
            self.assertIsNotNone(got, "no %s in %r of %r%s" % (key, e["text"], ar, d.show()))
            if key == "header.b":
                self.assertHeaderB(got, want, ar, d)
            elif hasattr(want, "search"):
                self.assertRegex(got, want, "%s in %r%s" % (key, ar, d.show()))
            else:
                self.assertEqual(got.lower(), want.lower(), "%s in %r%s" % (key, ar, d.show()))

    def assertHeaderB(self, got, b_value, ar, d):
        """RFC 6008 2: header.b is a leading part of the signature's b= (base64: case
        matters), at least 8 characters long."""
        self.assertGreaterEqual(len(got), 8, "header.b too short in %r%s" % (ar, d.show()))
        self.assertTrue(b_value.startswith(got),
                        "header.b=%s is not the start of b=%s... in %r%s"
                        % (got, b_value[:20], ar, d.show()))

    def ar_text(self, d):
        return [v for sid, _, v in d.auth_results_fields() if sid.lower() == AUTHSERV]


def mailfrom_of(domain):
    """smtp.mailfrom as RFC 8601 allows it: the address or its domain."""
    return re.compile(r"^(?i:([^@\s]+@)?%s)$" % re.escape(domain))


# --- SPF -------------------------------------------------------------------------------------

class SpfTest(AuthTestCase):
    """SPF results through the proxy (A-R of the delivered message), and fail: reject at RCPT."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gate_ = cls.gate_for("spf-gate")
        cls.strict = cls.gate_for("spf-reject-gate", spf={"fail": "reject"})

    def spf_of(self, domain, result, gate=None):
        msg = make_message("a@%s" % domain, "spf %s" % result)
        d = self.deliver(gate or self.gate_, "a@%s" % domain, msg)
        self.assertAuth(d, "spf", result, smtp_mailfrom=mailfrom_of(domain))
        return d

    def test_spf_pass(self):
        d = self.spf_of("spf-pass.test", "pass")
        # No signature, no DMARC record: the other methods say so in the same field.
        self.assertAuth(d, "dkim", "none")
        self.assertAuth(d, "dmarc", "none", header_from="spf-pass.test")

    def test_spf_fail_is_only_a_symbol_by_default(self):
        self.spf_of("spf-fail.test", "fail")

    def test_spf_softfail(self):
        self.spf_of("spf-softfail.test", "softfail")

    def test_spf_neutral(self):
        self.spf_of("spf-neutral.test", "neutral")

    def test_spf_none_without_a_record(self):
        self.spf_of("spf-none.test", "none")

    def test_spf_none_for_a_domain_that_does_not_exist(self):
        self.spf_of("no-such-domain.test", "none")

    def test_spf_permerror_with_two_records(self):
        self.spf_of("spf-permerror.test", "permerror")

    def test_null_sender_checks_the_helo_name(self):
        msg = make_message("postmaster@relay.spf-helo.test", "bounce")
        d = self.deliver(self.gate_, "", msg, helo="relay.spf-helo.test")
        e = self.assertAuth(d, "spf", "pass")
        identity = e.get("smtp.helo") or e.get("smtp.mailfrom")
        self.assertRegex(identity or "", r"^(?i:(postmaster@)?relay\.spf-helo\.test)$",
                         "the null sender's identity in %r%s" % (self.ar_text(d), d.show()))

        self.sink_.clear()
        d = self.deliver(self.gate_, "", msg, helo="relay.spf-helofail.test")
        self.assertAuth(d, "spf", "fail")

    def test_client_text_cannot_add_results(self):
        # A HELO name (client text, shown as smtp.helo for the null sender) made of RFC 8601
        # syntax: it must stay one quoted value, never become a resinfo of its own.
        helo = 'x";dmarc=pass;(dkim=pass.test'
        msg = make_message("a@monitor.test", "helo injection")
        d = self.deliver(self.gate_, "", msg, helo=helo)
        e = self.assertAuth(d, "spf", {"none", "permerror"})
        self.assertEqual(e.get("smtp.helo") or e.get("smtp.mailfrom"), helo,
                         "%r%s" % (self.ar_text(d), d.show()))
        self.assertAuth(d, "dkim", "none")
        self.assertAuth(d, "dmarc", "fail", header_from="monitor.test")

    def test_each_transaction_of_a_session_gets_its_own_result(self):
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo(CLIENT_HELO)
        results = []
        for domain in ["spf-fail.test", "spf-pass.test", "spf-softfail.test"]:
            self.sink_.clear()
            msg = make_message("a@" + domain, "session " + domain)
            t = self.transact(self.gate_, "a@" + domain, msg, client=c, quit=False)
            self.assertEqual(t.final and t.final.code, 250, t.show())
            d = Delivered(self.sink_.wait_dumps(1)[0])
            e = self.assertAuth(d, "spf", {"pass", "fail", "softfail"},
                                smtp_mailfrom=mailfrom_of(domain))
            results.append(e["result"])
        c.cmd("QUIT")
        self.gate_.wait_disconnect(c)
        self.assertEqual(results, ["fail", "pass", "softfail"])

    def test_fail_reject_refuses_each_rcpt_with_5_7_23(self):
        msg = make_message("a@spf-fail.test", "spf reject")
        t = self.transact(self.strict, "a@spf-fail.test", msg, rcpts=(RCPT, "v@example.org"))
        self.assertEqual(t.mail.code, 250, t.show())
        for r in t.rcpts:
            self.assertEqual((r.code, r.enhanced), (550, "5.7.23"), t.show())
            self.assertIn("SPF", r.text, t.show())
        self.assertNotEqual(t.data.code, 354, t.show())
        self.assertNothingDelivered(t)
        self.assertRegex(self.strict.log(), r"symbol=SPF_FAIL\b")

    def test_fail_reject_reply_carries_the_explanation(self):
        msg = make_message("a@spf-exp.test", "spf explanation")
        t = self.transact(self.strict, "a@spf-exp.test", msg)
        [r] = t.rcpts
        self.assertEqual((r.code, r.enhanced), (550, "5.7.23"), t.show())
        self.assertIn("spf-exp.test does not send mail from 127.0.0.1", r.text, t.show())
        self.assertNothingDelivered(t)

    def test_hostile_explanation_stays_inside_one_reply_line(self):
        c = self.client(self.strict)
        c.greeting()
        c.ehlo(CLIENT_HELO)
        self.assertEqual(c.cmd("MAIL FROM:<a@spf-evilexp.test>").code, 250)
        r = c.cmd("RCPT TO:<%s>" % RCPT)
        self.assertEqual((r.code, r.enhanced, len(r.lines)), (550, "5.7.23", 1), r.raw)
        self.assertLessEqual(len(r.raw), 512, "RFC 5321 4.5.3.1.5: a reply line is at most "
                             "512 octets: %r" % r.raw)
        self.assertRegex(r.raw, rb"^[\x20-\x7e]*\r\n$", r.raw)
        self.assertTrue(c.nothing_more(), "more after the RCPT reply: %r" % c.buf)
        # The dialogue is still in step: the next reply answers the next command.
        self.assertEqual(c.cmd("RSET").code, 250)
        self.assertEqual(c.cmd("NOOP").code, 250)
        c.cmd("QUIT")
        self.strict.wait_disconnect(c)
        self.assertNothingDelivered()

    def test_rset_forgets_the_pending_check(self):
        # The check starts at MAIL; after RSET the next MAIL's domain is the one that counts.
        c = self.client(self.strict)
        c.greeting()
        c.ehlo(CLIENT_HELO)
        for first, second, code in [("spf-fail.test", "spf-pass.test", 250),
                                    ("spf-pass.test", "spf-fail.test", 550)]:
            self.assertEqual(c.cmd("MAIL FROM:<a@%s>" % first).code, 250)
            self.assertEqual(c.cmd("RSET").code, 250)
            self.assertEqual(c.cmd("MAIL FROM:<a@%s>" % second).code, 250)
            r = c.cmd("RCPT TO:<%s>" % RCPT)
            self.assertEqual(r.code, code, "%s, RSET, %s: %r" % (first, second, r.raw))
            self.assertEqual(c.cmd("RSET").code, 250)
        c.cmd("QUIT")
        self.strict.wait_disconnect(c)

    def test_fail_reject_leaves_pass_and_softfail_alone(self):
        self.spf_of("spf-pass.test", "pass", gate=self.strict)
        self.sink_.clear()
        self.spf_of("spf-softfail.test", "softfail", gate=self.strict)


# --- DNS timeouts ----------------------------------------------------------------------------

class SpfTemperrorTest(AuthTestCase):
    """A DNS server that never answers: spf=temperror, never pass or fail; temperror:
    tempfail answers 451 4.7.24 at RCPT."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.silent = SilentDns()
        cls.addClassCleanup(cls.silent.close)
        cls.tempfail = cls.gate_for("temperror-tempfail-gate", cls.silent.address,
                                    spf={"temperror": "tempfail"})
        cls.symbol = cls.gate_for("temperror-symbol-gate", cls.silent.address)

    def test_tempfail_mode_451_4_7_24_at_rcpt(self):
        msg = make_message("a@spf-pass.test", "dns down, tempfail")
        self.silent.received()
        started = time.monotonic()
        t = self.transact(self.tempfail, "a@spf-pass.test", msg)
        elapsed = time.monotonic() - started
        self.assertEqual(t.mail.code, 250, t.show())
        [r] = t.rcpts
        self.assertEqual((r.code, r.enhanced), (451, "4.7.24"), t.show())
        self.assertIn("SPF", r.text, t.show())
        self.assertNotEqual(t.data.code, 354, t.show())
        self.assertNothingDelivered(t)
        self.assertGreater(self.silent.received(), 0, "the gate never asked the silent server")
        # 1 s DNS timeout, one attempt: well inside the filter's 10 s deadline.
        self.assertLess(elapsed, 9, t.show())

    def test_symbol_mode_delivers_with_spf_temperror(self):
        msg = make_message("a@spf-pass.test", "dns down, symbol")
        d = self.deliver(self.symbol, "a@spf-pass.test", msg)
        self.assertAuth(d, "spf", "temperror", smtp_mailfrom=mailfrom_of("spf-pass.test"))
        self.assertAuth(d, "dkim", "none")
        self.assertAuth(d, "dmarc", "temperror", header_from="spf-pass.test")

    def test_null_sender_helo_check_is_temperror_too(self):
        msg = make_message("postmaster@relay.spf-helo.test", "dns down, bounce")
        d = self.deliver(self.symbol, "", msg, helo="relay.spf-helo.test")
        self.assertAuth(d, "spf", "temperror")


# --- DKIM ------------------------------------------------------------------------------------

class DkimTest(AuthTestCase):
    """Signatures made by dkimpy with this run's keys, published in dnsmasq."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gate_ = cls.gate_for("dkim-gate")
        cls.big_keys = cls.gate_for("dkim-2048-gate", dkim_={"min_rsa_bits": 2048})

    def signed_by_dkimpy(self, signed, index=0, expect=True):
        self.assertEqual(dkimpy_verifies(signed, index), expect,
                         "dkimpy's own verdict on the test message (a broken test, not the "
                         "gate)")

    def test_rsa_2048_pass(self):
        signed = sign_rsa(make_message("a@dkim.test", "rsa signed"))
        self.signed_by_dkimpy(signed)
        d = self.deliver(self.gate_, "a@spf-pass.test", signed)
        self.assertAuth(d, "dkim", "pass", header_d="dkim.test", header_s="rsa2048",
                        header_b=signature_b(signed))
        # d= is not the From domain's: no DMARC record under dkim.test anyway.
        self.assertAuth(d, "dmarc", "none", header_from="dkim.test")

    def test_key_lookup_starts_before_the_body_is_complete(self):
        # DESIGN.md: lookups start as early as their inputs are known. The key is asked for
        # once the header section has arrived, while the client still holds the final dot.
        signed = sign_rsa(make_message("a@dkim.test", "early key lookup"))
        head = signed.partition(b"\r\n\r\n")[0]
        key = "rsa2048._domainkey.dkim.test"
        before = Env.dns.log().count(key)
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo(CLIENT_HELO)
        self.assertEqual(c.cmd("MAIL FROM:<a@spf-pass.test>").code, 250)
        self.assertEqual(c.cmd("RCPT TO:<%s>" % RCPT).code, 250)
        self.assertEqual(c.cmd("DATA").code, 354)
        wire = dot_stuff(signed)  # ends with the final dot
        cut = len(head) + 4       # header lines never start with a dot: same length
        c.send(wire[:cut])
        asked = False
        until = deadline(10)
        while not asked and time.monotonic() < until:
            asked = Env.dns.log().count(key) > before
            time.sleep(0.05)
        self.assertTrue(asked, "no key query before the end of data\n" + Env.dns.log()[-2000:])
        c.send(wire[cut:])
        final = c.reply()
        self.assertEqual(final.code, 250, final)
        c.cmd("QUIT")

    def test_ed25519_pass(self):
        signed = sign_ed25519(make_message("a@dkim.test", "ed25519 signed"))
        self.signed_by_dkimpy(signed)
        d = self.deliver(self.gate_, "a@spf-pass.test", signed)
        self.assertAuth(d, "dkim", "pass", header_d="dkim.test", header_s="ed25519",
                        header_b=signature_b(signed))

    def test_tampered_body_fails(self):
        signed = sign_rsa(make_message("a@dkim.test", "body changed"))
        tampered = signed.replace(b"this is a test of", b"this is a TEST of")
        self.assertNotEqual(tampered, signed)
        self.signed_by_dkimpy(tampered, expect=False)
        d = self.deliver(self.gate_, "a@spf-pass.test", tampered)
        self.assertAuth(d, "dkim", "fail", header_d="dkim.test", header_s="rsa2048",
                        header_b=signature_b(signed))

    def test_tampered_signed_header_fails(self):
        signed = sign_ed25519(make_message("a@dkim.test", "header changed"))
        tampered = signed.replace(b"Subject: header changed", b"Subject: header CHANGED")
        self.assertNotEqual(tampered, signed)
        self.signed_by_dkimpy(tampered, expect=False)
        d = self.deliver(self.gate_, "a@spf-pass.test", tampered)
        self.assertAuth(d, "dkim", "fail", header_d="dkim.test", header_s="ed25519")

    def test_two_signatures_two_entries(self):
        signed = sign_ed25519(sign_rsa(make_message("a@dkim.test", "signed twice")))
        self.signed_by_dkimpy(signed, 0)
        self.signed_by_dkimpy(signed, 1)
        d = self.deliver(self.gate_, "a@spf-pass.test", signed)
        entries = [e for e in self.our_ar(d) if e.get("method") == "dkim"]
        got = sorted((e.get("result"), (e.get("header.d") or "").lower(), e.get("header.s"))
                     for e in entries)
        self.assertEqual(got, [("pass", "dkim.test", "ed25519"), ("pass", "dkim.test", "rsa2048")],
                         "%r%s" % (self.ar_text(d), d.show()))
        # header.b tells the two apart (RFC 6008): each entry names its own signature.
        for e in entries:
            index = 0 if e["header.s"] == "ed25519" else 1
            self.assertHeaderB(e.get("header.b"), signature_b(signed, index), self.ar_text(d), d)

    def test_good_and_broken_signature(self):
        # An Ed25519 signature over the final message, and above it one whose key is not
        # published (selector "gone"): one pass, one that is not a pass.
        good = sign_ed25519(make_message("a@dkim.test", "one good one broken"))
        signed = sign_rsa(good, selector="gone")
        d = self.deliver(self.gate_, "a@spf-pass.test", signed)
        entries = {e.get("header.s"): e for e in self.our_ar(d) if e.get("method") == "dkim"}
        self.assertEqual(set(entries), {"ed25519", "gone"}, "%r%s" % (self.ar_text(d),
                                                                    d.show()))
        self.assertEqual(entries["ed25519"]["result"], "pass", self.ar_text(d))
        self.assertIn(entries["gone"]["result"], {"permerror", "fail", "neutral"},
                      self.ar_text(d))

    def test_rsa_1024_key_passes_by_default(self):
        # RFC 8301 3.2: verifiers MUST validate keys from 1024 to 4096 bits.
        signed = sign_rsa1024(make_message("a@dkim.test", "rsa 1024 simple"))
        self.signed_by_dkimpy(signed)
        d = self.deliver(self.gate_, "a@spf-pass.test", signed)
        self.assertAuth(d, "dkim", "pass", header_d="dkim.test", header_s="rsa1024",
                        header_b=signature_b(signed))

    def test_min_rsa_bits_2048_refuses_a_1024_key_as_policy(self):
        signed = sign_rsa1024(make_message("a@dkim.test", "rsa 1024 too small"))
        d = self.deliver(self.big_keys, "a@spf-pass.test", signed)
        self.assertAuth(d, "dkim", "policy", header_d="dkim.test", header_s="rsa1024")
        # The 2048-bit key still passes there.
        self.sink_.clear()
        signed = sign_rsa(make_message("a@dkim.test", "rsa 2048 big enough"))
        d = self.deliver(self.big_keys, "a@spf-pass.test", signed)
        self.assertAuth(d, "dkim", "pass", header_s="rsa2048")

    def test_hostile_signature_tags_cannot_add_results(self):
        # Tag values made of RFC 8601 syntax, from the message: quoted values in our field.
        msg = CRLF.join([
            b'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=e"vil.test;',
            b' s=a"b(c;dmarc=pass; h=from; bh=AAAA; b=AAAA";dkim=pass',
            b"From: <a@monitor.test>", b"To: <%s>" % RCPT.encode(), b"Subject: hostile tags",
            b"", b"body"]) + CRLF
        d = self.deliver(self.gate_, "a@monitor.test", msg)
        e = self.assertAuth(d, "dkim", {"permerror", "fail", "neutral"})
        self.assertEqual((e.get("header.d"), e.get("header.s")), ('e"vil.test', 'a"b(c'),
                         "%r%s" % (self.ar_text(d), d.show()))
        self.assertAuth(d, "spf", "fail")
        self.assertAuth(d, "dmarc", "fail", header_from="monitor.test")
        self.assertEqual(len(self.our_ar(d)), 3, "%r%s" % (self.ar_text(d), d.show()))

    def test_unsigned_message_is_dkim_none(self):
        d = self.deliver(self.gate_, "a@spf-pass.test",
                         make_message("a@dkim.test", "not signed"))
        self.assertAuth(d, "dkim", "none")


# --- DMARC -----------------------------------------------------------------------------------

class DmarcTest(AuthTestCase):
    """Policies p=reject / quarantine / none; alignment through SPF and DKIM; on_reject: tag."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gate_ = cls.gate_for("dmarc-gate")
        cls.tag = cls.gate_for("dmarc-tag-gate", dmarc={"on_reject": "tag"})
        cls.soft = cls.gate_for("dmarc-soft-gate",
                                dmarc={"on_reject": "quarantine", "on_quarantine": "tag"})

    def assertDmarcReject(self, t):
        self.assertEqual([t.mail.code] + [r.code for r in t.rcpts] + [t.data.code],
                         [250, 250, 354], t.show())
        self.assertIsNotNone(t.final, t.show())
        self.assertEqual((t.final.code, t.final.enhanced), (550, "5.7.1"), t.show())
        self.assertIn("dmarc", t.final.text.lower(), t.show())

    def test_p_reject_refused_at_end_of_data(self):
        msg = make_message("a@reject.test", "dmarc reject")
        t = self.transact(self.gate_, "a@reject.test", msg)
        self.assertDmarcReject(t)
        self.assertNothingDelivered(t)
        self.assertRegex(self.gate_.log(), r"DMARC_POLICY_REJECT")

    def test_reject_then_pass_in_the_same_session(self):
        # The refused transaction's results do not carry over into the next one.
        c = self.client(self.gate_)
        c.greeting()
        c.ehlo(CLIENT_HELO)
        t = self.transact(self.gate_, "a@reject.test", make_message("a@reject.test", "first"),
                          client=c, quit=False)
        self.assertDmarcReject(t)
        msg = make_message("a@aligned.test", "second")
        t = self.transact(self.gate_, "a@aligned.test", msg, client=c)
        self.assertEqual(t.final and t.final.code, 250, t.show())
        d = self.only_delivered(msg)
        self.assertAuth(d, "spf", "pass", smtp_mailfrom=mailfrom_of("aligned.test"))
        self.assertAuth(d, "dmarc", "pass", header_from="aligned.test")

    def test_unaligned_passes_do_not_satisfy_p_reject(self):
        # SPF passes for spf-pass.test and DKIM for dkim.test, but From is reject.test.
        signed = sign_rsa(make_message("a@reject.test", "unaligned passes"))
        t = self.transact(self.gate_, "a@spf-pass.test", signed)
        self.assertDmarcReject(t)
        self.assertNothingDelivered(t)

    def test_p_quarantine_delivered_with_quarantine_header(self):
        msg = make_message("a@quarantine.test", "dmarc quarantine")
        d = self.deliver(self.gate_, "a@quarantine.test", msg)
        self.assertAuth(d, "spf", "fail")
        self.assertAuth(d, "dmarc", "fail", header_from="quarantine.test")
        q = d.values("X-Portcullis-Quarantine")
        self.assertEqual(len(q), 1, "no X-Portcullis-Quarantine" + d.show())
        self.assertIn("dmarc", q[0].lower(), "the quarantine reason" + d.show())

    def test_p_none_delivered_with_dmarc_fail(self):
        msg = make_message("a@monitor.test", "dmarc none")
        d = self.deliver(self.gate_, "a@monitor.test", msg)
        self.assertAuth(d, "spf", "fail")
        self.assertAuth(d, "dmarc", "fail", header_from="monitor.test")
        self.assertEqual(d.values("X-Portcullis-Quarantine"), [], d.show())

    def test_aligned_dkim_passes_although_spf_fails(self):
        signed = sign_rsa(make_message("a@signed.test", "aligned dkim"), domain="signed.test")
        self.assertTrue(dkimpy_verifies(signed))
        d = self.deliver(self.gate_, "a@signed.test", signed)
        self.assertAuth(d, "spf", "fail", smtp_mailfrom=mailfrom_of("signed.test"))
        self.assertAuth(d, "dkim", "pass", header_d="signed.test", header_s="rsa2048")
        self.assertAuth(d, "dmarc", "pass", header_from="signed.test")
        self.assertEqual(d.values("X-Portcullis-Quarantine"), [], d.show())

    def test_aligned_spf_pass(self):
        msg = make_message("a@aligned.test", "aligned spf")
        d = self.deliver(self.gate_, "a@aligned.test", msg)
        self.assertAuth(d, "spf", "pass")
        self.assertAuth(d, "dkim", "none")
        self.assertAuth(d, "dmarc", "pass", header_from="aligned.test")

    def test_relaxed_spf_alignment_through_a_subdomain(self):
        # bounce.aligned.test and aligned.test share the organizational domain aligned.test
        # (*.test: the PSL's implicit "*" rule).
        msg = make_message("a@aligned.test", "relaxed spf")
        d = self.deliver(self.gate_, "bounces@bounce.aligned.test", msg)
        self.assertAuth(d, "spf", "pass", smtp_mailfrom=mailfrom_of("bounce.aligned.test"))
        self.assertAuth(d, "dmarc", "pass", header_from="aligned.test")

    def test_strict_spf_alignment_refuses_a_subdomain(self):
        msg = make_message("a@strict.test", "strict spf")
        t = self.transact(self.gate_, "bounces@bounce.strict.test", msg)
        self.assertDmarcReject(t)
        self.assertNothingDelivered(t)

    def test_subdomain_without_a_record_gets_the_org_domain_policy(self):
        # No _dmarc.news.reject.test: the organizational domain's record (p=reject, sp=
        # defaults to p) applies (RFC 7489 6.6.3).
        msg = make_message("a@news.reject.test", "org domain policy")
        t = self.transact(self.gate_, "a@news.reject.test", msg)
        self.assertDmarcReject(t)
        self.assertNothingDelivered(t)

    def test_relaxed_dkim_alignment_for_a_subdomain_from(self):
        signed = sign_rsa(make_message("a@news.signed.test", "relaxed dkim"),
                          domain="signed.test")
        d = self.deliver(self.gate_, "a@news.signed.test", signed)
        self.assertAuth(d, "dkim", "pass", header_d="signed.test")
        self.assertAuth(d, "dmarc", "pass", header_from="news.signed.test")

    def test_on_reject_quarantine(self):
        msg = make_message("a@reject.test", "dmarc reject, quarantined")
        d = self.deliver(self.soft, "a@reject.test", msg)
        self.assertAuth(d, "dmarc", "fail", header_from="reject.test")
        q = d.values("X-Portcullis-Quarantine")
        self.assertEqual(len(q), 1, "no X-Portcullis-Quarantine" + d.show())
        self.assertIn("dmarc", q[0].lower(), d.show())

    def test_on_quarantine_tag(self):
        msg = make_message("a@quarantine.test", "dmarc quarantine, tagged")
        d = self.deliver(self.soft, "a@quarantine.test", msg)
        self.assertAuth(d, "dmarc", "fail", header_from="quarantine.test")
        self.assertEqual(d.values("X-Portcullis-Quarantine"), [], d.show())

    def test_second_from_address_does_not_escape_p_reject(self):
        # RFC 7489 6.6.1: several authors have no single policy to check; without a refusal
        # any second address would escape reject.test's p=reject (multiple_from: reject).
        msg = make_message(None, "two authors",
                           from_field="From: Boss <a@reject.test>, Other <b@monitor.test>")
        t = self.transact(self.gate_, "a@reject.test", msg)
        self.assertDmarcReject(t)
        self.assertNothingDelivered(t)

    def test_second_from_field_does_not_escape_p_reject(self):
        # RFC 7489 6.6.1: messages with several From fields "are typically rejected" (RFC 5322
        # allows one).
        msg = make_message("a@reject.test", "two from fields",
                           headers=["From: <b@monitor.test>"])
        t = self.transact(self.gate_, "a@reject.test", msg)
        self.assertIsNotNone(t.final, t.show())
        self.assertEqual(t.final.code // 100, 5, t.show())
        self.assertNothingDelivered(t)

    def test_on_reject_tag_delivers_with_dmarc_fail(self):
        msg = make_message("a@reject.test", "dmarc reject, tagged")
        d = self.deliver(self.tag, "a@reject.test", msg)
        self.assertAuth(d, "spf", "fail")
        self.assertAuth(d, "dmarc", "fail", header_from="reject.test")
        self.assertEqual(d.values("X-Portcullis-Quarantine"), [], d.show())
        self.assertRegex(self.tag.log(), r"DMARC_POLICY_REJECT")


# --- forged Authentication-Results -----------------------------------------------------------

FORGED_AR = [
    "Authentication-Results: mx.portcullis.test; spf=pass smtp.mailfrom=bank.example;",
    " dkim=pass header.d=bank.example; dmarc=pass header.from=bank.example",
    "authentication-results: (a comment first) MX.Portcullis.TEST 1; dkim=pass",
    "Authentication-Results: \"mx.portcullis.test\"; dmarc=pass header.from=bank.example",
    "Authentication-Results:mx.portcullis.test;spf=pass",
]
KEPT_AR = [
    "Authentication-Results: relay.other.example; spf=fail smtp.mailfrom=bank.example",
    "Authentication-Results: mx.portcullis.test.evil.example; dkim=pass header.d=x.example",
]


class ForgedAuthResultsTest(AuthTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gate_ = cls.gate_for("forged-ar-gate")

    def test_forged_fields_removed_others_kept(self):
        head = ["Received: from relay.other.example by mx.other.example; "
                "Sat, 28 Nov 2026 11:59:00 +0000",
                FORGED_AR[0], FORGED_AR[1], KEPT_AR[0], FORGED_AR[2],
                "From: Sender <a@spf-fail.test>", FORGED_AR[3], KEPT_AR[1],
                "To: <%s>" % RCPT, FORGED_AR[4], "Subject: forged results"]
        forged = set(FORGED_AR)
        kept = [l for l in head if l not in forged]
        body = ["", "Authentication-Results: mx.portcullis.test; spf=pass (in the body, kept)",
                "bye"]
        sent = CRLF.join(l.encode() for l in head + body) + CRLF
        expected = CRLF.join(l.encode() for l in kept + body) + CRLF
        d = self.deliver(self.gate_, "a@spf-fail.test", sent, original=expected)
        # Ours says what we found, not what the forgeries claimed.
        self.assertAuth(d, "spf", "fail", smtp_mailfrom=mailfrom_of("spf-fail.test"))
        self.assertAuth(d, "dkim", "none")
        others = [v for sid, _, v in d.auth_results_fields() if sid.lower() != AUTHSERV]
        self.assertEqual(others, [KEPT_AR[0].split(": ", 1)[1], KEPT_AR[1].split(": ", 1)[1]],
                         d.show())


# --- portcullis scan --json --------------------------------------------------------------------

class ScanAuthTest(unittest.TestCase):
    """The "auth" section and the symbols of `portcullis scan --json`."""

    @classmethod
    def setUpClass(cls):
        cls.dir = make_tempdir("auth-scan")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.config = os.path.join(cls.dir, "auth.yaml")
        with open(cls.config, "w") as f:
            f.write(to_yaml(gate_config(free_port(), free_port(),
                                        **auth_overrides(Env.dns.address))))

    def scan(self, msg, mail_from, helo=CLIENT_HELO, name="message.eml"):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(msg)
        args = ["scan", "--config", self.config, "--client-ip", "127.0.0.1", "--helo", helo,
                "--mail-from", mail_from, "--rcpt", RCPT, "--json", "--", path]
        run = run_cli(args)
        shown = "portcullis %s\nexit %d\nstdout: %s\nstderr: %s" % (
            " ".join(args), run.returncode, run.stdout.decode("utf-8", "replace"),
            run.stderr.decode("utf-8", "replace"))
        self.assertEqual(run.returncode, 0, shown)
        lines = run.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1, shown)
        got = json.loads(lines[0])
        self.assertIn("auth", got, shown)
        return got, shown

    def symbols(self, got):
        return [s["name"] for s in got["symbols"]]

    def test_aligned_dkim_pass_spf_fail(self):
        signed = sign_rsa(make_message("a@signed.test", "scan aligned dkim"),
                          domain="signed.test")
        got, shown = self.scan(signed, "a@signed.test")
        auth = got["auth"]
        self.assertEqual(set(auth), {"spf", "dkim", "dmarc"}, shown)

        spf = auth["spf"]
        self.assertLessEqual({"result", "domain", "reason"}, set(spf), shown)
        self.assertEqual((spf["result"], spf["domain"]), ("fail", "signed.test"), shown)
        self.assertIsInstance(spf["reason"], str, shown)

        self.assertEqual(len(auth["dkim"]), 1, shown)
        sig = auth["dkim"][0]
        self.assertLessEqual({"domain", "selector", "algorithm", "result", "reason"}, set(sig),
                             shown)
        self.assertEqual((sig["domain"], sig["selector"], sig["algorithm"], sig["result"]),
                         ("signed.test", "rsa2048", "rsa-sha256", "pass"), shown)

        dmarc = auth["dmarc"]
        self.assertLessEqual({"result", "policy", "applied", "domain", "reason"}, set(dmarc),
                             shown)
        self.assertEqual((dmarc["result"], dmarc["policy"], dmarc["applied"], dmarc["domain"]),
                         ("pass", "reject", "none", "signed.test"), shown)

        names = self.symbols(got)
        for s in ("SPF_FAIL", "DKIM_VALID", "DMARC_PASS"):
            self.assertIn(s, names, shown)
        self.assertEqual(got["action"] in ("accept", "add_header"), True, shown)

    def test_dmarc_reject(self):
        got, shown = self.scan(make_message("a@reject.test", "scan reject"), "a@reject.test")
        self.assertEqual((got["action"], got["stage"]), ("reject", "end_of_message"), shown)
        self.assertRegex(got["reply"], r"^550 5\.7\.1 ", shown)
        self.assertIn("dmarc", got["reply"].lower(), shown)
        auth = got["auth"]
        self.assertEqual(auth["spf"]["result"], "fail", shown)
        self.assertEqual(auth["dkim"], [], shown)
        dmarc = auth["dmarc"]
        self.assertEqual((dmarc["result"], dmarc["policy"], dmarc["applied"], dmarc["domain"]),
                         ("fail", "reject", "reject", "reject.test"), shown)
        names = self.symbols(got)
        for s in ("SPF_FAIL", "DKIM_NONE", "DMARC_POLICY_REJECT"):
            self.assertIn(s, names, shown)

    def test_ed25519_and_tampered_rsa(self):
        msg = sign_rsa(sign_ed25519(make_message("a@dkim.test", "scan two signatures")))
        tampered = msg.replace(b"the sender", b"the SENDER")
        got, shown = self.scan(tampered, "a@spf-pass.test")
        auth = got["auth"]
        self.assertEqual(auth["spf"]["result"], "pass", shown)
        by_selector = {s["selector"]: s for s in auth["dkim"]}
        self.assertEqual(set(by_selector), {"rsa2048", "ed25519"}, shown)
        # The body changed after both signatures: neither body hash matches.
        self.assertEqual(by_selector["ed25519"]["algorithm"], "ed25519-sha256", shown)
        self.assertEqual(by_selector["rsa2048"]["result"], "fail", shown)
        self.assertEqual(by_selector["ed25519"]["result"], "fail", shown)
        self.assertIn("DKIM_INVALID", self.symbols(got), shown)
        self.assertIn("SPF_PASS", self.symbols(got), shown)
        self.assertEqual(auth["dmarc"]["result"], "none", shown)
        self.assertIn("DMARC_NONE", self.symbols(got), shown)

    def test_spf_softfail_symbol(self):
        got, shown = self.scan(make_message("a@spf-softfail.test", "scan softfail"),
                               "a@spf-softfail.test")
        self.assertEqual((got["auth"]["spf"]["result"], got["auth"]["spf"]["domain"]),
                         ("softfail", "spf-softfail.test"), shown)
        self.assertIn("SPF_SOFTFAIL", self.symbols(got), shown)


if __name__ == "__main__":
    unittest.main()
