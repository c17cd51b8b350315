# Recipes for the defective variants: one function each, named defect_NAME,
# printing guestfish commands that edit the conformant image's root
# filesystem (mounted at /; the disk is $1). Each breaks what defects.yaml
# says it breaks, and nothing else. Sourced by build.sh.

DEFECTS=(
  swap-in-fstab grub-default-timeout-style grub-cfg-stale nouveau-missing mlx5-missing
  data-not-empty python-link-replaced persistent-net-rules cloud-init-not-clean
  hosts-build-hostname cloudimg-leftovers altnames-policy authorized-keys root-password
  ssh-host-keys machine-id-set sshd-root-password shell-history
  cloud-init-disabled auditd-disabled nic-pinned-mac firewalld-enabled
  auditd-fails-to-start fstab-data-disk-no-nofail no-serial-getty cloud-init-bootcmd-fails init-missing
  authorized-keys2-dir home-unmountable data-lost-on-reboot
  service-account-keys sshd-keys-elsewhere sshd-keys-command
  grub-root-elsewhere boot-code-wiped boot-slowed
  grub-normal-missing kernel-cmdline-rescue init-not-an-init default-target-rescue
  skel-authorized-key cloud-init-preserve-hostname cloud-init-users-secrets
  grub-kernel-missing bls-layout bls-kernel-missing os-release-eol uefi-only
  facts-forged cloud-init-no-datasource
)

# --- static defects -------------------------------------------------------

