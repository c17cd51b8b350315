@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// LNX-BOOT-CHAIN, read off the disk before anything boots: the
/// default entry's kernel and initramfs are there, its root= names a
/// filesystem on this disk; what GRUB works out at boot is not guessed.
final class BootChainTests: XCTestCase {
    static let kernel = RuleTests.kernel

    func judge(grub: String, files: [String: String] = [:], volumes: [OSFacts.Volume], bootCode: Bool? = true) async -> Finding {
        var fs = RuleTests.clean
        fs.files["/boot/grub/grub.cfg"] = grub
        fs.files.merge(files) { $1 }
        var facts = RuleTests.facts
        facts.volumes = volumes
        facts.bootCode = bootCode
        return await BootLoaderRules.bootChain.evaluate(RuleContext(fs: fs, facts: facts, profile: .default))
    }

    static let disk: [OSFacts.Volume] = {
        var root = OSFacts.Volume(device: "/dev/sda1", filesystem: "ext4", mbrID: 0x83)
        (root.uuid, root.label, root.partUUID) = ("6a1f0000-aaaa-bbbb-cccc-000000000001", "cloudimg-rootfs", "ab12cd34-01")
        return [root]
    }()

    static func entry(root: String, kernelPath: String = "/boot/vmlinuz-\(kernel)", initrd: String = "/boot/initrd.img-\(kernel)") -> String {
        "set default=\"0\"\nmenuentry 'Debian GNU/Linux' {\n\tsearch --no-floppy --fs-uuid --set=root 6a1f\n\tlinux\t\(kernelPath) root=\(root) ro \(RuleTests.args)\n\tinitrd\t\(initrd)\n}\nmenuentry 'other' {\n\tinitrd /boot/nowhere.img\n}\n"
    }

    func testTheChainOnThisDiskPassesByUUIDLabelOrPartUUID() async {
        for root in ["UUID=6A1F0000-AAAA-BBBB-CCCC-000000000001", "LABEL=cloudimg-rootfs", "PARTUUID=ab12cd34-01",
                     "/dev/disk/by-uuid/6a1f0000-aaaa-bbbb-cccc-000000000001", "/dev/vda1", "/dev/mapper/vg-root"] {
            let finding = await judge(grub: Self.entry(root: root), volumes: Self.disk)
            XCTAssertEqual(finding.outcome, .pass, "\(root): \(finding.found) \(finding.evidence)")
        }
    }

    func testARootUUIDFromTheBuildMachineFailsAtItsLine() async {
        let finding = await judge(grub: Self.entry(root: "UUID=0c2b6f1e-dead-beef-0000-000000000000"), volumes: Self.disk)
        XCTAssertEqual(finding.outcome, .fail)
        let problem = finding.evidence.first { $0.text.contains("names no filesystem on this disk") }
        XCTAssertEqual(problem?.line, 4, "\(finding.evidence)")
        XCTAssertTrue(problem?.text.contains("6a1f0000-aaaa-bbbb-cccc-000000000001 (ext4)") == true, "\(finding.evidence)")
    }

    func testAMissingKernelOrInitramfsFailsOnlyForTheDefaultEntry() async {
        let noInitrd = await judge(grub: Self.entry(root: "UUID=6a1f0000-aaaa-bbbb-cccc-000000000001", initrd: "/boot/initrd.img-5.10.0-9-amd64"),
                                   volumes: Self.disk)
        XCTAssertEqual(noInitrd.outcome, .fail)
        XCTAssertTrue(noInitrd.evidence.contains { $0.text.contains("/boot/initrd.img-5.10.0-9-amd64 is not on the disk") }, "\(noInitrd.evidence)")
        XCTAssertFalse(noInitrd.evidence.contains { $0.text.contains("nowhere") }, "another entry's files are not the default's")
        // A separate /boot: GRUB's paths are relative to it.
        let separate = await judge(grub: Self.entry(root: "UUID=6a1f0000-aaaa-bbbb-cccc-000000000001", kernelPath: "/vmlinuz-\(Self.kernel)",
                                                    initrd: "(hd0,msdos1)/initrd.img-\(Self.kernel)"), volumes: Self.disk)
        XCTAssertEqual(separate.outcome, .pass, "\(separate.found) \(separate.evidence)")
    }

