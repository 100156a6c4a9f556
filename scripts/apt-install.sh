#!/usr/bin/env bash
# Installs Debian packages for the project's set-up scripts: `apt-install.sh WHY PACKAGE...`.
# Works as root or with passwordless sudo on Debian/Ubuntu; otherwise prints the command to run
# and fails. Exit 0 only when apt-get succeeded.
set -euo pipefail
why=$1
shift
if ! { [ -r /etc/debian_version ] && command -v apt-get >/dev/null; }; then
    echo "$why: install the equivalent of the Debian packages $* and retry" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo"
else
    echo "$why: install them with: sudo apt-get install $*" >&2
    exit 1
fi
echo "$why: installing $*" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
