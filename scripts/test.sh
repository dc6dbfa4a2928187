#!/usr/bin/env bash
# The whole test suite (golden cases from PyTorch, gradchecks, graph-memory counts).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