    /// The init the command line names must be where the kernel runs it
    /// from: `rdinit=` in the entry's initramfs, `init=` on the root
    /// filesystem; the last of each counts, and words after `--` are init's.
    func testAnInitTheCommandLineNamesMustBeThere() async {
        func judge(_ extra: String, initramfs: [String]? = ["init", "scripts/local", "usr/lib/modules/\(Self.kernel)/kernel/fs/ext4/ext4.ko"]) async -> Finding {
            var grub = Self.entry(root: "UUID=6a1f0000-aaaa-bbbb-cccc-000000000001")
            grub = grub.replacingOccurrences(of: " ro ", with: " ro \(extra) ")
            var fs = RuleTests.clean
            fs.files["/boot/grub/grub.cfg"] = grub
            fs.files["/opt/vendor/init"] = "#!/bin/sh\n"
            fs.initramfs["/boot/initrd.img-\(Self.kernel)"] = initramfs
            var facts = RuleTests.facts
            facts.volumes = Self.disk
            facts.bootCode = true
            return await BootLoaderRules.bootChain.evaluate(RuleContext(fs: fs, facts: facts, profile: .default))
        }
        for held in ["rdinit=/init", "rdinit=/scripts/local", "init=/opt/vendor/init", "init=/nowhere init=/opt/vendor/init", "-- init=/nowhere"] {
            let finding = await judge(held)
            XCTAssertEqual(finding.outcome, .pass, "\(held): \(finding.found) \(finding.evidence)")
        }
        let noRdinit = await judge("rdinit=/opt/vendor/init")
        XCTAssertEqual(noRdinit.outcome, .fail)
        XCTAssertTrue(noRdinit.evidence.contains { $0.line == 4 && $0.text.contains("rdinit=/opt/vendor/init is not in the initramfs") }, "\(noRdinit.evidence)")
        let noInit = await judge("init=/sbin/vendor-init")
        XCTAssertEqual(noInit.outcome, .fail)
        XCTAssertTrue(noInit.evidence.contains { $0.text.contains("init=/sbin/vendor-init is not on the root filesystem") }, "\(noInit.evidence)")
        let unread = await judge("rdinit=/opt/vendor/init", initramfs: nil)
        XCTAssertNotEqual(unread.outcome, .fail, "an initramfs not read decides nothing: \(unread.evidence)")
    }

    /// The BIOS starts the first sector's code; GRUB on GPT needs a BIOS
    /// boot partition; an EFI system partition alone is UEFI-only.
    func testTheBootLoaderMustBeWhereTheBIOSLooks() async {
        let root = "UUID=6a1f0000-aaaa-bbbb-cccc-000000000001"
        let wiped = await judge(grub: Self.entry(root: root), volumes: Self.disk, bootCode: false)
        XCTAssertEqual(wiped.outcome, .fail)
        XCTAssertTrue(wiped.evidence.contains { $0.path == "/dev/sda (first sector)" }, "\(wiped.evidence)")
        var gptRoot = Self.disk[0]
        gptRoot.mbrID = nil
        gptRoot.gptType = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
        let esp = OSFacts.Volume(device: "/dev/sda15", filesystem: "vfat", gptType: BootChain.efiSystemPartition)
        let uefiOnly = await judge(grub: Self.entry(root: root), volumes: [gptRoot, esp])
        XCTAssertEqual(uefiOnly.outcome, .fail)
        XCTAssertTrue(uefiOnly.evidence.contains { $0.text.contains("UEFI only") }, "\(uefiOnly.evidence)")
        let biosBoot = OSFacts.Volume(device: "/dev/sda14", filesystem: "", gptType: BootChain.biosBootPartition)
        let both = await judge(grub: Self.entry(root: root), volumes: [gptRoot, esp, biosBoot])
        XCTAssertEqual(both.outcome, .pass, "\(both.found) \(both.evidence)")
    }

    func testWhatIsWorkedOutAtBootOrUnreadIsNotGuessed() async {
        let variable = await judge(grub: Self.entry(root: "UUID=0c2b6f1e", kernelPath: "$kernel"), volumes: [OSFacts.Volume(device: "/dev/sda1", filesystem: "ext4")])
        XCTAssertEqual(variable.outcome, .pass, "\(variable.found)")
        XCTAssertTrue(variable.found.contains("not checked") && variable.found.contains("identifiers were not read"), variable.found)
    }
}

