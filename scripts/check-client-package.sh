#!/usr/bin/env bash
# Builds, in release, the package that README.md's "Using it from your own package" shows (its
# Package.swift and main.swift, taken from the README between `<!-- client-package:... -->`
# markers), as a separate package that depends on this checkout by path, and checks, each case in
# a child process:
# - that the README's main.swift prints the output the README shows;
# - that misuse stops the program with PyTorch's message (Tests/Golden/composite.json, `errors`)
#   in a release build, where Swift's `precondition` would print nothing: two shapes that do not
#   broadcast, a matmul whose inner sizes differ, a `dim` out of range.
# A few lines in front of the README's main.swift pick the misuse from the first argument.
#
# Nothing is written inside the repository: the package lives in a temporary directory, beside a
# symlink named SwiftAutograd to this checkout (the README's `.package(path: "../SwiftAutograd")`),
# and is removed on exit. SwiftPM builds the libraries again for it, in release, from scratch:
# about 2 minutes on 2 cores (plus fetching swift-argument-parser and swift-numerics, when
# SwiftPM's cache lacks them). Needs only bash, grep, sed and awk besides Swift.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
scripts/setup.sh

fail() { echo "check-client-package: $*" >&2; exit 1; }

# The fenced block that follows the line `<!-- client-package:NAME -->` in README.md.
readme_block() {
  local block
  block=$(awk -v marker="<!-- client-package:$1 -->" '
    $0 == marker { state = 1; next }
    state == 1 && /^```/ { state = 2; next }
    state == 2 && /^```/ { exit }
    state == 2 { print }' README.md)
  [ -n "$block" ] || fail "README.md has no block after <!-- client-package:$1 -->"
  printf '%s\n' "$block"
}

# PyTorch's message for `key` in composite.json's `errors` (one line of JSON; the messages hold
# no quote or backslash, which this would not unescape).
golden_error() {
  local message
  message=$(grep -o "\"$1\":\"[^\"]*\"" Tests/Golden/composite.json | head -n 1 | sed 's/^"[^"]*":"//; s/"$//')
  [ -n "$message" ] && [[ "$message" != *\\* ]] || fail "no plain message \"$1\" in Tests/Golden/composite.json"
  printf '%s' "$message"
}

start=$SECONDS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-client-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ln -s "$repo" "$tmp/SwiftAutograd"

manifest=$(readme_block Package.swift)
name=$(printf '%s\n' "$manifest" | sed -n 's/.*executableTarget(name: "\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$name" ] || fail "the README's Package.swift has no executableTarget(name: ...)"
client="$tmp/$name"
mkdir -p "$client/Sources/$name"
printf '%s\n' "$manifest" > "$client/Package.swift"
{
  cat <<'SWIFT'
// Added by scripts/check-client-package.sh: the misuse named by the first argument, which must stop
// the program with PyTorch's message. Without an argument, the README's main.swift below runs.
import Autograd
switch CommandLine.arguments.dropFirst().first {
case "broadcast": _ = Tensor<Float>.ones([3]) + Tensor<Float>.ones([4])
case "matmul": _ = Tensor<Float>.ones([2, 3]).matmul(Tensor<Float>.ones([4, 2]))
case "dim": _ = Tensor<Float>.ones([2, 3]).sum(dim: 2)
default: break
}

// README.md's main.swift:
SWIFT
  readme_block main.swift
} > "$client/Sources/$name/main.swift"
readme_block output > "$tmp/expected-output"

echo "check-client-package: swift build -c release in $client"
if ! swift build -c release --package-path "$client" > "$tmp/build.log" 2>&1; then
  tail -n 40 "$tmp/build.log" >&2
  fail "the client package did not build (log above)"
fi
binary="$client/.build/release/$name"
echo "check-client-package: built in $((SECONDS - start)) s"

passed=0
failed=0
# run CASE: runs the client (with CASE as its argument unless it is "example") in the temporary
# directory, leaving its status in $status and its output in $tmp/out and $tmp/err.
run() {
  local args=()
  [ "$1" = example ] || args=("$1")
  status=0
  # No backtrace: symbolicating the crash takes seconds, and the message is all that is checked.
  # The outer redirection drops bash's own "Illegal instruction" notice about the child.
  { (cd "$tmp" && TMPDIR="$tmp" SWIFT_BACKTRACE=enable=no exec "$binary" "${args[@]}") > "$tmp/out" 2> "$tmp/err"; } 2> /dev/null || status=$?
}
pass() { passed=$((passed + 1)); echo "  ok    $1"; }
miss() {
  failed=$((failed + 1)); echo "  FAIL  $1: $2"
  sed 's/^/        stdout: /' "$tmp/out"; sed 's/^/        stderr: /' "$tmp/err"
}

run example
if [ "$status" -ne 0 ]; then
  miss example "exited with status $status"
elif ! cmp -s "$tmp/out" "$tmp/expected-output"; then
  miss example "printed something other than the README's output"
  diff "$tmp/expected-output" "$tmp/out" | sed 's/^/        /' || true
else
  pass "example prints the README's output"
fi

for misuse in broadcast:broadcastPrecondition matmul:matmulPrecondition dim:dimPrecondition; do
  case=${misuse%%:*}
  message=$(golden_error "${misuse#*:}")
  run "$case"
  if [ "$status" -lt 128 ]; then
    miss "$case" "did not trap (exit status $status)"
  elif ! grep -qF -- "$message" "$tmp/err"; then
    miss "$case" "trapped (status $status), but stderr lacks \"$message\""
  else
    pass "$case: $(grep -F -m 1 -- "$message" "$tmp/err")"
  fi
done

echo "client package: $passed passed, $failed failed ($((SECONDS - start)) s)"
[ "$failed" -eq 0 ]
