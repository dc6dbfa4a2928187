#!/usr/bin/env bash
# The whole test suite (debug build) under ThreadSanitizer, then under AddressSanitizer.
# Exits non-zero on a failing test or on any sanitizer report (a report stops the run:
# halt_on_error).
#
#   scripts/ci-sanitizers.sh              # both
#   scripts/ci-sanitizers.sh thread       # one of: thread, address
#   SANITIZER_SCRATCH=/tmp/san scripts/ci-sanitizers.sh   # where the builds go
#
# Notes:
# - Built with --disable-default-traits, i.e. without the Jemalloc trait: a sanitizer replaces
#   malloc/free with its own, and jemalloc would be a second allocator under it. Tests that need
#   jemalloc's statistics skip themselves (Allocator.hasStatistics is false there).
# - Each sanitizer builds into its own scratch directory (they can't share object files).
# - Trap tests (expectTrap) re-run the test binary in a child process; the children inherit the
#   options below, and a deliberate trap is a SIGILL, which neither sanitizer intercepts.
# - LeakSanitizer is off: the Swift runtime's metadata caches and the main thread's
#   per-thread contexts (never destroyed at exit) are reported as leaks by design.
# - Time on 2 cores, from clean: about 4.5 minutes for both (thread: 1.5-2 min to build, 1.2 to
#   run; address: 1 min to build, 0.5 to run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

scratch="${SANITIZER_SCRATCH:-.build-sanitizers}"
if [ $# -eq 0 ]; then sanitizers=(thread address); else sanitizers=("$@"); fi

export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export ASAN_OPTIONS="halt_on_error=1:exitcode=66:detect_leaks=0:check_initialization_order=1:strict_init_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# The backtracer would symbolicate each deliberate trap of the trap tests for seconds.
export SWIFT_BACKTRACE="enable=no"

status=0
for sanitizer in "${sanitizers[@]}"; do
  case "$sanitizer" in thread|address) ;; *) echo "unknown sanitizer $sanitizer" >&2; exit 2 ;; esac
  flags=(--sanitize="$sanitizer" --disable-default-traits --scratch-path "$scratch/$sanitizer")
  log="$scratch/$sanitizer.log"
  mkdir -p "$scratch"
  echo "== $sanitizer: build"
  start=$SECONDS
  swift build --build-tests "${flags[@]}"
  echo "== $sanitizer: test (built in $((SECONDS - start)) s)"
  start=$SECONDS
  set +e
  swift test --skip-build "${flags[@]}" 2>&1 | tee "$log" | grep -E "^Test Suite '.*' (passed|failed)|error:|Sanitizer"
  result=${PIPESTATUS[0]}
  set -e
  echo "== $sanitizer: tests ran in $((SECONDS - start)) s, exit status $result"
  if grep -qE "(ThreadSanitizer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error):" "$log"; then
    echo "== $sanitizer: sanitizer report(s) in $log:" >&2
    grep -E -A30 "WARNING: ThreadSanitizer|ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log" | head -200 >&2
    status=1
  elif [ "$result" -ne 0 ]; then
    echo "== $sanitizer: tests failed (see $log)" >&2
    status=1
  else
    grep -E "Executed [0-9]+ tests" "$log" | tail -1
  fi
done
exit $status
