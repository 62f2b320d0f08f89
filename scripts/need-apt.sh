#!/usr/bin/env bash
# Usage: scripts/need-apt.sh COMMAND PACKAGE [COMMAND PACKAGE ...]
# Installs each Debian PACKAGE whose COMMAND (or, when it starts with '/', file) is missing: with apt-get when running as root,
# otherwise stops with a message naming the package to install.
set -euo pipefail
missing=()
while [ $# -ge 2 ]; do
  case "$1" in
    /*) [ -e "$1" ] || missing+=("$2") ;;
    *) command -v "$1" >/dev/null 2>&1 || missing+=("$2") ;;
  esac
  shift 2
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian package(s): ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
printf '\033[1m==> apt-get install %s\033[0m\n' "${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