/// The stages LNX-BOOT-CHAIN walks past the kernel's files: GRUB's
/// modules, the entry `default` names (grubenv, submenus, BootLoaderSpec),
/// what the command line starts and systemd's default target.
final class BootChainStageTests: XCTestCase {
    static let kernel = RuleTests.kernel
    static let uuid = "6a1f0000-aaaa-bbbb-cccc-000000000001"

    /// grub.cfg as Debian 12's update-grub writes it, cut to its shape.
    static let debianGrub = """
        if [ -s $prefix/grubenv ]; then
          set have_grubenv=true
          load_env
        fi
        if [ "${next_entry}" ] ; then
           set default="${next_entry}"
           set next_entry=
           save_env next_entry
           set boot_once=true
        else
           set default="0"
        fi
        function load_video {
          if [ x$feature_all_video_module = xy ]; then
            insmod all_video
          else
            insmod efi_gop
          fi
        }
        terminal_output gfxterm
        insmod part_msdos
        insmod ext2
        if [ x$feature_default_font_path = xy ] ; then font=unicode ; else insmod vbe; fi
        menuentry 'Debian GNU/Linux' --class debian --class gnu-linux $menuentry_id_option 'gnulinux-simple-\(uuid)' {
        \tload_video
        \tinsmod gzio
        \tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi
        \tinsmod part_msdos
        \tinsmod ext2
        \tsearch --no-floppy --fs-uuid --set=root \(uuid)
        \techo\t'Loading Linux \(kernel) ...'
        \tlinux\t/boot/vmlinuz-\(kernel) root=UUID=\(uuid) ro \(RuleTests.args)
        \tinitrd\t/boot/initrd.img-\(kernel)
        }
        submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-\(uuid)' {
        \tmenuentry 'Debian GNU/Linux, with Linux \(kernel)' --class debian $menuentry_id_option 'gnulinux-\(kernel)-advanced-\(uuid)' {
        \t\tlinux\t/boot/vmlinuz-\(kernel) root=UUID=\(uuid) ro \(RuleTests.args)
        \t\tinitrd\t/boot/initrd.img-\(kernel)
        \t}
        \tmenuentry 'Debian GNU/Linux, with Linux \(kernel) (recovery mode)' --class debian $menuentry_id_option 'gnulinux-\(kernel)-recovery-\(uuid)' {
        \t\tlinux\t/boot/vmlinuz-\(kernel) root=UUID=\(uuid) ro single \(RuleTests.args)
        \t\tinitrd\t/boot/initrd.img-\(kernel)
        \t}
        }
        if [ "$grub_platform" = "efi" ]; then
        \tmenuentry 'UEFI Firmware Settings' $menuentry_id_option 'uefi-firmware' {
        \t\tfwsetup
        \t}
        fi

        """

    static let modules = ["normal", "gettext", "terminal", "crypto", "boot", "extcmd", "gzio", "part_msdos", "ext2", "fshelp", "linux",
                          "relocator", "mmap", "video", "vbe", "video_fb", "search", "search_fs_uuid", "echo", "loadenv", "all_video"]

    static var guest: InMemoryFilesystem {
        var fs = RuleTests.clean
        fs.files["/boot/grub/grub.cfg"] = debianGrub
        for module in modules { fs.files["/boot/grub/i386-pc/\(module).mod"] = "\u{7f}ELF" }
        fs.files["/boot/grub/i386-pc/moddep.lst"] = "normal: gettext terminal crypto boot extcmd\ngzio:\next2: fshelp\nlinux: relocator mmap video vbe boot\nvbe: video video_fb\nsearch: search_fs_uuid extcmd\n"
        fs.files["/boot/grub/i386-pc/command.lst"] = "linux: linux\ninitrd: linux\n*search: search\necho: echo\n"
        fs.symlinks["/etc/systemd/system/default.target"] = "/lib/systemd/system/multi-user.target"
        fs.files["/lib/systemd/system/multi-user.target"] = "[Unit]\n"
        fs.files["/lib/systemd/system/rescue.target"] = "[Unit]\n"
        fs.files["/sbin/init"] = "\u{7f}ELF"
        fs.files["/bin/false"] = "\u{7f}ELF"
        fs.files["/bin/bash"] = "\u{7f}ELF"
        return fs
    }

    static var facts: OSFacts {
        var facts = RuleTests.facts
        var root = OSFacts.Volume(device: "/dev/sda1", filesystem: "ext4", mbrID: 0x83)
        root.uuid = uuid
        facts.volumes = [root]
        facts.bootCode = true
        return facts
    }

