#!/bin/bash
# Runs inside the new root (mmdebstrap --customize-hook, as chroot "$1"):
# makes the tree follow every Linux rule of REQUIREMENTS.md that can hold
# on Debian, and cleans it as the guide's step 3 says.
set -euo pipefail
root="$1"
inroot() { chroot "$root" "$@"; }
. "$(dirname "$0")/recipe.conf"

# Locale, else cloud-init's locale module fails on first boot.
echo "en_US.UTF-8 UTF-8" > "$root/etc/locale.gen"
inroot locale-gen
echo "LANG=en_US.UTF-8" > "$root/etc/default/locale"

# Boot loader, exactly as the guide says, plus GRUB on the serial line.
grub="$root/etc/default/grub"
sed -i '/^GRUB_TIMEOUT_STYLE/d' "$grub"
sed -i 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=5/' "$grub"
sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8"/' "$grub"
sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=""/' "$grub"
cat >> "$grub" <<'GRUB'
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB
rm -f "$root/etc/default/grub.d/50-cloudimg-settings.cfg"

# Kernel modules, as the guide writes them.
printf 'blacklist nouveau\noptions nouveau modeset=0\n' > "$root/etc/modprobe.d/blacklist-nouv.conf"
echo 'softdep mlx5_core pre: virtio_net' > "$root/etc/modprobe.d/mlx5.conf"

# Interface names: no alternative names (the guide's sed).
link="$root/usr/lib/systemd/network/99-default.link"
[ -f "$link" ] && sed -i 's/^AlternativeNamesPolicy/# AlternativeNamesPolicy/' "$link"

# Root filesystem by UUID (set on the filesystem by build.sh); checked at boot.
echo "UUID=$ROOT_UUID / ext4 errors=remount-ro 0 1" > "$root/etc/fstab"

# Networking: only what cloud-init renders; loopback in interfaces.
printf 'auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n' > "$root/etc/network/interfaces"
mkdir -p "$root/etc/network/interfaces.d"

# cloud-init: NoCloud (the review seed) and ConfigDrive, nothing that
# probes the network for a metadata service.
cat > "$root/etc/cloud/cloud.cfg.d/90-datasources.cfg" <<'CFG'
datasource_list: [NoCloud, ConfigDrive, None]
CFG

# Services: auditd on, ssh on; no firewalld is installed.
inroot systemctl enable auditd ssh
inroot systemctl enable serial-getty@ttyS0.service

# The initramfs, made again with every file above in place (the modprobe
# options). Its fsck hook would look the root's type up through the device,
# which this chroot does not have: it is told, for this run only. Natively
# here it takes seconds; in the libguestfs appliance under TCG, minutes.
fstype="$root/etc/initramfs-tools/conf.d/zz-fixture-build-fstype"
echo "FSTYPE=ext4" > "$fstype"
inroot update-initramfs -u -k all
rm -f "$fstype"

# Cleaning: identity, keys, credentials, caches, logs, history.
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*
echo localhost > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n' > "$root/etc/hosts"
inroot usermod -p '*' root
rm -rf "$root/root/.ssh" "$root/root/.bash_history"
rm -rf "$root"/var/lib/cloud/* "$root"/var/log/cloud-init*.log
rm -f "$root/etc/netplan/50-cloud-init.yaml" "$root/etc/sysctl.d/99-cloudimg-ipv6.conf"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
find "$root/var/log" -type f -exec truncate -s 0 {} +
