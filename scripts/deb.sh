#!/usr/bin/env bash
# Builds imagegate_VERSION_ARCH.deb from a release build (`make deb`): the
# layout of scripts/install.sh under /usr, the shared libraries' packages
# found by dpkg-shlibdeps, and the programs ImageGate runs declared.
# Usage: scripts/deb.sh BINARY MANUAL_TOOL OUTPUT_FOLDER
set -euo pipefail
binary=$(readlink -f "$1") manual_tool=$2 output=$3
cd "$(dirname "$0")/.."

version=$("$binary" --version | cut -d' ' -f1)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/imagegate_${version}_$arch"
scripts/install.sh "$binary" "$manual_tool" "$root" /usr >/dev/null

# The system libraries the binary and its Swift runtime link (libvirt,
# libguestfs, SQLite, libc, libstdc++ …), with the versions this build needs.
mkdir -p "$work/source/debian"
printf 'Source: imagegate\n\nPackage: imagegate\nArchitecture: any\n' > "$work/source/debian/control"
# The bundled Swift runtime counts as the package's own (-l).
executables=(-e"$root/usr/bin/imagegate")
for library in "$root"/usr/lib/imagegate/*.so*; do [[ -e "$library" ]] && executables+=(-e"$library"); done
libraries=$(cd "$work/source" && dpkg-shlibdeps -O -l"$root/usr/lib/imagegate" "${executables[@]}" 2> "$work/shlibdeps.log" \
  | sed -n 's/^shlibs:Depends=//p') || { cat "$work/shlibdeps.log" >&2; exit 1; }
[[ -n "$libraries" ]] || { echo "deb: dpkg-shlibdeps found no libraries for $binary" >&2; exit 1; }
# What ImageGate runs or needs at run time: libvirt's QEMU driver (embedded,
# no daemon; -system creates the libvirt-qemu user it expects), QEMU and
# qemu-img, a kernel for libguestfs's appliance, ISO seeds, SSH probes, the
# initramfs decompressors, tar for bundles, distro-info-data's release dates.
programs="libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-daemon-system, qemu-system-x86, qemu-utils,
 linux-image-amd64 | linux-image-cloud-amd64, xorriso, openssh-client, tar, gzip, zstd, xz-utils, bzip2, lz4, lzop,
 distro-info-data"

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: imagegate
Version: $version
Architecture: $arch
Maintainer: ImageGate <imagegate@localhost>
Section: admin
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $libraries,
 $programs
Recommends: libguestfs-xfs, man-db
Description: VM image gate for a cloud marketplace
 Proves that a vendor's VM image boots as a new instance on the platform's
 hardware (libvirt, QEMU) and follows the platform's rules (static
 inspection with libguestfs), with one verdict, JSON, JUnit and HTML reports,
 a nightly review queue (systemd timer, installed disabled) and reproduction
 bundles for support.
CONTROL
# The review queue's unprivileged user (sysusers.d/imagegate.conf), made on
# installation; kept on removal, as Debian keeps system users.
cat > "$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if command -v systemd-sysusers > /dev/null; then
    systemd-sysusers imagegate.conf
  else
    getent group kvm > /dev/null || addgroup --system kvm
    getent passwd imagegate > /dev/null || adduser --system --group --home /var/lib/imagegate --no-create-home imagegate
    adduser imagegate kvm > /dev/null
  fi
fi
POSTINST
chmod 0755 "$root/DEBIAN/postinst"
mkdir -p "$output"
dpkg-deb --root-owner-group -Zxz --build "$root" "$output/imagegate_${version}_$arch.deb" >/dev/null
echo "deb: $output/imagegate_${version}_$arch.deb"
