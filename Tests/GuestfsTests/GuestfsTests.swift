import Foundation
import Guestfs
import ImageGate
import ImageGateInspection
import XCTest

final class GuestfsTests: XCTestCase {
    private var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "guestfs-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testWriteThenReadBackReadOnly() async throws {
        let accelerator = try await Appliance.localAccelerator()
        let image = dir + "/disk.qcow2"

        // Build a disk: MBR, one ext4 partition labelled "root", a few files.
        let writer = try Appliance.handle(accelerator: accelerator)
        try await writer.createDisk(image, format: "qcow2", size: 64 << 20)
        try await writer.addDrive(image, format: "qcow2", readOnly: false)
        try await writer.launch()
        try await writer.partitionDisk("/dev/sda", tableType: "msdos")
        try await writer.makeFilesystem("ext4", on: "/dev/sda1")
        try await writer.mount("/dev/sda1", at: "/")
        try await writer.makeDirectories("/etc/modprobe.d")
        try await writer.write("/etc/hosts", Array("127.0.0.1 localhost\n::1 localhost\n".utf8))
        try await writer.write("/etc/modprobe.d/mlx5.conf", Array("softdep mlx5_core pre: virtio_net\n".utf8))
        // Past one read's 1 MiB, and not a multiple of it.
        let big = (0..<((5 << 19) + 7)).map { UInt8($0 % 251) }
        try await writer.write("/big", big)
        try await writer.write("/empty", [])
        try await writer.shutdown()
        await writer.close()

        // Read it back through a read-only handle.
        let reader = try Appliance.handle(accelerator: accelerator)
        try await reader.addDrive(image, format: "qcow2", readOnly: true)
        try await reader.launch()
        let partitions = try await reader.partitions()
        XCTAssertEqual(partitions, ["/dev/sda1"])
        let tableType = try await reader.partitionTableType("/dev/sda")
        XCTAssertEqual(tableType, "msdos")
        let location = try await reader.partitionLocation("/dev/sda1")
        XCTAssertEqual(location.device, "/dev/sda")
        XCTAssertEqual(location.number, 1)
        let mbrID = try await reader.mbrID("/dev/sda", partition: 1)
        XCTAssertEqual(mbrID, 0x83)
        let fsType = try await reader.filesystemType("/dev/sda1")
        XCTAssertEqual(fsType, "ext4")
        let filesystems = try await reader.filesystems()
        XCTAssertTrue(filesystems.contains { $0.device == "/dev/sda1" && $0.type == "ext4" }, "\(filesystems)")
        let size = try await reader.size(ofDevice: "/dev/sda")
        XCTAssertEqual(size, 64 << 20)

        try await reader.mountReadOnly("/dev/sda1", at: "/")
        let hosts = try await reader.readLines("/etc/hosts")
        XCTAssertEqual(hosts, ["127.0.0.1 localhost", "::1 localhost"])
        let mlx5 = try await reader.readFile("/etc/modprobe.d/mlx5.conf", limit: 64 << 20)
        XCTAssertEqual(String(decoding: mlx5, as: UTF8.self), "softdep mlx5_core pre: virtio_net\n")
        let bigBack = try await reader.readFile("/big", limit: 64 << 20)
        XCTAssertEqual(bigBack.count, big.count)
        XCTAssertTrue(bigBack == big, "a file read in several chunks comes back whole")
        let capped = try await reader.readFile("/big", limit: (1 << 20) + 7)
        XCTAssertEqual(capped, Array(big.prefix((1 << 20) + 7)), "a read stops at its limit")
        let empty = try await reader.readFile("/empty", limit: 64 << 20)
        XCTAssertEqual(empty, [])
        let statuses = try await reader.stat(in: "/etc", names: ["hosts", "absent", "modprobe.d"])
        XCTAssertEqual(statuses.map { $0.map { $0.mode & 0o170000 } }, [0o100000, nil, 0o040000])
        let blkid = try await reader.blockID("/dev/sda1")
        XCTAssertEqual(blkid["TYPE"], "ext4")
        XCTAssertEqual(blkid["PART_ENTRY_SCHEME"], "dos")
        let names = try await reader.list("/etc")
        XCTAssertEqual(Set(names), ["hosts", "modprobe.d"])
        let isDir = try await reader.isDirectory("/etc/modprobe.d")
        let isFile = try await reader.isFile("/etc/hosts")
        let exists = try await reader.exists("/etc/shadow")
        XCTAssertTrue(isDir)
        XCTAssertTrue(isFile)
        XCTAssertFalse(exists)
        let status = try await reader.stat("/etc/hosts")
        XCTAssertEqual(status.size, 34)
        XCTAssertEqual(status.mode & 0o170000, 0o100000, "not a regular file")

        // Writing through the read-only handle fails.
        do {
            try await reader.write("/etc/hosts", Array("x".utf8))
            XCTFail("a read-only handle wrote")
        } catch let error as GuestfsError {
            XCTAssertTrue(error.operation.hasPrefix("write"), "\(error)")
        }

        // A missing file is a clear error with ENOENT.
        do {
            _ = try await reader.readFile("/etc/nothing-here", limit: 64 << 20)
            XCTFail("a missing file was read")
        } catch let error as GuestfsError {
            XCTAssertTrue(error.isNotFound, "errno \(error.errno): \(error)")
            XCTAssertTrue(error.message.contains("/etc/nothing-here"), error.message)
        }
        let virtualSize = try await reader.virtualSize(ofImage: image)
        XCTAssertEqual(virtualSize, 64 << 20)
        // The reader is left to its deinitialiser, which closes it before
        // returning: the process's exit (libguestfs closes what is still
        // open) comes right after this class, and must not crash.
    }

    func testMissingImageIsAClearError() async throws {
        let handle = try Appliance.handle(accelerator: .tcg)
        do {
            try await handle.addDrive(dir + "/absent.qcow2", format: "qcow2", readOnly: true)
            XCTFail("a missing image was accepted")
        } catch let error as GuestfsError {
            XCTAssertTrue(error.message.contains("absent.qcow2"), error.message)
            XCTAssertTrue(error.operation.hasPrefix("add_drive"))
        }
    }

    func testNonImageFileIsAClearError() async throws {
        let path = dir + "/notes.txt"
        try "just some text, not a disk image\n".write(toFile: path, atomically: true, encoding: .utf8)
        let handle = try Appliance.handle(accelerator: .tcg)
        do {
            _ = try await handle.virtualSize(ofImage: path)
            let format = try await handle.imageFormat(path)
            XCTAssertEqual(format, "raw", "a text file is not a qcow2 image")
            try await handle.addDrive(path, format: "qcow2", readOnly: true)
            try await handle.launch()
            XCTFail("a text file launched as a qcow2 disk")
        } catch let error as GuestfsError {
            XCTAssertFalse(error.message.isEmpty)
        }
    }
}
