import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import TestSupport
import XCTest

/// The data disk, read back by ImageGate: what the guest made on it, and
/// BOOT-DATA-DISK held against what the guest says.
final class DataDiskReadingTests: XCTestCase {
    /// A disk of `mbrStart` sectors' offset holding an ext4 superblock.
    static func disk(mbrStart: UInt32?, mountCount: UInt16, label: String, lastMounted: String = "") -> [UInt8] {
        let start = Int(mbrStart ?? 0) * 512
        var bytes = [UInt8](repeating: 0, count: start + 4096)
        if let mbrStart {
            bytes[446 + 4] = 0x83
            withUnsafeBytes(of: mbrStart.littleEndian) { bytes.replaceSubrange((446 + 8)..<(446 + 12), with: $0) }
            bytes[510] = 0x55; bytes[511] = 0xAA
        }
        let sb = start + 1024
        bytes[sb + 0x38] = 0x53; bytes[sb + 0x39] = 0xEF
        bytes[sb + 0x5C] = 0x4; bytes[sb + 0x60] = 0x40
        withUnsafeBytes(of: mountCount.littleEndian) { bytes.replaceSubrange((sb + 0x34)..<(sb + 0x36), with: $0) }
        withUnsafeBytes(of: UInt32(1_796_000_000).littleEndian) { bytes.replaceSubrange((sb + 0x2C)..<(sb + 0x30), with: $0) }
        bytes.replaceSubrange((sb + 0x78)..<(sb + 0x78 + label.utf8.count), with: Array(label.utf8))
        bytes.replaceSubrange((sb + 0x88)..<(sb + 0x88 + lastMounted.utf8.count), with: Array(lastMounted.utf8))
        return bytes
    }

    static func read(_ bytes: [UInt8]) async -> DataDiskReading {
        await DataDiskReading.read { offset, count in
            guard offset + UInt64(count) <= UInt64(bytes.count) else { return nil }
            return Array(bytes[Int(offset)..<(Int(offset) + count)])
        }
    }

    func testAPartitionedExt4ThatWasMounted() async {
        let reading = await Self.read(Self.disk(mbrStart: 2048, mountCount: 1, label: "data", lastMounted: "/data"))
        XCTAssertEqual(reading.filesystem, "ext4")
        XCTAssertEqual(reading.place, "partition 1 (MBR) at byte 1048576")
        XCTAssertEqual(reading.label, "data")
        XCTAssertEqual(reading.lastMountPoint, "/data")
        XCTAssertTrue(reading.mounted)
    }

    func testABlankDiskHoldsNothing() async {
        let reading = await Self.read([UInt8](repeating: 0, count: 1 << 16))
        XCTAssertNil(reading.filesystem)
        XCTAssertFalse(reading.mounted)
        XCTAssertTrue(reading.summary.contains("nothing was made"), reading.summary)
    }

    /// mke2fs's own superblock, as the guest's cloud-init makes it: a
    /// filesystem on the whole disk, never mounted; tune2fs counts a mount.
    func testARealExt4FromMke2fs() async throws {
        let path = NSTemporaryDirectory() + "data-disk-\(UUID().uuidString).img"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try Shell.run("truncate", ["-s", "16M", path]).status, 0)
        let made = try Shell.run("/sbin/mke2fs", ["-q", "-F", "-t", "ext4", "-L", "data", path])
        XCTAssertEqual(made.status, 0, made.stderr)
        var reading = await DataDiskReading.read(path: path)
        XCTAssertEqual(reading.filesystem, "ext4", reading.summary)
        XCTAssertEqual(reading.place, "the whole disk")
        XCTAssertEqual(reading.label, "data")
        XCTAssertEqual(reading.mountCount, 0)
        XCTAssertEqual(try Shell.run("/sbin/tune2fs", ["-C", "1", path]).status, 0)
        reading = await DataDiskReading.read(path: path)
        XCTAssertEqual(reading.mountCount, 1)
    }

    func testALinkIsNotFollowed() async throws {
        let link = NSTemporaryDirectory() + "data-link-\(UUID().uuidString)"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/etc/hostname")
        defer { try? FileManager.default.removeItem(atPath: link) }
        let reading = await DataDiskReading.read(path: link)
        XCTAssertNotNil(reading.problem)
    }

    func dataDisk(facts: GuestFacts?, disk: DataDiskReading?, end: BootObservation.End = .factsReceived) -> Finding {
        var o = BootRulesTests.observation(facts: facts, end: end)
        o.observed.dataDisk = disk
        return BootRules.evaluate(o).first { $0.rule == "BOOT-DATA-DISK" }!
    }

    /// The guest says /dev/vdb1 is at /data; the disk says otherwise.
    func testTheGuestsClaimAgainstTheDiskItNeverMounted() async {
        let facts = BootRulesTests.facts()
        let blank = dataDisk(facts: facts, disk: await Self.read([UInt8](repeating: 0, count: 1 << 16)))
        XCTAssertEqual(blank.outcome, .fail)
        XCTAssertTrue(blank.found.contains("holds no filesystem"), blank.found)
        XCTAssertTrue(blank.evidence.contains { $0.origin == .observed }, "\(blank.evidence)")
        XCTAssertTrue(blank.evidence.contains { $0.origin == .guest }, "\(blank.evidence)")
        let unmounted = dataDisk(facts: facts, disk: await Self.read(Self.disk(mbrStart: 2048, mountCount: 0, label: "data")))
        XCTAssertEqual(unmounted.outcome, .fail)
        XCTAssertTrue(unmounted.found.contains("never mounted"), unmounted.found)
        let elsewhere = dataDisk(facts: facts, disk: await Self.read(Self.disk(mbrStart: 2048, mountCount: 1, label: "data", lastMounted: "/mnt")))
        XCTAssertEqual(elsewhere.outcome, .fail)
        let held = dataDisk(facts: facts, disk: await Self.read(Self.disk(mbrStart: 2048, mountCount: 1, label: "data")))
        XCTAssertEqual(held.outcome, .pass, held.found)
        let unread = dataDisk(facts: facts, disk: DataDiskReading(problem: "its first sector could not be read"))
        XCTAssertEqual(unread.outcome, .couldNotCheck, "an unread disk is no pass on the guest's word: \(unread.found)")
        XCTAssertTrue(held.found.contains("mounted 1 time(s)"), held.found)
    }

    /// No facts (cloud-init on another datasource): a disk never formatted fails.
    func testWithoutFactsABlankDiskFails() async {
        let finding = dataDisk(facts: nil, disk: await Self.read([UInt8](repeating: 0, count: 1 << 16)), end: .foreignDatasource("DataSourceNone"))
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertTrue(finding.found.contains("never formatted"), finding.found)
    }

    /// The network the guest reports, held against the host's own reach.
    func testTheNetworkNeedsTheHostsReach() {
        var o = BootRulesTests.observation(facts: BootRulesTests.facts())
        o.observed.network = .noAnswer("10.77.0.20:22 gave no SSH banner")
        XCTAssertEqual(BootRules.evaluate(o).first { $0.rule == "BOOT-NETWORK" }!.outcome, .couldNotCheck)
        o.observed.network = .answered("10.77.0.20:22 answered: SSH-2.0-OpenSSH_9.2p1")
        let passed = BootRules.evaluate(o).first { $0.rule == "BOOT-NETWORK" }!
        XCTAssertEqual(passed.outcome, .pass)
        XCTAssertEqual(passed.evidence.last?.origin, .observed)
    }
}
