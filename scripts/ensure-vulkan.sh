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

scripts_dir=$(dirname "$0")
"$scripts_dir/apt-install.sh" "No Vulkan driver found (Mesa's lavapipe runs Vulkan on the CPU)" \
    mesa-vulkan-drivers libvulkan1
have_icd && have_loader && exit 0
echo "installed mesa-vulkan-drivers and libvulkan1 but still no Vulkan driver is visible" >&2
exit 1
