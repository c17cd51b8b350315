import Foundation
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

    func testABrokenApplianceIsStillAnInfrastructureError() throws {
        let run = try Shell.run(PackageRoot.imagegate, ["inspect", dir + "/loop.qcow2", "--rules", "IMG-OS"],
                                environment: ["LIBGUESTFS_PATH": dir + "/no-appliance-here"])
        XCTAssertEqual(run.status, 3, run.stdout + run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("imagegate: infrastructure error:"), run.stderr)
    }
}
