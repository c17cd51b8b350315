@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// LNX-VIRTIO asks for the root filesystem's driver beside virtio_blk: an
/// initramfs that cannot mount root ends the boot at "Gave up waiting for
/// root file system device" or "unknown filesystem type", whatever the
/// disk holds.
final class RootDriverTests: XCTestCase {
    static let kernel = RuleTests.kernel

    func judge(root filesystem: String, builtin: [String] = [], modules: [String], initramfs: [String]?) async -> Finding {
        var fs = RuleTests.clean
        let virtio = ["kernel/drivers/block/virtio_blk.ko", "kernel/drivers/net/virtio_net.ko", "kernel/drivers/virtio/virtio_pci.ko"]
        fs.files["/lib/modules/\(Self.kernel)/modules.builtin"] = (virtio + builtin).map { $0 + "\n" }.joined()
        fs.files["/lib/modules/\(Self.kernel)/modules.dep"] = modules.map { $0 + ":\n" }.joined()
        fs.initramfs["/boot/initrd.img-\(Self.kernel)"] = initramfs
        var facts = RuleTests.facts
        facts.volumes = [OSFacts.Volume(device: "/dev/sda1", filesystem: filesystem, mbrID: 0x83)]
        facts.mounts = [GuestMount(mountpoint: "/", spec: "/dev/sda1", mounted: true)]
        return await KernelRules.virtio.evaluate(RuleContext(fs: fs, facts: facts, profile: .default))
    }

    func testTheRootFilesystemsDriverMustBeInTheInitramfsOrBuiltIn() async {
        let xfs = "kernel/fs/xfs/xfs.ko"
        let missing = await judge(root: "xfs", modules: [xfs], initramfs: ["usr/lib/modules/\(Self.kernel)/kernel/fs/ext4/ext4.ko"])
        XCTAssertEqual(missing.outcome, .fail, missing.found)
        XCTAssertTrue(missing.evidence.contains { $0.path == "/boot/initrd.img-\(Self.kernel)" && $0.text.contains("xfs.ko is not in the initramfs") },
                      "\(missing.evidence)")

        let present = await judge(root: "xfs", modules: [xfs], initramfs: ["usr/lib/modules/\(Self.kernel)/\(xfs)"])
        XCTAssertEqual(present.outcome, .pass, "\(present.found) \(present.evidence)")
        XCTAssertTrue(present.found.contains("xfs (the root filesystem, xfs) module in the initramfs"), present.found)

        let builtIn = await judge(root: "ext4", builtin: ["kernel/fs/ext4/ext4.ko"], modules: [], initramfs: [])
        XCTAssertEqual(builtIn.outcome, .pass, "\(builtIn.found) \(builtIn.evidence)")

        // ext3 is mounted by ext4's driver.
        let ext3 = await judge(root: "ext3", modules: ["kernel/fs/ext4/ext4.ko"], initramfs: ["usr/lib/modules/\(Self.kernel)/kernel/fs/ext4/ext4.ko"])
        XCTAssertEqual(ext3.outcome, .pass, "\(ext3.found) \(ext3.evidence)")

        let none = await judge(root: "btrfs", modules: [], initramfs: [])
        XCTAssertEqual(none.outcome, .fail)
        XCTAssertTrue(none.evidence.contains { $0.text.contains("no driver for the root filesystem (btrfs)") }, "\(none.evidence)")

        let unlisted = await judge(root: "xfs", modules: [xfs], initramfs: nil)
        XCTAssertEqual(unlisted.outcome, .couldNotCheck, "an initramfs not listed decides nothing: \(unlisted.found)")

        let unknown = await judge(root: "zfs_member", modules: [], initramfs: [])
        XCTAssertEqual(unknown.outcome, .pass, "a filesystem ImageGate has no driver name for is the boot's to judge")
    }
}