    func judge(_ change: (inout InMemoryFilesystem) -> Void = { _ in }, facts: OSFacts = facts) async -> Finding {
        var fs = Self.guest
        change(&fs)
        return await BootLoaderRules.bootChain.evaluate(RuleContext(fs: fs, facts: facts, profile: .default))
    }

    func testDebiansOwnLayoutPassesWithEveryStageNamed() async {
        let finding = await judge()
        XCTAssertEqual(finding.outcome, .pass, "\(finding.found) \(finding.evidence)")
        for stage in ["BIOS boot code", "GRUB's modules in /boot/grub/i386-pc", "entry 'Debian GNU/Linux'", "default \"0\" (/boot/grub/grub.cfg line 11)",
                      "/boot/vmlinuz-\(Self.kernel) and /boot/initrd.img-\(Self.kernel)", "root=UUID=\(Self.uuid) (ext4 on /dev/sda1)", "default.target multi-user.target"] {
            XCTAssertTrue(finding.found.contains(stage), "\(stage) not in: \(finding.found)")
        }
        XCTAssertFalse(finding.found.contains("not checked"), finding.found)
    }

    func testAModuleGRUBNeedsMissingFromItsFolderFails() async {
        let normal = await judge { $0.files["/boot/grub/i386-pc/normal.mod"] = nil }
        XCTAssertEqual(normal.outcome, .fail)
        XCTAssertTrue(normal.evidence.contains { $0.path == "/boot/grub/i386-pc" && $0.text.contains("grub rescue>") }, "\(normal.evidence)")
        let dependency = await judge { $0.files["/boot/grub/i386-pc/crypto.mod"] = nil }
        XCTAssertEqual(dependency.outcome, .fail)
        XCTAssertTrue(dependency.evidence.contains { $0.text == "crypto.mod is not in /boot/grub/i386-pc: normal.mod needs it (moddep.lst)" }, "\(dependency.evidence)")
        let inserted = await judge { $0.files["/boot/grub/i386-pc/gzio.mod"] = nil }
        XCTAssertEqual(inserted.outcome, .fail)
        XCTAssertTrue(inserted.evidence.contains { $0.line == 26 && $0.text == "gzio.mod is not in /boot/grub/i386-pc: insmod gzio fails" }, "\(inserted.evidence)")
        let command = await judge { $0.files["/boot/grub/i386-pc/linux.mod"] = nil }
        XCTAssertTrue(command.evidence.contains { $0.line == 32 && $0.text.contains("linux.mod is not in /boot/grub/i386-pc: linux, a command of linux.mod (command.lst), is unknown") }, "\(command.evidence)")
        // Modules loaded only under a condition (Xen, EFI, a font) are not needed on this platform.
        for conditional in ["xzio", "efi_gop", "all_video"] {
            let finding = await judge { $0.files["/boot/grub/i386-pc/\(conditional).mod"] = nil }
            XCTAssertEqual(finding.outcome, .pass, "\(conditional): \(finding.evidence)")
        }
        let noFolder = await judge { fs in for module in Self.modules { fs.files["/boot/grub/i386-pc/\(module).mod"] = nil }
            fs.files["/boot/grub/i386-pc/moddep.lst"] = nil; fs.files["/boot/grub/i386-pc/command.lst"] = nil }
        XCTAssertEqual(noFolder.outcome, .pass, "a folder elsewhere is not guessed: \(noFolder.found)")
        XCTAssertTrue(noFolder.found.contains("no /boot/grub/i386-pc"), noFolder.found)
    }

