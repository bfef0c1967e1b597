#!/usr/bin/python3
"""Check the shipped content rules (rules/default) against their test messages.

Runs `<build>/portcullis rules test --rules <rules> --json <messages...>` and compares each
message's result with expected.yaml next to this script. Prints every mismatch and exits 1
if there is any (2 on a usage or setup error), 0 when all messages behave as expected.

The JSON contract of `rules test --json`: one object per message, one per line:
  {"file": "...", "hits": [{"id": "...", "target": "...", "offset": N, "snippet": "...",
   "subrule": true?}], "score": X, "action": "reject|tempfail|quarantine|add_header|accept"}
Sub-rule hits (`"subrule": true`, or an id starting with "__") are ignored.

Besides the per-message expectations it checks the manifest itself: every message file has
an entry and every entry a file, every id it names exists in the rule files, and every
scored rule of the set is expected to hit in at least one message (each shipped rule has a
test message).

  check_default_rules.py --build build            # run build/portcullis
  check_default_rules.py --json-input results.jsonl   # check saved output (or - for stdin)

Standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
ACTIONS = {"reject", "tempfail", "quarantine", "add_header", "accept"}
KEYS = {"hits", "not", "only", "action", "max_score", "min_score"}


class ManifestError(Exception):
    pass


def parse_scalar(text, where):
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        if not inner:
            return []
        items = [item.strip() for item in inner.split(",")]
        for item in items:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item):
                raise ManifestError(f"{where}: bad rule id {item!r} in list")
        return items
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        return float(text)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        return text
    raise ManifestError(f"{where}: cannot read value {text!r}")


def parse_manifest(path):
    """The YAML subset expected.yaml is written in: `file.eml:` at column 0, then two-space
    indented `key: value` lines; values are flow lists of ids, numbers, true/false or a word.
    Full-line comments and blank lines are skipped."""
    entries = {}
    current = None
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            where = f"{path}:{number}"
            stripped = line.rstrip("\r\n")
            if not stripped.strip() or stripped.lstrip().startswith("#"):
                continue
            top = re.fullmatch(r"([^\s#:][^:#]*):\s*", stripped)
            if top:
                current = top.group(1).strip()
                if current in entries:
                    raise ManifestError(f"{where}: {current} listed twice")
                entries[current] = {}
                continue
            item = re.fullmatch(r"  ([a-z_]+):\s*(.*?)\s*(?:#.*)?", stripped)
            if not item or current is None:
                raise ManifestError(f"{where}: expected `file:` or `  key: value`, got {stripped!r}")
            key, value = item.group(1), parse_scalar(item.group(2), where)
            if key not in KEYS:
                raise ManifestError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(KEYS))})")
            if key in entries[current]:
                raise ManifestError(f"{where}: {key} given twice for {current}")
            if key in ("hits", "not") and not isinstance(value, list):
                raise ManifestError(f"{where}: {key} must be a list [A, B]")
            if key == "only" and not isinstance(value, bool):
                raise ManifestError(f"{where}: only must be true or false")
            if key in ("max_score", "min_score") and not isinstance(value, float):
                raise ManifestError(f"{where}: {key} must be a number")
            if key == "action" and value not in ACTIONS:
                raise ManifestError(f"{where}: action must be one of {', '.join(sorted(ACTIONS))}")
            entries[current][key] = value
    return entries


def rule_ids(rules_dir):
    """Ids of the rules in rules_dir/*.yaml, read from the `- id:` lines (no YAML parser)."""
    ids = set()
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(rules_dir, name), encoding="utf-8") as handle:
            for line in handle:
                match = re.match(r"\s*-\s+id:\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)", line)
                if match:
                    ids.add(match.group(1))
    return ids


def run_portcullis(binary, rules_dir, messages, problems):
    command = [binary, "rules", "test", "--rules", rules_dir, "--json"] + messages
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        print(f"error: {binary} not found (build it, or pass --build / --portcullis)", file=sys.stderr)
        sys.exit(2)
    except subprocess.TimeoutExpired:
        problems.append(f"{binary} rules test: no answer within 300 s")
        return ""
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        text = " | ".join(detail[-5:])
        problems.append(f"`portcullis rules test` exited with {proc.returncode}"
                        + (": " + (text if len(text) <= 400 else text[:400] + "...") if detail else ""))
    return proc.stdout


def read_results(text, problems):
    results = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"output line {number}: not JSON ({error}): {line[:120]}")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("file"), str) \
                or not isinstance(record.get("hits"), list):
            problems.append(f"output line {number}: no \"file\" string or \"hits\" list: {line[:120]}")
            continue
        name = os.path.basename(record["file"])
        if name in results:
            problems.append(f"{name}: reported twice")
        results[name] = record
    return results


def check_message(name, expect, record, problems):
    hits = set()
    for hit in record["hits"]:
        if not isinstance(hit, dict) or not isinstance(hit.get("id"), str):
            problems.append(f"{name}: malformed hit {hit!r}")
            continue
        if hit.get("subrule") or hit["id"].startswith("__"):
            continue
        hits.add(hit["id"])
    want = set(expect.get("hits", []))
    for rule in sorted(want - hits):
        problems.append(f"{name}: expected hit {rule} is missing")
    if expect.get("only"):
        for rule in sorted(hits - want):
            problems.append(f"{name}: unexpected hit {rule} (only {sorted(want) or 'nothing'} expected)")
    for rule in sorted(set(expect.get("not", [])) & hits):
        problems.append(f"{name}: {rule} hit but must not")
    score = record.get("score")
    if "max_score" in expect or "min_score" in expect:
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            problems.append(f"{name}: no numeric score in the output")
        else:
            if "max_score" in expect and score > expect["max_score"]:
                problems.append(f"{name}: score {score} above max_score {expect['max_score']:g}")
            if "min_score" in expect and score < expect["min_score"]:
                problems.append(f"{name}: score {score} below min_score {expect['min_score']:g}")
    if "action" in expect and record.get("action") != expect["action"]:
        problems.append(f"{name}: action {record.get('action')!r}, expected {expect['action']!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--build", help="build directory holding the portcullis binary (default: <repo>/build)")
    source.add_argument("--portcullis", help="path of the portcullis binary")
    source.add_argument("--json-input", help="check these saved `rules test --json` lines instead of running portcullis (- for stdin)")
    parser.add_argument("--rules", default=os.path.join(REPO, "rules", "default"))
    parser.add_argument("--messages", default=os.path.join(HERE, "messages"))
    parser.add_argument("--manifest", default=os.path.join(HERE, "expected.yaml"))
    args = parser.parse_args()

    try:
        manifest = parse_manifest(args.manifest)
    except (ManifestError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = []

    files = sorted(name for name in os.listdir(args.messages) if name.endswith(".eml"))
    for name in files:
        if name not in manifest:
            problems.append(f"{name}: no entry in {os.path.basename(args.manifest)}")
    for name in manifest:
        if name not in files:
            problems.append(f"{name}: in the manifest but not in {args.messages}")

    known = rule_ids(args.rules)
    for name, expect in manifest.items():
        for key in ("hits", "not"):
            for rule in expect.get(key, []):
                if rule not in known:
                    problems.append(f"{name}: {key} names {rule}, which no rule file defines")
                elif rule.startswith("__"):
                    problems.append(f"{name}: {key} names sub-rule {rule}; sub-rules are never reported")
    expected_somewhere = {rule for expect in manifest.values() for rule in expect.get("hits", [])}
    for rule in sorted(known - expected_somewhere):
        if not rule.startswith("__"):
            problems.append(f"rule {rule} has no test message (no manifest entry expects it to hit)")

    if args.json_input:
        stream = sys.stdin if args.json_input == "-" else open(args.json_input, encoding="utf-8")
        with stream:
            output = stream.read()
    else:
        binary = args.portcullis or os.path.join(args.build or os.path.join(REPO, "build"), "portcullis")
        output = run_portcullis(binary, args.rules, [os.path.join(args.messages, name) for name in files], problems)
    results = read_results(output, problems)

    for name in files:
        if name not in manifest:
            continue
        if name not in results:
            problems.append(f"{name}: no result in the output")
            continue
        check_message(name, manifest[name], results[name], problems)
    for name in sorted(set(results) - set(files)):
        problems.append(f"{name}: result for a file that was not asked about")

    for problem in problems:
        print(problem)
    print(f"{len(files)} messages, {len(known)} rules: "
          + (f"{len(problems)} mismatch(es)" if problems else "all as expected"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
