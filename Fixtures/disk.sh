# The conformant disk from the root tree (sourced by build.sh; part of the
# conformant image's recipe hash). MBR with one bootable ext4 root from
# sector 2048 (a partition from sector 63 leaves GRUB too little room to
# embed). The partition table and the filesystem, filled from the tree
# (mke2fs -d keeps owners, modes, links, device nodes and xattrs), are made
# here on the host at native speed; only GRUB, which must probe the real
# disk, is installed in the libguestfs appliance.
make_disk() {  # $1: the root tree, $2: the raw disk to create
  local tree=$1 disk=$2 offset=$((2048 * 512))
  truncate -s "$DISK_SIZE" "$disk"
  printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk --quiet "$disk"
  local blocks=$(( ($(stat -c %s "$disk") - offset) / 4096 ))
  mke2fs -q -F -t ext4 -b 4096 -L root -U "$ROOT_UUID" -d "$tree" -E offset=$offset "$disk" "$blocks"
}

# GRUB for BIOS on the disk, and its grub.cfg generated for the real root.
# The disk is the one holding /boot as grub-probe finds it: a device name
# written into a command is the appliance kernel's, whose order need not
# follow the drives' (its own disk can be sda).
grub_commands() {
  cat <<'GF'
run
mount /dev/sda1 /
sh "grub-install --target=i386-pc \"$(grub-probe --target=disk /boot)\""
command "update-grub"
sync
GF
}
