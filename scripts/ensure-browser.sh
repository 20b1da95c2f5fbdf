#!/usr/bin/env bash
# The console's browser tests and screenshots drive Debian's Chromium; Chinese text needs a CJK
# font (without one every character renders as an empty box). Installs both when missing.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -i 'noto sans cjk' >/dev/null || need+=(fonts-noto-cjk)
# Clients' names and notes carry emoji; without a colour emoji font they render as boxes.
fc-list 2>/dev/null | grep -i 'noto color emoji' >/dev/null || need+=(fonts-noto-color-emoji)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "ensure-browser: please install ${need[*]} (Chromium and a CJK font)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "ensure-browser: installing ${need[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
