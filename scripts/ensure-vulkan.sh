#!/usr/bin/env bash
# Makes sure a Vulkan driver is present before anything touches the GPU. Without one, on
# Debian/Ubuntu as root (or with sudo), installs Mesa's lavapipe (a CPU Vulkan driver);
# otherwise prints what to install and fails.
set -euo pipefail

have_icd() {
    local d
    for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
        compgen -G "$d/*.json" >/dev/null 2>&1 && return 0
    done
    [ -n "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]
}
have_loader() { ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; }

if have_icd && have_loader; then
    exit 0
fi

packages="mesa-vulkan-drivers libvulkan1"
if [ -r /etc/debian_version ] && command -v apt-get >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo="sudo"
    else
        echo "quantsr needs a Vulkan driver. Install it with: sudo apt-get install $packages" >&2
        exit 1
    fi
    echo "No Vulkan driver found: installing $packages (Mesa's lavapipe CPU driver)" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $packages >/dev/null
    have_icd && have_loader && exit 0
    echo "installed $packages but still no Vulkan driver is visible" >&2
    exit 1
fi
echo "quantsr needs a Vulkan driver (GPU vendor driver, or Mesa's lavapipe: package" \
     "mesa-vulkan-drivers on Debian/Ubuntu, mesa-vulkan-drivers on Fedora)." >&2
exit 1