    func testTheEntryDefaultNamesIsTheOneJudged() async {
        func pick(_ setting: String, grubenv: String? = nil) async -> Finding {
            await judge { fs in
                fs.files["/boot/grub/grub.cfg"] = Self.debianGrub.replacingOccurrences(of: "set default=\"0\"", with: setting)
                fs.files["/boot/grub/grubenv"] = grubenv
            }
        }
        // The recovery entry boots with `single`.
        let recovery = "gnulinux-advanced-\(Self.uuid)>gnulinux-\(Self.kernel)-recovery-\(Self.uuid)"
        for (setting, grubenv) in [("set default=\"1>1\"", nil), ("set default=\"\(recovery)\"", nil),
                                   ("set default=\"${saved_entry}\"", "# GRUB Environment Block\nsaved_entry=\(recovery)\n"),
                                   ("set default=\"0\"", "next_entry=1>1\n")] {
            let finding = await pick(setting, grubenv: grubenv)
            XCTAssertEqual(finding.outcome, .fail, "\(setting) \(grubenv ?? ""): \(finding.found)")
            XCTAssertTrue(finding.evidence.contains { $0.line == 41 && $0.text.hasPrefix("single on the kernel command line") }, "\(finding.evidence)")
        }
        let plain = await pick("set default=\"1>0\"")
        XCTAssertEqual(plain.outcome, .pass, plain.found)
        XCTAssertTrue(plain.found.contains("with Linux \(Self.kernel)'"), plain.found)
        let unset = await pick("set default=\"${saved_entry}\"")
        XCTAssertTrue(unset.found.contains("default \"0\""), "an unset saved_entry is entry 0: \(unset.found)")
        XCTAssertFalse(unset.found.contains("names no entry"), unset.found)
        let nowhere = await pick("set default=\"no such entry\"")
        XCTAssertEqual(nowhere.outcome, .pass, nowhere.found)
        XCTAssertTrue(nowhere.found.contains("names no entry: GRUB boots the first"), nowhere.found)
        let noMenu = await judge { $0.files["/boot/grub/grub.cfg"] = "set default=0\ninsmod ext2\n" }
        XCTAssertEqual(noMenu.outcome, .fail)
        XCTAssertTrue(noMenu.found.contains("GRUB stops at its command line"), noMenu.found)
        // A grub.cfg that reads another file for its menu is not judged by this one's.
        let handOver = await judge { $0.files["/boot/grub/grub.cfg"] = "search --no-floppy --fs-uuid --set=dev \(Self.uuid)\nset prefix=($dev)/boot/grub\nconfigfile $prefix/vendor.cfg\n" }
        XCTAssertEqual(handOver.outcome, .couldNotCheck, handOver.found)
        XCTAssertTrue(handOver.found.contains("/boot/grub/grub.cfg:3: configfile $prefix/vendor.cfg: the menu it reads is not followed"), handOver.found)
    }

    func testACommandLineThatStopsTheBootFails() async {
        func line(_ extra: String) async -> Finding {
            await judge { fs in
                fs.files["/boot/grub/grub.cfg"] = Self.debianGrub.replacingOccurrences(of: "ro \(RuleTests.args)\n\tinitrd", with: "ro \(extra) \(RuleTests.args)\n\tinitrd")
                fs.symlinks["/usr/sbin/vendor-init"] = "/bin/bash"
            }
        }
        for (extra, says) in [("systemd.unit=rescue.target", "rescue mode"), ("emergency", "emergency mode"), ("S", "rescue mode"),
                              ("init=/bin/false", "runs false, which is not an init system: it exits at once"),
                              ("init=/usr/sbin/vendor-init", "runs bash, which is not an init system: a shell")] {
            let finding = await line(extra)
            XCTAssertEqual(finding.outcome, .fail, extra)
            XCTAssertTrue(finding.evidence.contains { $0.line == 32 && $0.text.contains(says) }, "\(extra): \(finding.evidence)")
        }
        for fine in ["init=/sbin/init", "systemd.unit=multi-user.target", "quiet splash"] {
            let finding = await line(fine)
            XCTAssertEqual(finding.outcome, .pass, "\(fine): \(finding.evidence)")
        }
    }

    func testSystemdsDefaultTargetMustNotBeRescue() async {
        let rescue = await judge { $0.symlinks["/etc/systemd/system/default.target"] = "/lib/systemd/system/rescue.target" }
        XCTAssertEqual(rescue.outcome, .fail)
        XCTAssertEqual(rescue.evidence.first?.path, "/etc/systemd/system/default.target")
        XCTAssertTrue(rescue.found.contains("default.target is rescue.target"), rescue.found)
        // Without a link in /etc, the package's own default counts.
        let shipped = await judge { fs in
            fs.symlinks["/etc/systemd/system/default.target"] = nil
            fs.symlinks["/lib/systemd/system/default.target"] = "emergency.target"
            fs.files["/lib/systemd/system/emergency.target"] = "[Unit]\n"
        }
        XCTAssertEqual(shipped.outcome, .fail)
        XCTAssertEqual(shipped.evidence.first?.path, "/lib/systemd/system/default.target")
    }

