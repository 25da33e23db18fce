#!/usr/bin/env bash
# Everything a fresh Debian bookworm machine needs beyond Node: WebGPU (Mesa lavapipe from
# bookworm-backports, see setup-webgpu.sh) and ffmpeg (video decoding for `wgtensor classify`).
# Idempotent and quick when already done. Needs root (or sudo) the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/setup-webgpu.sh"
if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then
  echo "setup: ffmpeg $(ffmpeg -version | head -n 1 | awk '{print $3}') already installed"
  exit 0
fi
if ! grep -qs "bookworm" /etc/os-release; then
  echo "setup: not Debian bookworm; install ffmpeg yourself for wgtensor classify" >&2
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: need root to install ffmpeg" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null; }
echo "setup: installed ffmpeg $(ffmpeg -version | head -n 1 | awk '{print $3}')"
