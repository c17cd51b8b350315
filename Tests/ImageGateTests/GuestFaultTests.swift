import Foundation
@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import TestSupport
import XCTest

/// Whose fault it is: an error raised by the image's own bytes is the
/// image's (a verdict, exit 1), while ImageGate's own machinery failing is
/// an infrastructure error (exit 3).
final class GuestFaultTests: XCTestCase {
    var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "guest-fault-" + UUID().uuidString
        let tree = dir + "/tree"
        for folder in ["etc", "bin", "sbin", "usr/bin", "lib", "var/lib/dpkg"] {
            try FileManager.default.createDirectory(atPath: tree + "/" + folder, withIntermediateDirectories: true)
        }
        // /etc/os-release is a symlink loop: libguestfs's inspect_os stops on it.
        XCTAssertEqual(symlink("os-release.other", tree + "/etc/os-release"), 0)
        XCTAssertEqual(symlink("os-release", tree + "/etc/os-release.other"), 0)
        try "/dev/sda1 / ext4 defaults 0 1\n".write(toFile: tree + "/etc/fstab", atomically: true, encoding: .utf8)
        try "12.5\n".write(toFile: tree + "/etc/debian_version", atomically: true, encoding: .utf8)
        for file in ["bin/sh", "sbin/init"] { FileManager.default.createFile(atPath: tree + "/" + file, contents: Data()) }
        for (program, arguments) in [("truncate", ["-s", "128M", dir + "/disk.raw"]), ("mkfs.ext4", ["-q", "-F", "-d", tree, dir + "/disk.raw"]),
                                     ("qemu-img", ["convert", "-O", "qcow2", dir + "/disk.raw", dir + "/loop.qcow2"])] {
            let made = try Shell.run(program, arguments)
            XCTAssertEqual(made.status, 0, "\(program): \(made.stderr)")
        }
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testAnOSReleaseSymlinkLoopFailsIMGOSAndIsNoInfrastructureError() throws {
        let run = try Shell.run(PackageRoot.imagegate, ["inspect", dir + "/loop.qcow2", "--rules", "IMG-OS"])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("IMG-OS") && run.stdout.contains("no operating system could be read")
                      && run.stdout.contains("Too many levels of symbolic links"), run.stdout)
        XCTAssertFalse(run.stderr.contains("infrastructure error"), run.stderr)
    }

    /// Faults planted where the inspection reads — a symlink loop at
    /// /etc/fstab and at /etc/passwd, a directory whose block is garbage,
    /// an inode table overwritten, a partition ending past the disk — are
    /// the image's: each one's inspection (all five in one shared appliance,
    /// as the queue runs them) is a verdict naming the reason, never an
    /// error. libguestfs's inspection of the shared appliance fails on the
    /// partition past the end: the images that needed it are judged in
    /// appliances of their own, not given the other disk's error. The
    /// partition itself is read as the guest's kernel reads it (cut at the
    /// disk's end), its filesystem whole inside.
    func testFaultsInTheImagesOwnBytesAreVerdictsWithTheirReason() async throws {
        let script = """
            set -e
            tree() {
              rm -rf t; mkdir -p t/etc/ssh t/bin t/sbin t/var/lib/dpkg t/root
              printf 'NAME="Debian GNU/Linux"\\nVERSION_ID="12"\\nID=debian\\n' > t/etc/os-release
              echo 12.5 > t/etc/debian_version; echo '/dev/sda1 / ext4 defaults 0 1' > t/etc/fstab
              echo 'root:x:0:0:root:/root:/bin/bash' > t/etc/passwd; echo 'root:*:19000:0:99999:7:::' > t/etc/shadow
              : > t/var/lib/dpkg/status; : > t/bin/sh; : > t/sbin/init
            }
            disk() { truncate -s 128M $1.raw; mkfs.ext4 -q -F -b 4096 -d t $1.raw; }
            tree; rm t/etc/fstab; ln -s fstab.a t/etc/fstab; ln -s fstab t/etc/fstab.a; disk fstab-loop
            tree; rm t/etc/passwd; ln -s passwd.a t/etc/passwd; ln -s passwd t/etc/passwd.a; disk passwd-loop
            tree; for i in $(seq 1 40); do : > t/etc/ssh/f$i; done; disk dir-garbage
            block=$(debugfs -R 'blocks /etc/ssh' dir-garbage.raw 2>/dev/null | awk '{print $1}')
            dd if=/dev/urandom of=dir-garbage.raw bs=4096 seek=$block count=1 conv=notrunc status=none
            tree; disk inode-table-garbage
            table=$(dumpe2fs inode-table-garbage.raw 2>/dev/null | grep -m1 'Inode table at' | sed 's/.*at \\([0-9]*\\)-.*/\\1/')
            dd if=/dev/urandom of=inode-table-garbage.raw bs=4096 seek=$table count=2 conv=notrunc status=none
            tree; truncate -s 128M partition-past-end.raw; mkfs.ext4 -q -F -b 4096 -E offset=1048576 -d t partition-past-end.raw 100M
            """
        let made = try Shell.run("bash", ["-c", "cd \"$0\" && " + script, dir])
        XCTAssertEqual(made.status, 0, made.stderr)
        // One MBR partition from sector 2048 for 4,000,000 sectors: 1.9 GB on a 128 MiB disk.
        let disk = try XCTUnwrap(FileHandle(forUpdatingAtPath: dir + "/partition-past-end.raw"))
        var entry: [UInt8] = [0x80, 0, 0, 0, 0x83, 0, 0, 0]
        for value in [UInt32(2048), UInt32(4_000_000)] { entry += withUnsafeBytes(of: value.littleEndian, Array.init) }
        try disk.seek(toOffset: 446)
        try disk.write(contentsOf: Data(entry))
        try disk.seek(toOffset: 510)
        try disk.write(contentsOf: Data([0x55, 0xAA]))
        try disk.close()

        let expected = [("fstab-loop", "LNX-NO-SWAP", "/etc/fstab is a symlink loop"),
                        ("passwd-loop", "SEC-AUTHORIZED-KEYS", "/etc/passwd is a symlink loop"),
                        ("dir-garbage", "SEC-SSH-HOST-KEYS", "/etc/ssh"),
                        ("inode-table-garbage", "IMG-OS", "no operating system"),
                        ("partition-past-end", "IMG-OS", "Debian")]
        let accelerator = try await Appliance.localAccelerator()
        let inspector = StaticInspector(accelerator: accelerator)
        var items: [StaticBatch.Item] = []
        for (name, _, _) in expected {
            XCTAssertEqual(try Shell.run("qemu-img", ["convert", "-O", "qcow2", "\(dir)/\(name).raw", "\(dir)/\(name).qcow2"]).status, 0)
            items.append(.init(image: try await ImageFile.validate("\(dir)/\(name).qcow2"), inspector: inspector))
        }
        let results = await StaticBatch(accelerator: accelerator).inspect(items)
        for ((name, rule, reason), result) in zip(expected, results) {
            guard case .success(let inspected) = result else {
                XCTFail("\(name): an error, not a verdict: \(result)")
                continue
            }
            XCTAssertNotEqual(inspected.verdict, .pass, name)
            let finding = try XCTUnwrap(inspected.findings.first { $0.rule == rule }, "\(name): no \(rule)")
            if rule == "IMG-OS" {
                XCTAssertTrue(finding.outcome == .pass || finding.outcome == .fail, "\(name): IMG-OS \(finding.outcome)")
            } else {
                XCTAssertEqual(finding.outcome, .couldNotCheck, "\(name): \(rule) \(finding.found)")
            }
            XCTAssertTrue(finding.found.contains(reason), "\(name): \(rule) says \(finding.found)")
        }
    }

    func testABrokenApplianceIsStillAnInfrastructureError() throws {
        let run = try Shell.run(PackageRoot.imagegate, ["inspect", dir + "/loop.qcow2", "--rules", "IMG-OS"],
                                environment: ["LIBGUESTFS_PATH": dir + "/no-appliance-here"])
        XCTAssertEqual(run.status, 3, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("imagegate: infrastructure error:"), run.stderr)
    }
}
