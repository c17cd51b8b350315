import Foundation
@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import TestSupport
import XCTest

/// Several images' static phases in one libguestfs appliance.
final class StaticBatchTests: XCTestCase {
    func testAPartitionBelongsToItsOwnDriveOnly() {
        XCTAssertTrue(DiskLayout.partition("/dev/sda1", isOn: "/dev/sda"))
        XCTAssertTrue(DiskLayout.partition("/dev/sdb15", isOn: "/dev/sdb"))
        XCTAssertFalse(DiskLayout.partition("/dev/sdaa1", isOn: "/dev/sda"), "another drive")
        XCTAssertFalse(DiskLayout.partition("/dev/sda", isOn: "/dev/sda"), "the drive itself")
        XCTAssertFalse(DiskLayout.partition("/dev/sdb1", isOn: "/dev/sda"))
    }

    /// The same images inspected in one shared appliance and each in its
    /// own: identical findings, rule by rule (outcome, what was found, the
    /// evidence), and identical facts. The five appliances run one per core
    /// at once.
    func testABatchFindsWhatEachImageAloneFinds() async throws {
        let names = ["debian12-conformant", "swap-in-fstab", "home-unmountable", "windows2019-conformant"]
        let accelerator = try await Appliance.localAccelerator()
        let inspector = StaticInspector(accelerator: accelerator)
        // The variants as the overlays they are (``FixtureManifest/described``).
        let items = try names.map { StaticBatch.Item(image: try FixtureManifest.described($0), inspector: inspector) }
        // Job 0 is the batch, job n the n-th image alone.
        let jobs = [nil] + items.indices.map(Optional.some)
        var batched: [InspectionResult] = [], alone = [Int: InspectionResult]()
        try await withThrowingTaskGroup(of: (Int?, [InspectionResult]).self) { group in
            var next = jobs.makeIterator()
            func start() {
                guard let job = next.next() else { return }
                group.addTask {
                    guard let index = job else { return (nil, try await StaticBatch(accelerator: accelerator).inspect(items).map { try $0.get() }) }
                    return (index, [try await inspector.inspect(items[index].image)])
                }
            }
            for _ in 0..<ProcessInfo.processInfo.activeProcessorCount { start() }
            for try await (job, results) in group {
                if let job { alone[job] = results[0] } else { batched = results }
                start()
            }
        }
        XCTAssertEqual(batched.count, items.count)
        for (index, shared) in batched.enumerated() {
            let own = try XCTUnwrap(alone[index])
            XCTAssertEqual(shared.findings, own.findings, names[index])
            XCTAssertEqual(shared.facts, own.facts, names[index])
        }
    }

    /// Three images in one appliance; the appliance is killed (SIGKILL to
    /// its QEMU) as the second image's inspection begins. The second is
    /// inspected again alone, the third in a new appliance, and each result
    /// is the one its image earns: the batch is not sunk by one image.
    func testAnImageThatKillsTheSharedApplianceIsInspectedAloneAndTheBatchGoesOn() async throws {
        let conformant = try FixtureManifest.image("debian12-conformant")
        try await FixtureManifest.withCandidate("swap-in-fstab") { swap in
            let accelerator = try await Appliance.localAccelerator()
            let inspector = StaticInspector(accelerator: accelerator)
            var items: [StaticBatch.Item] = []
            for path in [conformant, swap, conformant] {
                items.append(.init(image: try await ImageFile.validate(path), inspector: inspector))
            }
            var batch = StaticBatch(accelerator: accelerator)
            let notes = LockedLines()
            batch.progress = { notes.add("\($0): \($1)") }
            let killed = LockedLines()
            batch.beforeItem = { index, handle in
                guard index == 1, killed.lines.isEmpty, let pid = try? await handle.appliancePID() else { return }
                killed.add("\(pid)")
                kill(pid, SIGKILL)
            }
            let results = await batch.inspect(items)
            XCTAssertEqual(killed.lines.count, 1, "the appliance was killed once")
            XCTAssertTrue(notes.lines.contains { $0.hasPrefix("1: the shared appliance died") }, "\(notes.lines)")
            let inspections = try results.map { try $0.get() }
            XCTAssertEqual(inspections.map { $0.findings.first { $0.rule == "LNX-NO-SWAP" }?.outcome }, [.pass, .fail, .pass])
            XCTAssertEqual(inspections.map(\.image.path), [conformant, swap, conformant].map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
            for inspection in inspections {
                XCTAssertEqual(inspection.facts.distro, "debian")
                XCTAssertEqual(inspection.facts.volumes.map(\.device).filter { !$0.hasPrefix("/dev/sda") }, [],
                               "each image's volumes were read off its own drive and named as if alone")
            }
        }
    }
}
