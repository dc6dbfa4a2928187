#!/usr/bin/env bash
# The main job: PyTorch's autograd tutorial in Swift, then training an MLP on the digits data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tensorbench
.build/release/tensorbench seed
echo
.build/release/tensorbench train "$@"
