#!/bin/bash
# Builds the fixture images offline from Debian's mirror: the conformant
# Debian 12 marketplace image, then each defective variant listed in
# defects.yaml (recipes in defects.sh), then the Windows fixtures
# (windows/build.sh, made from scratch). Images go to Fixtures/cache/, keyed
# by a hash of their recipe: an unchanged recipe is reused in a second, a
# changed variant recipe rebuilds only that variant.
#
#   Fixtures/build.sh            everything
#   Fixtures/build.sh NAME...    the conformant image and the named variants
#   Fixtures/build.sh --tree-only  only the conformant image's root tree, if
#                                the image is stale (no appliance needed)
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

# 1. The conformant disk: the root tree from the mirror, customised
#    (customize.sh), laid on a blank disk (disk.sh), then stored as a
#    compressed qcow2 (as vendors often ship them; a third of the size). The
#    tree is only an intermediate: it is removed once the disk is built.
layout="compressed base, overlay variants, filesystem made on the host"  # part of every key: a new layout rebuilds all
base_key=$( { cat "$here/recipe.conf" "$here/customize.sh" "$here/disk.sh"; echo "$layout"; } | sha256sum | cut -c1-16)
base="$cache/debian12-conformant.qcow2"
tree="$cache/rootfs"

# The root tree of this recipe, unless it is there already (from a
# --tree-only run, which needs no appliance and so no imagegate binary:
# `make test` runs it while Swift compiles).
build_tree() {
  [ "$(cat "$tree.key" 2>/dev/null)" = "$base_key" ] && [ -d "$tree" ] && return 0
  rm -rf "$tree" "$tree.key" "$tree.tmp"
  step "mmdebstrap $SUITE -> $(basename "$tree")"
  mmdebstrap --quiet --format=directory --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --customize-hook="$here/customize.sh \"\$1\"" \
    "$SUITE" "$tree.tmp" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"
  mv "$tree.tmp" "$tree"
  echo "$base_key" > "$tree.key"
  done_step
}
if [ "${1:-}" = --tree-only ]; then
  [ "$(cat "$base.key" 2>/dev/null)" = "$base_key" ] || build_tree
  exit 0
fi

base_stale=false
if [ "$(cat "$base.key" 2>/dev/null)" != "$base_key" ]; then
  base_stale=true
  rm -rf "$base" "$base.key" "$cache"/*.qcow2 "$cache"/*.qcow2.key "$cache"/*.qcow2.tmp "$cache"/*.raw.tmp "$cache"/rootfs-*.tar "$cache"/rootfs.tar
fi

# 3, started first. The Windows fixtures (windows/build.sh), keyed by their
#    own recipe, need nothing of the Debian ones: they are built alongside
#    steps 1 and 2 (each step is mostly one appliance's single vCPU or one
#    dpkg; two cores), and what they print is shown when they are done.
. "$here/windows/build.sh"
windows_log=$(mktemp)
build_windows_fixtures "$cache" > "$windows_log" 2>&1 &
windows_pid=$!
script=""
trap 'kill "$windows_pid" 2>/dev/null || true; rm -f "$windows_log" "$script"' EXIT

if $base_stale; then
  build_tree
  step "disk $DISK_SIZE -> $(basename "$base")"
  make_disk "$tree" "$base.raw.tmp"
  rm -rf "$tree" "$tree.key"
  # A failed appliance launch or install is tried again on the same disk.
  for attempt in 1 2 3 4 5; do
    if grub_commands | guestfish --format=raw -a "$base.raw.tmp"; then break; fi
    [ "$attempt" -lt 5 ] || { echo "fixtures: grub-install failed in the appliance five times" >&2; exit 1; }
    echo "fixtures: grub-install failed in the appliance (attempt $attempt); trying again"
    sleep $((attempt * 5))
  done
  # Compressed in parallel (-m, -W): half the time on two cores.
  qemu-img convert -c -m 8 -W -f raw -O qcow2 "$base.raw.tmp" "$base.tmp"
  rm -f "$base.raw.tmp"
  mv "$base.tmp" "$base"
  echo "$base_key" > "$base.key"
  done_step
fi

# 2. Variants: a thin qcow2 overlay on the conformant disk holding only what
#    its recipe (defects.sh) changed, a few MiB each, so the whole set fits a
#    small disk. All the stale ones are edited in one appliance launch.
#    ImageGate refuses an image with a backing file, as it must: the tests
#    flatten a variant into one standalone file before they check it, and so
#    can you: qemu-img convert -O qcow2 cache/NAME.qcow2 /tmp/NAME.qcow2
# A variant's key: its recipe, and the helpers recipes share (recipe_*).
variant_key() {
  { declare -f "defect_$1"; declare -f $(compgen -A function recipe_); } | sha256sum | cut -c1-16
}
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${DEFECTS[@]}")
stale=()
for name in "${wanted[@]}"; do
  declare -F "defect_$name" >/dev/null || { echo "fixtures: no recipe for '$name' in defects.sh" >&2; exit 2; }
  key="$base_key-$(variant_key "$name")"
  [ "$(cat "$cache/$name.qcow2.key" 2>/dev/null)" = "$key" ] || stale+=("$name")
done
if [ ${#stale[@]} -gt 0 ]; then
  step "variants: ${stale[*]}"
  script=$(mktemp)
  letters=(a b c d e f g h i j k l m n o p q r s t u v w x y z)
  args=()
  i=0
  for name in "${stale[@]}"; do
    rm -f "$cache/$name.qcow2" "$cache/$name.qcow2.key"
    qemu-img create -q -f qcow2 -F qcow2 -b "$(basename "$base")" "$cache/$name.qcow2.tmp"
    args+=(--format=qcow2 -a "$cache/$name.qcow2.tmp")
    if [ $i -lt 26 ]; then dev="/dev/sd${letters[$i]}"; else dev="/dev/sd${letters[$((i / 26 - 1))]}${letters[$((i % 26))]}"; fi
    { echo "mount ${dev}1 /"; "defect_$name" "$dev"; echo "umount-all"; } >> "$script"
    i=$((i + 1))
  done
  (echo run; cat "$script") | guestfish "${args[@]}"
  for name in "${stale[@]}"; do
    mv "$cache/$name.qcow2.tmp" "$cache/$name.qcow2"
    echo "$base_key-$(variant_key "$name")" > "$cache/$name.qcow2.key"
  done
  done_step
fi

# 3. The Windows fixtures, started before step 1: waited for here.
windows_status=0
wait "$windows_pid" || windows_status=$?
sed 's/^fixtures: /fixtures: (alongside) /' "$windows_log"
[ "$windows_status" = 0 ] || { echo "fixtures: the Windows fixtures failed (exit $windows_status)" >&2; exit 1; }

printf 'fixtures: ready in %s (%.1f s)\n' "$cache" "$(echo "$(date +%s.%N) - $total_start" | bc)"
