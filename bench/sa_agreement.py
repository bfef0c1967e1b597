#!/usr/bin/python3
"""How often our import of SpamAssassin's rules hits what SpamAssassin 4.0.1 hits.

For every message of the corpus and every imported rule, the pair agrees when both or
neither hit. Ground truth is SpamAssassin itself, run locally (bench/sa_truth.pl: no network
tests, no Bayes; every rule hit including score-0 and `__` sub-rules). Ours is
`portcullis rules test --rules DIR --json MESSAGE...` on the YAML that
`portcullis rules import-sa` wrote: one JSON object per message,
  {"file": ..., "hits": [{"id": ..., "target": ..., "offset": ..., "snippet": ...,
   "subrule": true?}, ...], "score": ..., "action": ...}

Prints the pair agreement in %, then the more telling figures: hits SpamAssassin has that
we miss and hits we have that it lacks, per rule, worst first.

  bench/sa_agreement.py                      # import, run both, report
  bench/sa_agreement.py --rules DIR          # use an existing import
  bench/sa_agreement.py --ours-json F --truth-json F   # compare saved outputs
  bench/sa_agreement.py --self-test          # check the parsing on hand-made JSON

Python standard library only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CORPUS = os.path.join(HERE, "corpus", "sa")


def corpus_files(corpus_dir, external_list):
    files = sorted(os.path.join(corpus_dir, f) for f in os.listdir(corpus_dir) if f.endswith(".eml"))
    if external_list and os.path.exists(external_list):
        with open(external_list, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                path = line if os.path.isabs(line) else os.path.normpath(os.path.join(ROOT, line))
                if os.path.exists(path):
                    files.append(path)
                else:
                    print(f"note: {path} not found, left out", file=sys.stderr)
    return files


ID_LINE = re.compile(r"^- id: ([A-Za-z_][A-Za-z0-9_]*)\s*$")


def imported_ids(rules_dir):
    """The rule ids of the YAML files import-sa wrote (`- id: NAME` lines: our writer's form)."""
    ids = set()
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(rules_dir, name), encoding="utf-8") as f:
            for line in f:
                m = ID_LINE.match(line)
                if m:
                    ids.add(m.group(1))
    return ids


def parse_truth(lines):
    """sa_truth.pl output → {file: set of rule names hit (tests and sub-tests)}."""
    out = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        out[obj["file"]] = set(obj.get("tests", [])) | set(obj.get("subtests", []))
    return out


def parse_ours(lines):
    """`rules test --json` output → {file: set of rule ids hit (sub-rules included)}.

    Tolerates lines that are not JSON objects (log lines) and repeated hits of one rule."""
    out = {}
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        obj = json.loads(line)
        hits = obj.get("hits", [])
        out[obj["file"]] = {h["id"] for h in hits if isinstance(h, dict) and "id" in h}
    return out


def compare(truth, ours, ids):
    """Pairs (message, rule) over the messages both sides report and the imported ids."""
    files = sorted(set(truth) & set(ours))
    missing = sorted(set(truth) ^ set(ours))
    per_rule = {}  # id -> [both, sa_only, ours_only]
    agree = total = 0
    for f in files:
        sa_hits = truth[f] & ids
        our_hits = ours[f] & ids
        for rule in sa_hits | our_hits:
            counts = per_rule.setdefault(rule, [0, 0, 0])
            if rule in sa_hits and rule in our_hits:
                counts[0] += 1
            elif rule in sa_hits:
                counts[1] += 1
            else:
                counts[2] += 1
        disagree = len(sa_hits ^ our_hits)
        total += len(ids)
        agree += len(ids) - disagree
    both = sum(c[0] for c in per_rule.values())
    sa_only = sum(c[1] for c in per_rule.values())
    ours_only = sum(c[2] for c in per_rule.values())
    return {
        "messages": len(files),
        "messages_missing_on_one_side": missing,
        "rules": len(ids),
        "pairs": total,
        "pairs_agree": agree,
        "pair_agreement_pct": 100.0 * agree / total if total else 100.0,
        "hits_both": both,
        "hits_sa_only": sa_only,
        "hits_ours_only": ours_only,
        # Of the pairs where at least one side hits, how many both hit: the figure the
        # all-quiet pairs cannot inflate.
        "hit_agreement_pct": 100.0 * both / (both + sa_only + ours_only) if (both + sa_only + ours_only) else 100.0,
        "per_rule": per_rule,
    }


