#!/usr/bin/env bash
# Replays every fuzz target's corpus (Fuzz/<Name>/corpus/): each input once, through the same
# code libFuzzer runs, built normally (no fuzzer runtime). No fuzzing happens in CI; a crash,
# an invariant failure or a hang (timeout) fails the job.
#
#   scripts/ci-fuzz-replay.sh                          # debug build into .build (shared with scripts/test.sh)
#   FUZZ_SANITIZE=address scripts/ci-fuzz-replay.sh    # the replay under AddressSanitizer too
#   FUZZ_SCRATCH=.build-x scripts/ci-fuzz-replay.sh    # another scratch directory
#
# Fuzzing locally (libFuzzer, about 1000 inputs/s for InputFuzzer on one core):
#
#   swift build -c debug --product InputFuzzer --scratch-path .build-fuzz --disable-default-traits \
#       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
#   mkdir -p /tmp/corpus && cp Fuzz/InputFuzzer/corpus/* /tmp/corpus/
#   .build-fuzz/debug/InputFuzzer -max_total_time=600 -dict=Fuzz/InputFuzzer/InputFuzzer.dict \
#       -max_len=4096 -timeout=10 /tmp/corpus
#   # then keep a minimized corpus (keep it small, < 2 MB):
#   .build-fuzz/debug/InputFuzzer -merge=1 Fuzz/InputFuzzer/corpus /tmp/corpus
#
# -DFUZZING makes `main` hand over to libFuzzer (see Fuzz/InputFuzzer/InputFuzzer.swift);
# --disable-default-traits leaves jemalloc out, as ASan brings its own allocator.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

flags=(--scratch-path "${FUZZ_SCRATCH:-.build}")
if [ -n "${FUZZ_SANITIZE:-}" ]; then
  flags=(--sanitize="$FUZZ_SANITIZE" --disable-default-traits --scratch-path "${FUZZ_SCRATCH:-.build-replay-$FUZZ_SANITIZE}")
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,interactive=no}"

status=0
for dir in Fuzz/*/; do
  name=$(basename "$dir")
  [ -d "$dir/corpus" ] || continue
  start=$SECONDS
  swift build --product "$name" "${flags[@]}"
  binary="$(swift build --product "$name" "${flags[@]}" --show-bin-path)/$name"
  inputs=$(find "$dir/corpus" -type f | wc -l)
  echo "== $name: replaying $inputs inputs ($(du -sk "$dir/corpus" | cut -f1) KiB)"
  if timeout 600 "$binary" "$dir/corpus"; then
    echo "== $name: ok in $((SECONDS - start)) s (build included)"
  else
    echo "== $name: FAILED (exit $?); replay one input with: $binary <file>" >&2
    status=1
  fi
done
exit $status
