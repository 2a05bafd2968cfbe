#!/usr/bin/env bash
# Install the Debian packages `make test` needs when they are missing: PostgreSQL (the
# database of CI and production), Chromium (browser tests), gettext (message catalogues),
# Node.js and npm (axe-core for the accessibility tests), fonts-noto-core (the fonts of the
# public languages). Runs apt-get as root, or with sudo.
set -euo pipefail

missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || [ -x /usr/lib/postgresql/*/bin/postgres ] 2>/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# Noto Sans Ethiopic, Noto Naskh Arabic and Noto Sans, subset into the static files by
# scripts/build-fonts.sh for Tigrinya, Dari, Pashto and Ukrainian.
[ -f /usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf ] || missing+=(fonts-noto-core)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "error: need root or sudo to install ${missing[*]} with apt-get" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
