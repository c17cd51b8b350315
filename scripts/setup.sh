#!/usr/bin/env bash
# Installs every system package ImageGate needs, with apt-get, idempotently:
# a second run that finds everything installed changes nothing and takes
# well under a second.
set -euo pipefail

packages=(
  # Building: the C libraries the Swift package links, found by pkg-config.
  pkg-config libvirt-dev libguestfs-dev libssl-dev
  # Booting: libvirt's QEMU driver (used embedded, no daemon is started; the
  # -system package creates the libvirt-qemu user the driver expects).
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system
  qemu-system-x86 qemu-utils
  # Inspecting: libguestfs's appliance needs a kernel; guestfish builds fixtures.
  libguestfs-tools linux-image-amd64
  # Listing a guest's initramfs on the host: every compression the kernel takes.
  gzip zstd xz-utils bzip2 lz4 lzop
  # SEC-EOL: Debian's and Ubuntu's release and end-of-life dates.
  distro-info-data
  # Fixtures and seeds: Debian trees from the mirror, the fixture disk's
  # partition table and filesystem (sfdisk, mke2fs -d), ISO9660 cloud-init seeds.
  mmdebstrap fdisk e2fsprogs xorriso bc
  # The Windows fixtures: registry hives filled by hivexregedit, NTFS and FAT
  # made in the libguestfs appliance (built from the host's packages).
  libwin-hivex-perl ntfs-3g dosfstools python3
  # Probing guests over the loopback port forward.
  openssh-client
  # The tests' own remote libvirt hosts: network namespaces and veth pairs
  # (ip), mount namespaces (unshare, from util-linux, always present).
  iproute2
  # The review queue's history (GRDB links the system SQLite; make bench
  # reads it with the sqlite3 shell).
  libsqlite3-dev sqlite3
  # make deb: the package's library dependencies, the bundled Swift runtime's
  # search path; make test-package reads the installed man page.
  dpkg-dev patchelf man-db
  # Reports: JUnit schema validation, HTML rendering in a headless browser
  # (with CJK fonts: the reports are in Chinese too).
  libxml2-utils chromium fonts-noto-cjk
  # The dev VM's Vagrantfile is checked with `vagrant validate`.
  vagrant vagrant-libvirt
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} system packages present"
fi

# libguestfs reads the host kernel to build its appliance: it must be readable.
for k in /boot/vmlinuz-*; do
  [[ -r "$k" ]] || { echo "setup: $k is not readable; libguestfs needs it (chmod 0644)" >&2; exit 1; }
done
