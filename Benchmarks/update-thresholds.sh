#!/usr/bin/env bash
# Rewrites Thresholds/ from a fresh run of the malloc-count benchmarks, the only ones checked
# (time and peak memory vary with the machine's load; their tolerances are empty in code).
# Review the diff of Thresholds/ and commit it with the change that moved the counts.
set -euo pipefail
cd "$(dirname "$0")"
swift package --allow-writing-to-package-directory benchmark thresholds update --no-progress --filter '.*_mallocs' "$@"
