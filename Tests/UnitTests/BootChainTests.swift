@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// LNX-GRUB-CFG's boot chain, read off the disk before anything boots: the
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
        return await BootLoaderRules.grubConfig.evaluate(RuleContext(fs: fs, facts: facts, profile: .default))
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
            return await BootLoaderRules.grubConfig.evaluate(RuleContext(fs: fs, facts: facts, profile: .default))
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
