#!/usr/bin/env bash
# The main job: PyTorch's autograd tutorial in Swift, then training an MLP on the digits data.
# Arguments go to `tensorbench train`: `--model cnn` trains the CNN on the digits, `--model
# transformer` the character-level language model on Data/words.txt (README, "Two commands").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tensorbench
.build/release/tensorbench seed
echo
.build/release/tensorbench train "$@"
