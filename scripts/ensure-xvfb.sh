#!/usr/bin/env bash
# Makes sure a virtual X server (Xvfb) and the X client libraries the viewer's window system
# (winit) loads at run time are present, for the viewer's tests on machines without a display.
# Without them, on Debian/Ubuntu as root (or with sudo), installs them; otherwise prints what to
# install and fails. The viewer test calls this itself, so `make test` needs nothing else.
set -euo pipefail

# Libraries winit opens with dlopen on X11 (no link-time dependency, so cargo cannot notice).
libs="libX11.so.6 libX11-xcb.so.1 libXcursor.so.1 libXrandr.so.2 libXi.so.6 libxkbcommon-x11.so.0"

have_lib() {
    { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q "$1" && return 0
    compgen -G "/usr/lib/*/$1" >/dev/null || compgen -G "/usr/lib/$1" >/dev/null || compgen -G "/usr/lib64/$1" >/dev/null
}
have_all() {
    command -v Xvfb >/dev/null || return 1
    local lib
    for lib in $libs; do
        have_lib "$lib" || return 1
    done
}

if have_all; then
    exit 0
fi

scripts_dir=$(dirname "$0")
"$scripts_dir/apt-install.sh" "The viewer tests need a virtual X server (Xvfb) and X11 client libraries" \
    xvfb libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
have_all && exit 0
echo "installed Xvfb but Xvfb or an X client library is still missing" >&2
exit 1
