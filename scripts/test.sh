#!/usr/bin/env bash
# The whole test suite (golden cases from PyTorch, gradchecks, graph-memory counts), then once
# more with the library's own AVX-512 sgemm kernel on for every product it takes
# (TENSORCORE_SGEMM=own): a debug build leaves it off by default (SGemmKernel.isEnabled). On a
# CPU without AVX-512 the second pass runs OpenBLAS again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
echo "== the suite again with TENSORCORE_SGEMM=own"
TENSORCORE_SGEMM=own swift test --skip-build "$@"
