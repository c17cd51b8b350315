# The conformant disk from the root tree: guestfish commands on a blank
# qcow2 (sourced by build.sh; part of the conformant image's recipe hash).
# MBR with one ext4 root from sector 2048 (part-disk leaves GRUB too little
# room to embed), the tree untarred, caches flushed before grub-install,
# GRUB for BIOS, grub.cfg generated, and the initramfs rebuilt on the real
# disk (its fsck hook must resolve the root UUID, which a chroot cannot).
disk_commands() {  # $1: the root tarball
  cat <<GF
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 -1
part-set-bootable /dev/sda 1 true
mkfs ext4 /dev/sda1 label:root
set-uuid /dev/sda1 $ROOT_UUID
mount /dev/sda1 /
tar-in $1 / xattrs:true acls:true
sync
drop-caches 3
blockdev-flushbufs /dev/sda
command "grub-install --target=i386-pc /dev/sda"
command "update-grub"
command "update-initramfs -u -k all"
sync
GF
}
