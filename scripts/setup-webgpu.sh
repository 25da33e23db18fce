#!/usr/bin/env bash
# Installs what WebGPU needs on Debian bookworm: Mesa's lavapipe (Vulkan on the CPU) from
# bookworm-backports, whose Mesa 25.x Dawn accepts (stock bookworm Mesa 22.3 lacks features
# Dawn requires). The backports source is derived from the machine's own Debian source, so no
# mirror host is hard-coded. Idempotent: quick when already done. Needs root (or sudo).
set -euo pipefail

want_major=24
have=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [[ -n "$have" && "${have%%.*}" -ge "$want_major" ]]; then
  echo "setup-webgpu: mesa-vulkan-drivers $have already installed"
  exit 0
fi

if [[ ! -r /etc/debian_version ]] || ! grep -qs "bookworm" /etc/os-release; then
  echo "setup-webgpu: not Debian bookworm; install a Vulkan driver (e.g. Mesa lavapipe >= $want_major) yourself" >&2
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup-webgpu: need root to install mesa-vulkan-drivers from bookworm-backports" >&2
    exit 1
  fi
fi

target=/etc/apt/sources.list.d/wgtensor-bookworm-backports.sources
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri=""
  keyring=""
  # deb822 sources: the stanza that serves the plain "bookworm" suite.
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    stanza=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ && !/bookworm-security/ {print; exit}' "$f")
    if [[ -n "$stanza" ]]; then
      uri=$(printf '%s\n' "$stanza" | awk '/^URIs:/ {print $2; exit}')
      keyring=$(printf '%s\n' "$stanza" | awk '/^Signed-By:/ {print $2; exit}')
      break
    fi
  done
  # One-line sources: "deb URI bookworm main".
  if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
    uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
  fi
  if [[ -z "$uri" ]]; then
    echo "setup-webgpu: found no Debian bookworm apt source to derive bookworm-backports from" >&2
    exit 1
  fi
  echo "setup-webgpu: adding bookworm-backports from $uri"
  {
    echo "Types: deb"
    echo "URIs: $uri"
    echo "Suites: bookworm-backports"
    echo "Components: main"
    [[ -n "$keyring" ]] && echo "Signed-By: $keyring"
  } | $SUDO tee "$target" >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
echo "setup-webgpu: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
