#!/usr/bin/env bash
# CI check: runs the malloc-count benchmarks (package-benchmark) and compares them with the
# committed Thresholds/ (strictly: the counts are deterministic). Time and peak-memory benchmarks
# are not checked (pass `--filter '.*'` to run them too; their tolerances are empty, so they never
# fail the check).
#
# Exit status: 0 when the counts equal the thresholds, or are lower (then it says so: run
# ./update-thresholds.sh and commit; STRICT=1 makes that exit 4); non-zero on a regression (more
# mallocs), a missing threshold file, a build failure, or jemalloc linked into the benchmarks.
set -uo pipefail
cd "$(dirname "$0")"

args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--filter '.*_mallocs')

swift build -c release --product AutogradBenchmarks || { echo "check-thresholds: build failed"; exit 1; }
# The malloc interposer and jemalloc crash together (SIGSEGV): the benchmarks must not link it.
if ldd .build/release/AutogradBenchmarks 2>/dev/null | grep -q jemalloc; then
  echo "check-thresholds: AutogradBenchmarks links jemalloc (through the root package?); package-benchmark's"
  echo "malloc interposer crashes with it. Keep jemalloc out of the products the benchmarks use."
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift package benchmark thresholds check --no-progress "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The plugin exits 1 for both outcomes; its error line tells which one it was.
if [ "$status" -ne 0 ] && grep -q "benchmarkThresholdImprovement" "$log" && ! grep -q "benchmarkThresholdRegression" "$log"; then
  status=4
fi
case $status in
  0) echo "check-thresholds: malloc counts equal the thresholds in Thresholds/" ;;
  4) echo "check-thresholds: malloc counts are LOWER than Thresholds/: run ./update-thresholds.sh and commit"
     [ "${STRICT:-0}" = 1 ] && exit 4
     status=0 ;;
  *) echo "check-thresholds: FAILED (exit $status): a regression above, or no thresholds or benchmarks found" ;;
esac
exit $status
