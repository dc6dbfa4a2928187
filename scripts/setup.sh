#!/usr/bin/env bash
# Installs what building this package needs and is missing: Debian's OpenBLAS and jemalloc
# development packages and pkg-config. Safe to run again; does nothing when all is there.
set -euo pipefail

need=()
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
pkg-config --exists jemalloc 2>/dev/null || need+=(libjemalloc-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" pkg-config >/dev/null
fi

command -v swift >/dev/null 2>&1 || { echo "setup: Swift 6.1 or newer must be on PATH (https://swift.org/install)"; exit 1; }