def report(result, top=25):
    lines = [
        f"messages compared: {result['messages']}  imported rules: {result['rules']}",
        f"(message, rule) pairs: {result['pairs']}, agree: {result['pairs_agree']} "
        f"({result['pair_agreement_pct']:.2f}%)",
        f"hits: both {result['hits_both']}, SpamAssassin only {result['hits_sa_only']}, "
        f"ours only {result['hits_ours_only']} (agreement among hits: {result['hit_agreement_pct']:.1f}%)",
    ]
    if result["messages_missing_on_one_side"]:
        lines.append("messages only one side reported: " + ", ".join(result["messages_missing_on_one_side"]))
    per_rule = result["per_rule"]
    worst = sorted(per_rule.items(), key=lambda kv: (-(kv[1][1] + kv[1][2]), kv[0]))
    worst = [kv for kv in worst if kv[1][1] + kv[1][2] > 0][:top]
    if worst:
        lines.append(f"\ntop offenders (rule: both / SA only / ours only):")
        for rule, (b, s, o) in worst:
            lines.append(f"  {rule}: {b} / {s} / {o}")
    return "\n".join(lines)


def run_truth(files, sa_rules):
    cmd = ["/usr/bin/perl", os.path.join(HERE, "sa_truth.pl")]
    if sa_rules:
        cmd += ["--rules", sa_rules]
    proc = subprocess.run(cmd + files, capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()


def run_ours(portcullis, rules_dir, files, cache_dir=None):
    cache = ["--cache-dir", cache_dir] if cache_dir else []
    proc = subprocess.run([portcullis, "rules", "test", "--rules", rules_dir, "--json"] + cache + files,
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"{portcullis} rules test failed ({proc.returncode}): {proc.stderr.strip()[:2000]}")
    return proc.stdout.splitlines()


def self_test():
    truth = parse_truth([
        '{"file": "a.eml", "tests": ["GTUBE", "NO_RELAYS"], "subtests": ["__HAS_FROM"], "score": 1000}',
        '{"file": "b.eml", "tests": [], "subtests": ["__HAS_FROM"], "score": 0}',
    ])
    ours = parse_ours([
        "2024-03-04 10:00:00 info: loaded 3 rules",  # a log line, ignored
        json.dumps({"file": "a.eml", "hits": [
            {"id": "GTUBE", "target": "body", "offset": 0, "snippet": "[XJS*C4J...]"},
            {"id": "__HAS_FROM", "target": "header:from", "offset": 0, "snippet": "x", "subrule": True},
            {"id": "__HAS_FROM", "target": "header:from", "offset": 3, "snippet": "y", "subrule": True},
        ], "score": 1000, "action": "reject"}),
        json.dumps({"file": "b.eml", "hits": [
            {"id": "EXTRA", "target": "body", "offset": 5, "snippet": "z"}], "score": 1, "action": "accept"}),
    ])
    assert truth == {"a.eml": {"GTUBE", "NO_RELAYS", "__HAS_FROM"}, "b.eml": {"__HAS_FROM"}}, truth
    assert ours == {"a.eml": {"GTUBE", "__HAS_FROM"}, "b.eml": {"EXTRA"}}, ours
    ids = {"GTUBE", "__HAS_FROM", "EXTRA", "QUIET"}  # NO_RELAYS is an eval: not imported
    r = compare(truth, ours, ids)
    assert r["pairs"] == 8, r
    # a: all 4 agree; b: __HAS_FROM (SA only) and EXTRA (ours only) disagree.
    assert r["pairs_agree"] == 6, r
    assert (r["hits_both"], r["hits_sa_only"], r["hits_ours_only"]) == (2, 1, 1), r
    assert r["per_rule"]["__HAS_FROM"] == [1, 1, 0] and r["per_rule"]["EXTRA"] == [0, 0, 1], r
    text = report(r)
    assert "75.00%" in text and "__HAS_FROM: 1 / 1 / 0" in text, text
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "20_x.yaml"), "w", encoding="utf-8") as f:
            f.write("# comment\n\n# 20_x.cf:1\n- id: A_RULE\n  pattern: '- id: NOT_AN_ID'\n- id: __B\n")
        assert imported_ids(d) == {"A_RULE", "__B"}, imported_ids(d)
    print("self-test ok")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--portcullis", default=os.path.join(ROOT, "build", "portcullis"))
    ap.add_argument("--sa-rules", default="/usr/share/spamassassin", help="SpamAssassin rules to import and run")
    ap.add_argument("--rules", help="an existing import-sa output (else imported into a temporary directory)")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--external", default=os.path.join(DEFAULT_CORPUS, "EXTERNAL.txt"))
    ap.add_argument("--truth-json", help="saved sa_truth.pl output (else run it)")
    ap.add_argument("--save-truth", help="write sa_truth.pl output here")
    ap.add_argument("--ours-json", help="saved `rules test --json` output (else run it)")
    ap.add_argument("--json", help="write the result as JSON here")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--require-pairs", type=float, metavar="PCT",
                    help="exit 1 when the (message, rule) pair agreement is below PCT")
    ap.add_argument("--require-hits", type=float, metavar="PCT",
                    help="exit 1 when the agreement among hits is below PCT")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return

    files = corpus_files(args.corpus, args.external)
    with tempfile.TemporaryDirectory() as tmp:
        rules_dir = args.rules
        if not rules_dir:
            rules_dir = os.path.join(tmp, "rules")
            # One compile: import-sa's (it counts the engines) fills the cache `rules test` reads.
            proc = subprocess.run([args.portcullis, "rules", "import-sa", args.sa_rules, "--output", rules_dir,
                                   "--cache-dir", os.path.join(tmp, "cache")],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"import-sa failed ({proc.returncode}): {proc.stderr.strip()[:2000]}")
            print(proc.stdout.strip().split("\nskipped rules:")[0])
        ids = imported_ids(rules_dir)
        if args.truth_json:
            with open(args.truth_json, encoding="utf-8") as f:
                truth_lines = f.read().splitlines()
        else:
            truth_lines = run_truth(files, None if args.sa_rules == "/usr/share/spamassassin" else args.sa_rules)
            if args.save_truth:
                with open(args.save_truth, "w", encoding="utf-8") as f:
                    f.write("\n".join(truth_lines) + "\n")
        if args.ours_json:
            with open(args.ours_json, encoding="utf-8") as f:
                ours_lines = f.read().splitlines()
        else:
            ours_lines = run_ours(args.portcullis, rules_dir, files, os.path.join(tmp, "cache"))
        result = compare(parse_truth(truth_lines), parse_ours(ours_lines), ids)
    print(report(result, args.top))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({**result, "per_rule": {k: v for k, v in sorted(result["per_rule"].items())}}, f, indent=1)
    failed = []
    if args.require_pairs is not None and result["pair_agreement_pct"] < args.require_pairs:
        failed.append("pair agreement %.2f%% < %.2f%%" % (result["pair_agreement_pct"], args.require_pairs))
    if args.require_hits is not None and result["hit_agreement_pct"] < args.require_hits:
        failed.append("hit agreement %.2f%% < %.2f%%" % (result["hit_agreement_pct"], args.require_hits))
    if result["messages_missing_on_one_side"]:
        failed.append("%d message(s) missing on one side" % len(result["messages_missing_on_one_side"]))
    if failed and (args.require_pairs is not None or args.require_hits is not None):
        sys.exit("FAILED: " + "; ".join(failed))


if __name__ == "__main__":
    main()