    /// The Red Hat family's layout: grub.cfg runs `blscfg`, the entries are
    /// files under /boot/loader/entries, the newest version first, the
    /// choice in grubenv's saved_entry, the options in `$kernelopts`.
    func testBootLoaderSpecEntriesAreReadAsBlscfgReadsThem() async {
        let machine = "0a1b2c3d4e5f"
        func entry(_ version: String) -> String {
            "title Rocky Linux (\(version)) 9.3 (Blue Onyx)\nversion \(version)\nlinux /vmlinuz-\(version)\ninitrd /initramfs-\(version).img $tuned_initrd\noptions $kernelopts $tuned_params\nid rocky-20231120-\(version)\ngrub_users $grub_users\ngrub_arg --unrestricted\ngrub_class rocky\n"
        }
        var facts = Self.facts
        facts.packageFormat = "rpm"
        func rocky(_ change: (inout InMemoryFilesystem) -> Void) async -> Finding {
            await judge({ fs in
                fs.files["/boot/grub/grub.cfg"] = nil
                fs.files["/boot/grub2/grub.cfg"] = "set default=\"${saved_entry}\"\ninsmod part_gpt\ninsmod xfs\nblscfg\n"
                for module in Self.modules + ["part_gpt", "xfs", "blscfg"] { fs.files["/boot/grub2/i386-pc/\(module).mod"] = "\u{7f}ELF" }
                fs.files["/boot/grub2/grubenv"] = "# GRUB Environment Block\nkernelopts=root=UUID=\(Self.uuid) ro \(RuleTests.args)\nboot_success=0\n"
                for version in ["5.14.0-70.13.1.el9_0.x86_64", "5.14.0-362.8.1.el9_3.x86_64"] {
                    fs.files["/boot/loader/entries/\(machine)-\(version).conf"] = entry(version)
                    fs.files["/boot/vmlinuz-\(version)"] = "kernel"
                    fs.files["/boot/initramfs-\(version).img"] = ""
                }
                change(&fs)
            }, facts: facts)
        }
        let newest = await rocky { _ in }
        XCTAssertEqual(newest.outcome, .pass, "\(newest.found) \(newest.evidence)")
        XCTAssertTrue(newest.found.contains("/boot/vmlinuz-5.14.0-362.8.1.el9_3.x86_64"), "the newest version, not the last file name: \(newest.found)")
        let missing = await rocky { $0.files["/boot/initramfs-5.14.0-362.8.1.el9_3.x86_64.img"] = nil }
        XCTAssertEqual(missing.outcome, .fail)
        XCTAssertTrue(missing.evidence.contains { $0.path == "/boot/loader/entries/\(machine)-5.14.0-362.8.1.el9_3.x86_64.conf" && $0.line == 4 }, "\(missing.evidence)")
        let saved = await rocky { fs in
            fs.files["/boot/grub2/grubenv"]! += "saved_entry=\(machine)-5.14.0-70.13.1.el9_0.x86_64\n"
            fs.files["/boot/vmlinuz-5.14.0-70.13.1.el9_0.x86_64"] = nil
        }
        XCTAssertEqual(saved.outcome, .fail)
        XCTAssertTrue(saved.found.contains("/vmlinuz-5.14.0-70.13.1.el9_0.x86_64 is not on the disk"), saved.found)
        XCTAssertEqual(saved.evidence.first { $0.text.contains("is not on the disk") }?.line, 3, "the entry's linux line: \(saved.evidence)")
        let rescue = await rocky { $0.files["/boot/grub2/grubenv"] = "kernelopts=root=UUID=\(Self.uuid) ro systemd.unit=emergency.target\n" }
        XCTAssertTrue(rescue.evidence.contains { $0.line == 5 && $0.text.contains("emergency mode") }, "\(rescue.evidence)")
    }

    func testGRUBsLexerKeepsQuotedWordsAndSplitsCommands() {
        XCTAssertEqual(GrubMenu.commands("if [ x\"$a\" = xy ] ; then insmod 'x z'; fi # insmod w"),
                       [["if", "[", "x$a", "=", "xy", "]"], ["then", "insmod", "x z"], ["fi"]])
        XCTAssertEqual(GrubMenu.commands("echo \"a;b\" \\; c"), [["echo", "a;b", ";", "c"]])
        XCTAssertEqual(VersionOrder.compare("5.14.0-362.8.1.el9_3", "5.14.0-70.13.1.el9_0"), 1)
        XCTAssertEqual(VersionOrder.compare("1.0~rc1", "1.0"), -1)
        XCTAssertEqual(VersionOrder.compare("1.0", "1.0"), 0)
    }
}
