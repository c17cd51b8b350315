# The Windows fixture's variants, each with one thing broken (listed with
# what must fail in ../defects.yaml, windows_variants). Sourced by build.sh.
#
# A variant made from scratch sets LAYOUT (see windows_layout in build.sh).
# Any other variant is an overlay of the conformant disk: SYSTEM_REG,
# SOFTWARE_REG and SAM_REG are merged over the conformant hives (a key
# written [-KEY] is deleted), and C_COMMANDS are guestfish commands run
# with C: mounted at /.

win_disk_small() { LAYOUT="30G mbr"; }
win_uefi_gpt() { LAYOUT="40G gpt"; }
win_partition_after_c() { LAYOUT="40G mbr recovery-after-c"; }

win_virtio_missing() {
  SYSTEM_REG='[-HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\netkvm]'
  C_COMMANDS='rm /Windows/System32/drivers/netkvm.sys
rm-rf /Windows/System32/DriverStore/FileRepository/netkvm.inf_amd64_3a5c2b1d0e9f8a7b'
}

win_virtio_version() {
  C_COMMANDS='write /Windows/System32/DriverStore/FileRepository/viostor.inf_amd64_8f1e2d3c4b5a6978/viostor.inf "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\nClass=SCSIAdapter\r\nProvider=%VENDOR%\r\nDriverVer=08/30/2020,100.85.104.19000\r\n"'
}

win_cloudbase_init_missing() {
  SYSTEM_REG='[-HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\cloudbase-init]'
  SOFTWARE_REG='[-HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{8B1C5AF3-1F6A-4C0A-9E5B-2F3C4D5E6F70}]'
  C_COMMANDS='rm-rf "/Program Files/Cloudbase Solutions/Cloudbase-Init"'
}

# Windows Server 2012 R2 without cloudbase-init (the guide's case for the
# startup script), with the 0.1.164 drivers it recommends there, and the
# script not registered.
win_bootscript_missing() {
  SYSTEM_REG='[-HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\cloudbase-init]'
  SOFTWARE_REG='[-HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{8B1C5AF3-1F6A-4C0A-9E5B-2F3C4D5E6F70}]

[-HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Group Policy\Scripts\Startup]

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion]
"ProductName"="Windows Server 2012 R2 Datacenter"
"CurrentMajorVersionNumber"=-
"CurrentMinorVersionNumber"=-
"CurrentVersion"="6.3"
"CurrentBuildNumber"="9600"
"CurrentBuild"="9600"'
  C_COMMANDS='rm-rf "/Program Files/Cloudbase Solutions/Cloudbase-Init"
rm /Windows/System32/GroupPolicy/Machine/Scripts/scripts.ini
write /Windows/System32/DriverStore/FileRepository/viostor.inf_amd64_8f1e2d3c4b5a6978/viostor.inf "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\nClass=SCSIAdapter\r\nDriverVer=11/12/2018,62.77.104.16400\r\n"
write /Windows/System32/DriverStore/FileRepository/netkvm.inf_amd64_3a5c2b1d0e9f8a7b/netkvm.inf "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\nClass=Net\r\nDriverVer=11/12/2018,62.77.104.16400\r\n"'
}

win_cloudbase_not_clean() {
  SOFTWARE_REG='[HKEY_LOCAL_MACHINE\SOFTWARE\Cloudbase Solutions\Cloudbase-Init\i-0a1b2c3d\Plugins]
"cloudbaseinit.plugins.common.sethostname.SetHostNamePlugin"=dword:00000001'
  C_COMMANDS='write "/Program Files/Cloudbase Solutions/Cloudbase-Init/log/cloudbase-init.log" "2026-01-01 10:00:00.000 1234 INFO cloudbaseinit.init [-] Metadata service loaded: HttpService\n"'
}

win_rdp_disabled() {
  SYSTEM_REG='[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Terminal Server]
"fDenyTSConnections"=dword:00000001'
}

win_firewall_on() {
  SYSTEM_REG='[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\SharedAccess\Parameters\FirewallPolicy\PublicProfile]
"EnableFirewall"=dword:00000001'
}

# The lockout threshold (u16 at 0x54 of F) set to 5.
win_lockout_threshold() {
  SAM_REG='[HKEY_LOCAL_MACHINE\SAM\SAM\Domains\Account]
"F"=hex:03,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,e9,03,00,00,00,00,00,00,00,00,00,00,05,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00'
}

win_monitor_agent_missing() {
  SYSTEM_REG='[-HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\UMonAgent]'
  SOFTWARE_REG='[-HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\UMonAgent]'
  C_COMMANDS='rm-rf "/Program Files/UMonAgent"'
}

win_not_cleaned() {
  C_COMMANDS='write /Windows/Temp/setup-7f3a.log "vendor build log\n"
mkdir-p /Windows/SoftwareDistribution/Download/a1b2c3d4e5f6
write /Windows/SoftwareDistribution/Download/a1b2c3d4e5f6/windows10.0-kb5005112-x64.cab "cab"
write /Windows/Logs/WindowsUpdate/WindowsUpdate.20260101.100000.000.1.etl "etl"
upload $STUBS/system-5000.evtx /Windows/System32/winevt/Logs/System.evtx
mkdir-p "/Users/Administrator/AppData/Local/Google/Chrome/User Data/Default"
write "/Users/Administrator/AppData/Local/Google/Chrome/User Data/Default/History" "SQLite format 3"'
}

WINDOWS_VARIANTS=(win-disk-small win-uefi-gpt win-partition-after-c win-virtio-missing win-virtio-version
  win-cloudbase-init-missing win-bootscript-missing win-cloudbase-not-clean win-rdp-disabled win-firewall-on
  win-lockout-threshold win-monitor-agent-missing win-not-cleaned)
