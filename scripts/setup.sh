#!/usr/bin/env bash
# Everything a fresh Debian bookworm machine needs beyond Node: WebGPU (Mesa lavapipe from
# bookworm-backports, see setup-webgpu.sh), ffmpeg (video decoding for `wgtensor classify`) and
# Chromium (the browser tests drive it headless with WebGPU; see test/browser/).
# Idempotent and quick when already done. Needs root (or sudo) the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/setup-webgpu.sh"
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v chromium >/dev/null || missing+=(chromium)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: ffmpeg $(ffmpeg -version | head -n 1 | awk '{print $3}') and $(chromium --version 2>/dev/null | head -n 1) already installed"
  exit 0
fi
if ! grep -qs "bookworm" /etc/os-release; then
  echo "setup: not Debian bookworm; install ${missing[*]} yourself (wgtensor classify, the browser tests)" >&2
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: need root to install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
echo "setup: installed ${missing[*]}: ffmpeg $(ffmpeg -version | head -n 1 | awk '{print $3}'), $(chromium --version 2>/dev/null | head -n 1)"
