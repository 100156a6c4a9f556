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

packages="xvfb libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0"
if [ -r /etc/debian_version ] && command -v apt-get >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo="sudo"
    else
        echo "the viewer tests need a virtual X server. Install it with: sudo apt-get install $packages" >&2
        exit 1
    fi
    echo "No Xvfb found: installing $packages (virtual X server for the viewer tests)" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null
    have_all && exit 0
    echo "installed $packages but Xvfb or an X client library is still missing" >&2
    exit 1
fi
echo "the viewer tests need a virtual X server (Xvfb) and the X11 client libraries: package" \
     "xvfb on Debian/Ubuntu, xorg-x11-server-Xvfb on Fedora, xorg-server-xvfb on Arch." >&2
exit 1
