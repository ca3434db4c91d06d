#!/usr/bin/env bash
# Installs SimpleSAMLphp (Debian package) and the PHP CLI it needs, for the tests that use it as a real SAML IdP
# (test/support/simplesamlphp.ts). Idempotent: does nothing when everything is already installed. Run as root.
set -euo pipefail

packages=(simplesamlphp php-cli php-xml php-mbstring php-curl)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "SimpleSAMLphp and PHP are installed ($(dpkg-query -W -f='${Version}' simplesamlphp))."
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing packages: ${missing[*]}. Run this script as root (or with sudo)." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q "${missing[@]}" >/dev/null; then
  # The package lists may be stale or missing (fresh container): refresh them once and retry.
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
fi
echo "Installed: ${missing[*]} (simplesamlphp $(dpkg-query -W -f='${Version}' simplesamlphp))."
