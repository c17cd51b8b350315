# Builds the Windows fixtures, offline and from scratch (no Microsoft bits):
# a 40 GiB qcow2 with an MBR, a 500 MiB "System Reserved" boot partition
# and an NTFS C: (mkntfs, in the libguestfs appliance) to the end of the
# disk; a Windows directory skeleton; and registry hives made here: an empty
# hive from empty-hive.py, filled through hivexregedit --merge from the
# .reg files beside this one. libguestfs's inspection recognises the result
# as Windows Server 2019 (tested). Then every variant of variants.sh.
#
# Sourced by ../build.sh (its guestfish function and step helpers);
# build_windows_fixtures CACHE builds what is missing or stale.

windows_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$windows_here/variants.sh"

# The three hives of a variant in OUT: the conformant .reg files, each with
# the variant's additions merged after it.
windows_hives() {  # OUT SYSTEM_EXTRA SOFTWARE_EXTRA SAM_EXTRA
  local out=$1 hive extra
  for hive in SYSTEM SOFTWARE SAM; do
    case $hive in SYSTEM) extra=$2 ;; SOFTWARE) extra=$3 ;; SAM) extra=$4 ;; esac
    { cat "$windows_here/${hive,,}.reg"; printf '\n%s\n' "$extra"; } > "$out/$hive.reg.in"
    python3 "$windows_here/files.py" reg-parents "$out/$hive.reg.in" "$out/$hive.reg"
    python3 "$windows_here/empty-hive.py" "$out/$hive"
    hivexregedit --merge --prefix "HKEY_LOCAL_MACHINE\\$hive" "$out/$hive" "$out/$hive.reg"
    rm -f "$out/$hive.reg.in" "$out/$hive.reg"
  done
}

# The files every Windows fixture's C: holds, the hives from HIVES.
windows_c_commands() {  # HIVES STUBS
  local hives=$1 stubs=$2 repo=/Windows/System32/DriverStore/FileRepository
  local cbi="/Program Files/Cloudbase Solutions/Cloudbase-Init"
  cat <<EOF
mkdir-p /Windows/System32/config
mkdir-p /Windows/System32/drivers
upload $stubs/cmd.exe /Windows/System32/cmd.exe
upload $hives/SYSTEM /Windows/System32/config/SYSTEM
upload $hives/SOFTWARE /Windows/System32/config/SOFTWARE
upload $hives/SAM /Windows/System32/config/SAM
write /Windows/System32/drivers/viostor.sys "MZ viostor"
write /Windows/System32/drivers/netkvm.sys "MZ netkvm"
mkdir-p $repo/viostor.inf_amd64_8f1e2d3c4b5a6978
write $repo/viostor.inf_amd64_8f1e2d3c4b5a6978/viostor.inf "[Version]\r\nSignature=\"\$WINDOWS NT\$\"\r\nClass=SCSIAdapter\r\nDriverVer=06/09/2022,100.92.104.22900\r\n"
mkdir-p $repo/netkvm.inf_amd64_3a5c2b1d0e9f8a7b
write $repo/netkvm.inf_amd64_3a5c2b1d0e9f8a7b/netkvm.inf "[Version]\r\nSignature=\"\$WINDOWS NT\$\"\r\nClass=Net\r\nDriverVer=06/09/2022,100.92.104.22900\r\n"
mkdir-p "$cbi/bin"
mkdir-p "$cbi/conf"
mkdir-p "$cbi/log"
write "$cbi/bin/OpenStackService.exe" "MZ"
write "$cbi/conf/cloudbase-init.conf" "[DEFAULT]\r\nusername=Administrator\r\nmetadata_services=cloudbaseinit.metadata.services.httpservice.HttpService\r\n"
touch "$cbi/log/cloudbase-init.log"
mkdir-p "/Program Files/UMonAgent"
write "/Program Files/UMonAgent/umon-agent.exe" "MZ"
write /bootstrap.bat "@echo off\r\nrem the platform's first-boot script\r\n"
mkdir-p /Windows/System32/GroupPolicy/Machine/Scripts/Startup
upload $stubs/scripts.ini /Windows/System32/GroupPolicy/Machine/Scripts/scripts.ini
mkdir-p /Windows/System32/winevt/Logs
upload $stubs/cleared.evtx /Windows/System32/winevt/Logs/Application.evtx
upload $stubs/cleared.evtx /Windows/System32/winevt/Logs/System.evtx
upload $stubs/cleared.evtx /Windows/System32/winevt/Logs/Security.evtx
mkdir-p /Windows/Temp
mkdir-p /Windows/SoftwareDistribution/Download
mkdir-p /Windows/Logs/WindowsUpdate
mkdir-p /Users/Administrator/AppData/Local/Temp
EOF
}

