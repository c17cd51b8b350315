#!/bin/bash
# Builds the fixture images offline from Debian's mirror: the conformant
# Debian 12 marketplace image, then each defective variant listed in
# defects.yaml (recipes in defects.sh). Images go to Fixtures/cache/, keyed
# by a hash of their recipe: an unchanged recipe is reused in a second, a
# changed variant recipe rebuilds only that variant.
#
#   Fixtures/build.sh            everything
#   Fixtures/build.sh NAME...    the conformant image and the named variants
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache="${IMAGEGATE_FIXTURES:-$here/cache}"
mkdir -p "$cache"
. "$here/recipe.conf"
. "$here/disk.sh"
. "$here/defects.sh"

step_start=0
step() { step_start=$(date +%s.%N); printf 'fixtures: %s\n' "$*"; }
done_step() { printf 'fixtures:   done in %.1f s\n' "$(echo "$(date +%s.%N) - $step_start" | bc)"; }
sha() { cat "$@" | sha256sum | cut -c1-16; }

# libguestfs: no daemon, and TCG where KVM guests do not work (asked of
# ImageGate's probe, which caches its answer until the next reboot).
guestfish() {
  export LIBGUESTFS_BACKEND="${LIBGUESTFS_BACKEND:-direct}"
  if [ -z "${LIBGUESTFS_BACKEND_SETTINGS:-}" ]; then
    local imagegate="${IMAGEGATE_BIN:-$here/../.build/debug/imagegate}"
    if [ "$("$imagegate" accelerator --quiet)" = tcg ]; then export LIBGUESTFS_BACKEND_SETTINGS=force_tcg; fi
  fi
  command guestfish "$@"
}

total_start=$(date +%s.%N)

# 1. The root tree, from the mirror, customised (customize.sh).
tree_key=$(sha "$here/recipe.conf" "$here/customize.sh")
tree="$cache/rootfs-$tree_key.tar"
if [ ! -f "$tree" ]; then
  step "mmdebstrap $SUITE -> $(basename "$tree")"
  rm -f "$cache"/rootfs-*.tar
  mmdebstrap --quiet --format=tar --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --customize-hook="$here/customize.sh \"\$1\"" \
    "$SUITE" "$tree.tmp" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"
  mv "$tree.tmp" "$tree"
  done_step
fi

# 2. The conformant disk (disk.sh).
base_key=$(sha "$here/recipe.conf" "$here/customize.sh" "$here/disk.sh")
base="$cache/debian12-conformant.qcow2"
if [ "$(cat "$base.key" 2>/dev/null)" != "$base_key" ]; then
  step "disk $DISK_SIZE -> $(basename "$base")"
  rm -f "$base" "$base.key"
  qemu-img create -q -f qcow2 "$base.tmp" "$DISK_SIZE"
  disk_commands "$tree" | guestfish --format=qcow2 -a "$base.tmp"
  mv "$base.tmp" "$base"
  echo "$base_key" > "$base.key"
  done_step
fi

# 3. Variants: a copy of the conformant disk, edited (defects.sh). All the
#    stale ones are edited in one appliance launch.
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${DEFECTS[@]}")
stale=()
for name in "${wanted[@]}"; do
  declare -F "defect_$name" >/dev/null || { echo "fixtures: no recipe for '$name' in defects.sh" >&2; exit 2; }
  key="$base_key-$(declare -f "defect_$name" | sha256sum | cut -c1-16)"
  [ "$(cat "$cache/$name.qcow2.key" 2>/dev/null)" = "$key" ] || stale+=("$name")
done
if [ ${#stale[@]} -gt 0 ]; then
  step "variants: ${stale[*]}"
  script=$(mktemp)
  trap 'rm -f "$script"' EXIT
  letters=(a b c d e f g h i j k l m n o p q r s t u v w x y z)
  args=()
  i=0
  for name in "${stale[@]}"; do
    rm -f "$cache/$name.qcow2" "$cache/$name.qcow2.key"
    cp --sparse=always "$base" "$cache/$name.qcow2.tmp"
    args+=(--format=qcow2 -a "$cache/$name.qcow2.tmp")
    if [ $i -lt 26 ]; then dev="/dev/sd${letters[$i]}"; else dev="/dev/sd${letters[$((i / 26 - 1))]}${letters[$((i % 26))]}"; fi
    { echo "mount ${dev}1 /"; "defect_$name" "$dev"; echo "umount-all"; } >> "$script"
    i=$((i + 1))
  done
  (echo run; cat "$script") | guestfish "${args[@]}"
  for name in "${stale[@]}"; do
    mv "$cache/$name.qcow2.tmp" "$cache/$name.qcow2"
    echo "$base_key-$(declare -f "defect_$name" | sha256sum | cut -c1-16)" > "$cache/$name.qcow2.key"
  done
  done_step
fi

printf 'fixtures: ready in %s (%.1f s)\n' "$cache" "$(echo "$(date +%s.%N) - $total_start" | bc)"
