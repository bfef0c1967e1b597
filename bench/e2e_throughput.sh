#!/bin/bash
# End-to-end throughput, smtp-source -> smtp-sink versus smtp-source -> portcullis -> smtp-sink.
# One command:   bench/e2e_throughput.sh [--quick] [--binary PATH] [--help]
# The work is done by e2e_throughput.py (same options); see bench/RESULTS.md.
exec /usr/bin/python3 "$(dirname "$(readlink -f "$0")")/e2e_throughput.py" "$@"