defect_swap-in-fstab() {
  echo 'fallocate64 /swapfile 67108864'
  echo 'mkswap-file /swapfile'
  echo 'write-append /etc/fstab "/swapfile none swap sw 0 0\n"'
}
defect_grub-default-timeout-style() {
  echo 'sh "sed -i \"s/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0\\nGRUB_TIMEOUT_STYLE=hidden/\" /etc/default/grub"'
}
defect_grub-cfg-stale() {
  # /etc/default/grub is right, but grub.cfg was not regenerated.
  echo 'sh "sed -i \"s/ net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8//\" /boot/grub/grub.cfg"'
}
defect_nouveau-missing() { echo 'rm /etc/modprobe.d/blacklist-nouv.conf'; }
defect_mlx5-missing() { echo 'rm /etc/modprobe.d/mlx5.conf'; }
defect_data-not-empty() {
  echo 'mkdir-p /data/app'
  echo 'write /data/app/config.ini "[app]\nport=8080\n"'
}
defect_python-link-replaced() {
  # python3 pointed at an interpreter the vendor built in /usr/local.
  echo 'mkdir-p /usr/local/bin'
  echo 'write /usr/local/bin/python3.12 "#!/bin/sh\n"'
  echo 'chmod 0755 /usr/local/bin/python3.12'
  echo 'ln-sf /usr/local/bin/python3.12 /usr/bin/python3'
}
defect_persistent-net-rules() {
  echo 'write /etc/udev/rules.d/70-persistent-net.rules "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"52:54:00:8a:3c:11\", NAME=\"eth0\"\n"'
}
defect_cloud-init-not-clean() {
  echo 'mkdir-p /var/lib/cloud/instances/iid-build-7f3a/sem'
  echo 'write /var/lib/cloud/instances/iid-build-7f3a/datasource "DataSourceNoCloud: DataSourceNoCloud [seed=/dev/sr0]\n"'
  echo 'ln-sf /var/lib/cloud/instances/iid-build-7f3a /var/lib/cloud/instance'
  echo 'mkdir-p /usr/local/ucloud/.cache'
  echo 'write /usr/local/ucloud/.cache/metadata.json "{\"instance-id\": \"iid-build-7f3a\"}\n"'
}
defect_hosts-build-hostname() {
  echo 'write-append /etc/hosts "127.0.1.1\tvendor-build-01.example.internal vendor-build-01\n"'
}
defect_cloudimg-leftovers() {
  echo 'write /etc/sysctl.d/99-cloudimg-ipv6.conf "net.ipv6.conf.all.use_tempaddr = 0\nnet.ipv6.conf.default.use_tempaddr = 0\n"'
}
defect_altnames-policy() {
  echo 'sh "sed -i \"s/^# AlternativeNamesPolicy/AlternativeNamesPolicy/\" /usr/lib/systemd/network/99-default.link"'
}
defect_authorized-keys() {
  echo 'mkdir-mode /root/.ssh 0700'
  echo 'write /root/.ssh/authorized_keys "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3ItYnVpbGQta2V5LWZvci10ZXN0aW5nLW9ubHk vendor@build-01\n"'
}
defect_authorized-keys2-dir() {
  # A key where sshd reads it, and a directory where it reads the other
  # file name: the directory must not hide the key.
  echo 'mkdir-mode /root/.ssh 0700'
  echo 'write /root/.ssh/authorized_keys "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3ItYnVpbGQta2V5LWZvci10ZXN0aW5nLW9ubHk vendor@build-01\n"'
  echo 'mkdir /root/.ssh/authorized_keys2'
}
defect_service-account-keys() {
  # Two accounts below uid 1000 with homes outside /home, passwords locked:
  # one with a login shell, one nologin. sshd takes a key for either.
  echo 'write-append /etc/passwd "deploy:x:990:990:Deploy:/srv/deploy:/bin/bash\napp:x:991:991:App:/var/lib/app:/usr/sbin/nologin\n"'
  echo 'write-append /etc/group "deploy:x:990:\napp:x:991:\n"'
  echo 'write-append /etc/shadow "deploy:*:19000:0:99999:7:::\napp:!:19000:0:99999:7:::\n"'
  echo 'mkdir-p /srv/deploy/.ssh'
  echo 'write /srv/deploy/.ssh/authorized_keys "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3ItYnVpbGQta2V5LWZvci10ZXN0aW5nLW9ubHk vendor@build-01\n"'
  echo 'mkdir-p /var/lib/app/.ssh'
  echo 'write /var/lib/app/.ssh/authorized_keys2 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3ItYnVpbGQta2V5LWZvci10ZXN0aW5nLW9ubHk vendor@build-01\n"'
}
defect_sshd-keys-elsewhere() {
  # A drop-in points sshd at /etc/ssh/keys/%u, and root's key is there.
  echo 'write /etc/ssh/sshd_config.d/50-vendor-keys.conf "AuthorizedKeysFile /etc/ssh/keys/%u\n"'
  echo 'mkdir-p /etc/ssh/keys'
  echo 'write /etc/ssh/keys/root "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3ItYnVpbGQta2V5LWZvci10ZXN0aW5nLW9ubHk vendor@build-01\n"'
}
defect_sshd-keys-command() {
  # sshd asks a vendor program for keys at each login.
  echo 'write /etc/ssh/sshd_config.d/60-vendor-agent.conf "AuthorizedKeysCommand /usr/local/bin/vendor-keys %u\nAuthorizedKeysCommandUser nobody\n"'
}
defect_grub-root-elsewhere() {
  # grub.cfg as the build machine left it: root= names a filesystem of
  # another disk.
  echo 'sh "sed -i \"s/root=UUID=[0-9a-f-]*/root=UUID=0c2b6f1e-5a7d-4e0f-9d3b-2f1e0c0ffee1/\" /boot/grub/grub.cfg"'
}
defect_boot-code-wiped() {
  # The first 440 bytes of the disk (GRUB's boot.img) zeroed: nothing for
  # the BIOS to start. Written through libguestfs, which translates $1 to
  # this image's disk: a device name inside the appliance (a shell there)
  # is the kernel's, which need not follow the order the disks were added
  # in (with 36 disks, the name can belong to another image). The zeros
  # come from a local file: guestfish strings hold no NUL.
  local zeros
  zeros=$(mktemp)
  head -c 440 /dev/zero > "$zeros"
  echo "upload-offset $zeros $1 0"
  echo "!rm -f $zeros"
}
defect_grub-normal-missing() {
  # GRUB's core finds no normal.mod to read grub.cfg with: grub rescue> on
  # the VGA screen, nothing on ttyS0.
  echo 'rm /boot/grub/i386-pc/normal.mod'
}
defect_kernel-cmdline-rescue() {
  # Every boot goes to rescue mode: no network service, no login from
  # outside. Written into grub.cfg's default entry as update-grub would
  # (update-grub in the appliance costs half a minute).
  echo 'sh "sed -i \"0,/ ro /s// ro systemd.unit=rescue.target /\" /boot/grub/grub.cfg"'
}
defect_init-not-an-init() {
  # The kernel runs a program that exits at once as init: it panics.
  echo 'sh "sed -i \"0,/ ro /s// ro init=\\/bin\\/false /\" /boot/grub/grub.cfg"'
}
defect_default-target-rescue() {
  # systemctl set-default rescue.target, as a build script might leave it.
  echo 'ln-sf /lib/systemd/system/rescue.target /etc/systemd/system/default.target'
}
defect_skel-authorized-key() {
  # A key in /etc/skel: every account made later (cloud-init's default
  # user included) starts with it.
  echo 'mkdir-mode /etc/skel/.ssh 0700'
  echo 'write /etc/skel/.ssh/authorized_keys "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3ItYnVpbGQta2V5LWZvci10ZXN0aW5nLW9ubHk vendor@build-01\n"'
}
defect_cloud-init-preserve-hostname() {
  # cloud-init keeps the image's hostname instead of the platform's.
  echo 'write /etc/cloud/cloud.cfg.d/95-vendor-hostname.cfg "preserve_hostname: true\n"'
}
defect_cloud-init-users-secrets() {
  # A support account cloud-init makes on every instance, with the
  # vendor's key and a password.
  echo 'write /etc/cloud/cloud.cfg.d/95-vendor-users.cfg "users:\n  - default\n  - name: support\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHl0ZW5kb3ItYnVpbGQta2V5LWZvci10ZXN0aW5nLW9ubHk vendor@build-01\n    plain_text_passwd: Support2026!\n    lock_passwd: false\n"'
}
defect_grub-kernel-missing() {
  # grub.cfg left from an older kernel the vendor removed: the default
  # entry loads a kernel that is not in /boot.
  echo 'sh "sed -i 0,/vmlinuz-[^[:space:]]*/s//vmlinuz-5.10.0-9-cloud-amd64/ /boot/grub/grub.cfg"'
}
# The RPM families' layout on the Debian image: grub.cfg runs blscfg, the
# one entry is a BootLoaderSpec file, its options come from grubenv's
# $kernelopts. Read statically only (Debian's GRUB has no blscfg).
recipe_bls_layout() {
  local script
  script=$(mktemp)
  cat > "$script" <<'SCRIPT'
set -e
k=$(ls /boot/vmlinuz-* | head -n 1)
v=${k#/boot/vmlinuz-}
u=$(sed -n 's/.*root=UUID=\([0-9a-f-]*\).*/\1/p' /boot/grub/grub.cfg | head -n 1)
mkdir -p /boot/loader/entries
printf 'title Debian GNU/Linux (%s)\nversion %s\nlinux /vmlinuz-%s\ninitrd /initrd.img-%s $tuned_initrd\noptions $kernelopts\n' "$v" "$v" "$v" "$v" > /boot/loader/entries/imagegate-bls.conf
printf 'set default="${saved_entry}"\nif [ -s $prefix/grubenv ]; then\n  load_env\nfi\ninsmod part_msdos\ninsmod ext2\nblscfg\n' > /boot/grub/grub.cfg
printf 'kernelopts=root=UUID=%s ro net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8\nsaved_entry=imagegate-bls\n' "$u" > /boot/grub/grubenv
SCRIPT
  echo "upload $script /root/bls-layout.sh"
  echo 'sh "sh /root/bls-layout.sh"'
  echo 'rm /root/bls-layout.sh'
  echo "!rm -f $script"
}
defect_bls-layout() { recipe_bls_layout; }
defect_bls-kernel-missing() {
  # The entry names a kernel that is not in /boot.
  recipe_bls_layout
  echo 'sh "sed -i -e /^linux/s/vmlinuz-/vmlinuz-missing-/ /boot/loader/entries/imagegate-bls.conf"'
}
defect_os-release-eol() {
  # The image is Debian 10 (buster) by its own account, past its LTS.
  echo 'write /etc/os-release "PRETTY_NAME=\"Debian GNU/Linux 10 (buster)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"10\"\nVERSION=\"10 (buster)\"\nVERSION_CODENAME=buster\nID=debian\n"'
  echo 'write /etc/debian_version "10.13\n"'
}
defect_uefi-only() {
  # The disk as a UEFI-only build leaves it: GPT with the root partition
  # and an EFI system partition (mounted at /boot/efi), no BIOS boot
  # partition. The root filesystem is shrunk by 64 MiB to make room for
  # the ESP and the backup GPT header.
  local sectors=$(( $(numfmt --from=iec "$DISK_SIZE") / 512 )) esp=$((64 * 1024 * 2))
  local root_end=$((sectors - esp - 1))
  echo "umount-all"
  echo "e2fsck-f ${1}1"
  echo "resize2fs-size ${1}1 $(( (root_end - 2048 + 1) * 512 ))"
  echo "part-init $1 gpt"
  echo "part-add $1 p 2048 $root_end"
  echo "part-add $1 p $((root_end + 1)) -34"
  echo "part-set-gpt-type $1 1 0FC63DAF-8483-4772-8E79-3D69D8477DE4"
  echo "part-set-gpt-type $1 2 C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
  echo "mkfs vfat ${1}2"
  echo "set-label ${1}2 EFI"
  echo "mount ${1}1 /"
  echo "mkdir-p /boot/efi"
  echo 'write-append /etc/fstab "LABEL=EFI /boot/efi vfat umask=0077 0 1\n"'
}
defect_home-unmountable() {
  # /home on a filesystem the guest needs at boot (no nofail) that is not on
  # the disk: what the guest would see under /home is unknown.
  echo 'write-append /etc/fstab "UUID=5b0d2c51-7c3e-4f0e-9a51-0f2d8e6b7a11 /home ext4 defaults 0 2\n"'
}
defect_root-password() {
  # SHA-512 crypt of "vendor123".
  echo 'sh "usermod -p '"'"'$6$Zq3cU1wq$FQmBdCwP5qM3Kp4vW9oY1o2JtDkQ8b1qf6i7n5hKx0pRr0cS1bO8G0Wk7s3jvP5yq9mUu2eHcXtL4aN1dV6Ee/'"'"' root"'
}
defect_ssh-host-keys() {
  echo 'command "ssh-keygen -q -t ed25519 -N \"\" -C root@vendor-build-01 -f /etc/ssh/ssh_host_ed25519_key"'
}
defect_machine-id-set() { echo 'write /etc/machine-id "5f2b9c1e8d3a4b6c9e0f1a2b3c4d5e6f\n"'; }
defect_sshd-root-password() {
  echo 'write /etc/ssh/sshd_config.d/50-vendor.conf "PermitRootLogin yes\nPasswordAuthentication yes\n"'
}
defect_shell-history() {
  echo 'write /root/.bash_history "apt-get install -y myapp\nmysql -uroot -pS3cret!\nhistory -c\n"'
}

# --- defects both static inspection and a boot show -----------------------

defect_cloud-init-disabled() { echo 'touch /etc/cloud/cloud-init.disabled'; }
defect_auditd-disabled() { echo 'rm-f /etc/systemd/system/multi-user.target.wants/auditd.service'; }
defect_nic-pinned-mac() {
  # The build host's NIC config kept, matched by its MAC; cloud-init told
  # to leave the network alone. A new instance's NIC matches nothing.
  echo 'write /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg "network: {config: disabled}\n"'
  echo 'write /etc/systemd/network/10-build-eth0.network "[Match]\nMACAddress=52:54:00:8a:3c:11\n\n[Network]\nAddress=192.168.122.57/24\nGateway=192.168.122.1\nDNS=192.168.122.1\n"'
  echo 'ln-sf /lib/systemd/system/systemd-networkd.service /etc/systemd/system/multi-user.target.wants/systemd-networkd.service'
}
defect_firewalld-enabled() {
  # A stand-in for the firewalld package (the build fetches no extra
  # packages): its unit and binary under the real names, enabled, and
  # dpkg's record of the package, as apt-get install leaves it.
  echo 'write-append /var/lib/dpkg/status "Package: firewalld\nStatus: install ok installed\nPriority: optional\nSection: net\nInstalled-Size: 2730\nMaintainer: Utopia Maintenance Team <pkg-utopia-maintainers@lists.alioth.debian.org>\nArchitecture: all\nVersion: 1.3.0-1\nDescription: dynamically managed firewall with support for network zones\n\n"'
  echo 'write /var/lib/dpkg/info/firewalld.list "/usr/sbin/firewalld\n/lib/systemd/system/firewalld.service\n"'
  echo 'write /usr/sbin/firewalld "#!/bin/sh\nexec sleep infinity\n"'
  echo 'chmod 0755 /usr/sbin/firewalld'
  echo 'write /lib/systemd/system/firewalld.service "[Unit]\nDescription=firewalld - dynamic firewall daemon\n\n[Service]\nExecStart=/usr/sbin/firewalld --nofork --nopid\n\n[Install]\nWantedBy=multi-user.target\nAlias=dbus-org.fedoraproject.FirewallD1.service\n"'
  echo 'ln-sf /lib/systemd/system/firewalld.service /etc/systemd/system/multi-user.target.wants/firewalld.service'
}

# --- defects only a boot shows --------------------------------------------

defect_auditd-fails-to-start() {
  # auditd stays enabled, but its configuration makes it exit at start.
  echo 'write-append /etc/audit/auditd.conf "disk_full_action = EXPLODE\n"'
}
defect_fstab-data-disk-no-nofail() {
  # The build host's data disk left in fstab without nofail: on a new
  # instance the disk holds no filesystem yet and boot stops. Its device
  # timeout is 15 s (x-systemd.device-timeout, as some vendors set it)
  # rather than systemd's 90 s: the same emergency mode, 75 s sooner.
  echo 'write-append /etc/fstab "/dev/vdb1 /data ext4 defaults,x-systemd.device-timeout=15s 0 2\n"'
}
defect_no-serial-getty() {
  echo 'rm-f /etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service'
  echo 'ln-sf /dev/null /etc/systemd/system/serial-getty@ttyS0.service'
}
defect_cloud-init-bootcmd-fails() {
  echo 'write /etc/cloud/cloud.cfg.d/60-vendor.cfg "bootcmd:\n  - [sh, -c, \"test -e /opt/vendor/license.key\"]\n"'
}
defect_data-lost-on-reboot() {
  # A vendor "seal" unit that puts the fstab the image shipped with back at
  # every shutdown (so a re-captured image is clean): the data disk's line
  # cloud-init wrote on first boot is gone after a reboot, and cloud-init
  # writes mounts once per instance. The first boot is fine.
  echo 'cp /etc/fstab /etc/fstab.vendor'
  echo 'write /etc/systemd/system/vendor-seal.service "[Unit]\nDescription=Vendor image seal (restores the shipped fstab at shutdown)\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\nExecStop=/bin/cp /etc/fstab.vendor /etc/fstab\n\n[Install]\nWantedBy=multi-user.target\n"'
  echo 'ln-sf /etc/systemd/system/vendor-seal.service /etc/systemd/system/multi-user.target.wants/vendor-seal.service'
}
defect_boot-slowed() {
  # Not a defect: a vendor unit that holds cloud-init's last stage for 90 s
  # at every boot, printing its progress to the console (so no silence
  # deadline is reached). Every rule holds; the boot is slower.
  echo 'write /etc/systemd/system/vendor-warmup.service "[Unit]\nDescription=Vendor cache warm-up\nBefore=cloud-final.service\n\n[Service]\nType=oneshot\nStandardOutput=journal+console\nExecStart=/bin/sh -c \"for step in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do echo vendor warm-up $$step of 18; sleep 5; done\"\n\n[Install]\nWantedBy=multi-user.target\n"'
  echo 'ln-sf /etc/systemd/system/vendor-warmup.service /etc/systemd/system/multi-user.target.wants/vendor-warmup.service'
}
defect_facts-forged() {
  # A vendor unit at sysinit.target that prints ImageGate's facts markers
  # itself: a block recorded from a healthy boot (no nonce), then one built
  # from the instance's own seed (its hostname, and the probe's nonce read
  # from the user-data), both claiming every boot rule holds.
  local script='#!/bin/sh
block() { printf "\nIMAGEGATE-FACTS-BEGIN %s IMAGEGATE-FACTS-END\n" "$(printf %s "$1" | base64 -w 0)" > /dev/ttyS0; }
good=\"auditd\":\"active\",\"firewalld\":\"inactive\",\"data\":{\"filesystems\":[{\"target\":\"/data\",\"source\":\"/dev/vdb1\",\"fstype\":\"ext4\"}]},\"cloudInitStatus\":{\"status\":\"done\",\"errors\":[]}
block "{\"hostname\":\"mkt-vm-0001\",$good}"
n=0; while [ ! -e /dev/disk/by-label/cidata ] && [ $n -lt 120 ]; do sleep 0.5; n=$((n + 1)); done
mkdir -p /run/vendor-seed && mount -o ro /dev/disk/by-label/cidata /run/vendor-seed || exit 0
nonce=$(sed -n "s/.*--console \([0-9a-f][0-9a-f]*\).*/\1/p" /run/vendor-seed/user-data | head -n 1)
host=$(sed -n "s/^local-hostname: //p" /run/vendor-seed/meta-data)
umount /run/vendor-seed
block "{\"nonce\":\"$nonce\",\"hostname\":\"$host\",$good}"
'
  script=${script//\\/\\\\}; script=${script//\"/\\\"}; script=${script//$'\n'/\\n}
  echo 'mkdir-p /usr/local/sbin'
  echo "write /usr/local/sbin/vendor-attest \"$script\""
  echo 'chmod 0755 /usr/local/sbin/vendor-attest'
  echo 'write /etc/systemd/system/vendor-attest.service "[Unit]\nDescription=Vendor boot attestation\nDefaultDependencies=no\nAfter=systemd-udevd.service\nBefore=cloud-init-local.service\n\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/vendor-attest\n\n[Install]\nWantedBy=sysinit.target\n"'
  echo 'mkdir-p /etc/systemd/system/sysinit.target.wants'
  echo 'ln-sf /etc/systemd/system/vendor-attest.service /etc/systemd/system/sysinit.target.wants/vendor-attest.service'
}
defect_cloud-init-no-datasource() {
  # cloud-init installed and enabled, told to look for no datasource: it
  # runs, finds no metadata, and applies nothing of the instance's.
  echo 'write /etc/cloud/cloud.cfg.d/90-vendor-datasource.cfg "datasource_list: [ None ]\n"'
}
defect_init-missing() {
  # The kernel is told to run an init the image does not have: it panics.
  echo 'sh "sed -i \"s|^GRUB_CMDLINE_LINUX_DEFAULT=.*|GRUB_CMDLINE_LINUX_DEFAULT=\\\"rdinit=/opt/vendor/init\\\"|\" /etc/default/grub"'
  echo 'command "update-grub"'
}
