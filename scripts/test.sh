#!/usr/bin/env bash
# The whole test suite (golden cases from PyTorch, gradchecks, graph-memory and allocator counts,
# trap messages), once on each path this machine can run (Note [Every CPU's paths] in
# Sources/TensorCore/Kernels/AVX512.swift), so that green here means green on the other machine
# kinds too:
#
#   1. debug build, the kernels this CPU picks (AVX-512: OpenBLAS's SkylakeX kernels; AVX2:
#      Haswell). The own sgemm kernel is off in a debug build (its C is unoptimized).
#   2. debug build with TENSORCORE_ISA=avx2: what an AVX2-only CPU runs (OpenBLAS's Haswell
#      kernels, none of the library's AVX-512 kernels), on any CPU.
#   3. release build, what users run: the own sgemm kernel on where the CPU has AVX-512, the
#      memory-regression counts of an optimized build, trap messages under -O.
#   4. release build with TENSORCORE_ISA=avx2, the convolution and CNN tests only: the AVX2
#      implicit convolution kernels, which run only in optimized builds.
#
# Every pass runs even when an earlier one fails; the script exits non-zero if any failed.
# Arguments go to every `swift test` (e.g. --filter ThreadCountTests).
# Time on 2 cores, from clean: about 6 minutes (the release build is most of it).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
swift build --build-tests || exit 1

passed=0; failed=()
pass() {
  local name="$1"; shift
  echo; echo "== test.sh: $name"
  if "$@"; then passed=$((passed + 1)); else failed+=("$name"); fi
}
pass "debug, this CPU's kernels" swift test --skip-build "$@"
pass "debug, an AVX2-only CPU's kernels (TENSORCORE_ISA=avx2)" env TENSORCORE_ISA=avx2 swift test --skip-build "$@"
pass "release" swift test -c release "$@"
# The AVX2 convolution kernels run only in optimized builds (as the AVX-512 ones): on an AVX-512
# machine the pass above takes those, so the convolution and CNN tests run again as an AVX2-only
# CPU would (ConvolutionKernelTests also forces every path in every pass).
pass "release, an AVX2-only CPU's convolutions (TENSORCORE_ISA=avx2)" \
  env TENSORCORE_ISA=avx2 swift test -c release --filter 'Conv|DigitsCNN'

echo
for name in "${failed[@]}"; do echo "test.sh: FAILED: $name"; done
echo "test.sh passes: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