# A disk from scratch on DEVICE: LAYOUT is "SIZE mbr|gpt [recovery-after-c]".
windows_layout_commands() {  # DEVICE LAYOUT HIVES STUBS
  local dev=$1 size table extra
  read -r size table extra <<< "$2"
  local sectors=$(( ${size%G} * 1024 * 1024 * 2 ))
  if [ "$table" = gpt ]; then
    cat <<EOF
part-init $dev gpt
part-add $dev p 2048 206847
part-set-gpt-type $dev 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B
part-add $dev p 206848 -34
part-set-gpt-type $dev 2 EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
mkfs vfat ${dev}1
mount ${dev}1 /
mkdir-p /EFI/Microsoft/Boot
write /EFI/Microsoft/Boot/bootmgfw.efi "MZ"
umount /
EOF
  else
    local c_end=-1
    [ "$extra" = recovery-after-c ] && c_end=$(( sectors - 2097152 - 1 ))
    cat <<EOF
part-init $dev mbr
part-add $dev p 2048 1026047
part-add $dev p 1026048 $c_end
part-set-bootable $dev 1 true
part-set-mbr-id $dev 1 0x07
part-set-mbr-id $dev 2 0x07
EOF
    if [ "$extra" = recovery-after-c ]; then
      echo "part-add $dev p $(( sectors - 2097152 )) -1"
      echo "part-set-mbr-id $dev 3 0x27"
      echo "mkfs ntfs ${dev}3"
    fi
    cat <<EOF
pwrite-device $dev IGAT 440
mkfs ntfs ${dev}1 label:System_Reserved
mount ${dev}1 /
write /bootmgr "BOOTMGR"
mkdir-p /Boot
upload $4/BCD /Boot/BCD
umount /
EOF
  fi
  echo "mkfs ntfs ${dev}2 label:Windows"
  echo "mount ${dev}2 /"
  windows_c_commands "$3" "$4"
  echo "umount /"
}

build_windows_fixtures() {  # CACHE
  local cache=$1 name
  local key; key=$(cat "$windows_here"/*.py "$windows_here"/*.reg "$windows_here"/*.sh | sha256sum | cut -c1-16)
  local base="$cache/windows2019-conformant.qcow2"
  local stale=0
  for name in windows2019-conformant "${WINDOWS_VARIANTS[@]}"; do
    [ "$(cat "$cache/$name.qcow2.key" 2>/dev/null)" = "$key" ] || stale=1
  done
  [ $stale = 1 ] || return 0
  step "Windows fixtures: windows2019-conformant and ${#WINDOWS_VARIANTS[@]} variants"
  local work; work=$(mktemp -d)
  local stubs=$work/stubs; mkdir -p "$stubs"
  python3 "$windows_here/files.py" pe "$stubs/cmd.exe"
  python3 "$windows_here/files.py" evtx "$stubs/cleared.evtx" 1
  python3 "$windows_here/files.py" evtx "$stubs/system-5000.evtx" 5000
  python3 "$windows_here/files.py" utf16 "$stubs/scripts.ini" '\n[Startup]\n0CmdLine=C:\\bootstrap.bat\n0Parameters=\n'
  python3 "$windows_here/empty-hive.py" "$stubs/BCD"
  mkdir -p "$work/hives"
  windows_hives "$work/hives" "" "" ""

  # From scratch: the conformant disk and the variants with another layout,
  # in one appliance.
  local scratch=(windows2019-conformant) layouts=("40G mbr") args=() commands="$work/scratch.fish"
  for name in "${WINDOWS_VARIANTS[@]}"; do
    LAYOUT=""; SYSTEM_REG=""; SOFTWARE_REG=""; SAM_REG=""; C_COMMANDS=""
    "${name//-/_}"
    [ -n "$LAYOUT" ] && { scratch+=("$name"); layouts+=("$LAYOUT"); }
  done
  echo run > "$commands"
  local letters=(a b c d e f g h i j k l m n o p)
  for i in "${!scratch[@]}"; do
    rm -f "$cache/${scratch[$i]}.qcow2" "$cache/${scratch[$i]}.qcow2.key"
    qemu-img create -q -f qcow2 "$cache/${scratch[$i]}.qcow2.tmp" "${layouts[$i]%% *}"
    args+=(-a "$cache/${scratch[$i]}.qcow2.tmp")
    windows_layout_commands "/dev/sd${letters[$i]}" "${layouts[$i]}" "$work/hives" "$stubs" >> "$commands"
  done
  guestfish --format=qcow2 "${args[@]}" < "$commands" > /dev/null  # pwrite-device prints its byte count
  for name in "${scratch[@]}"; do mv "$cache/$name.qcow2.tmp" "$cache/$name.qcow2"; done

  # Overlays of the conformant disk, in a second appliance.
  commands="$work/overlays.fish"; args=(); echo run > "$commands"
  local i=0
  for name in "${WINDOWS_VARIANTS[@]}"; do
    LAYOUT=""; SYSTEM_REG=""; SOFTWARE_REG=""; SAM_REG=""; C_COMMANDS=""
    "${name//-/_}"
    [ -z "$LAYOUT" ] || continue
    rm -f "$cache/$name.qcow2" "$cache/$name.qcow2.key"
    qemu-img create -q -f qcow2 -F qcow2 -b "$(basename "$base")" "$cache/$name.qcow2.tmp"
    args+=(-a "$cache/$name.qcow2.tmp")
    local dev="/dev/sd${letters[$i]}"
    echo "mount ${dev}2 /" >> "$commands"
    if [ -n "$SYSTEM_REG$SOFTWARE_REG$SAM_REG" ]; then
      mkdir -p "$work/$name"
      windows_hives "$work/$name" "$SYSTEM_REG" "$SOFTWARE_REG" "$SAM_REG"
      for hive in SYSTEM SOFTWARE SAM; do echo "upload $work/$name/$hive /Windows/System32/config/$hive" >> "$commands"; done
    fi
    [ -z "$C_COMMANDS" ] || echo "${C_COMMANDS//\$STUBS/$stubs}" >> "$commands"
    echo "umount /" >> "$commands"
    i=$((i + 1))
  done
  (cd "$cache" && guestfish --format=qcow2 "${args[@]}" < "$commands")
  for name in windows2019-conformant "${WINDOWS_VARIANTS[@]}"; do
    if [ -f "$cache/$name.qcow2.tmp" ]; then mv "$cache/$name.qcow2.tmp" "$cache/$name.qcow2"; fi
    echo "$key" > "$cache/$name.qcow2.key"
  done
  rm -rf "$work"
  done_step
}
