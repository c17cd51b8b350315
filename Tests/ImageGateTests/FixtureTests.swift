import Foundation
import Guestfs
import ImageGate
import ImageGateInspection
import XCTest

/// The fixture images are what the manifest says: each variant exists, and
/// differs from the conformant image exactly where the manifest says (read
/// back with libguestfs, in two appliances at once).
final class FixtureTests: XCTestCase {
    func testManifestMatchesTheImages() async throws {
        let manifest = try FixtureManifest.load()
        XCTAssertGreaterThanOrEqual(manifest.variants.filter(\.isStatic).count, 14, "at least 14 static defects")
        XCTAssertGreaterThanOrEqual(manifest.variants.filter { $0.shownBy == ["boot"] }.count, 5, "at least 5 boot-only defects")
        XCTAssertEqual(Set(manifest.variants.map(\.name)).count, manifest.variants.count, "variant names are unique")

        // Two appliances at once (each emulates one vCPU): the conformant
        // image with the first half of the variants, the second half alone.
        let half = (manifest.variants.count + 1) / 2
        let lanes = [(conformant: true, Array(manifest.variants[..<half])), (conformant: false, Array(manifest.variants[half...]))]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (withConformant, variants) in lanes {
                group.addTask { try await Self.check(variants, conformant: withConformant ? manifest.conformant : nil, allVariants: manifest.variants) }
            }
            try await group.waitForAll()
        }
    }

    /// In one appliance: `variants`' facts all hold on their images and,
    /// with `conformant` given, none of `allVariants`' facts holds on it.
    static func check(_ variants: [FixtureManifest.Variant], conformant: String?, allVariants: [FixtureManifest.Variant]) async throws {
        let images = try ((conformant.map { [$0] } ?? []) + variants.map(\.name)).map { try FixtureManifest.image($0) }
        let handle = try Appliance.handle(accelerator: try await Appliance.localAccelerator())
        for image in images {
            try await handle.addDrive(image, format: "qcow2", readOnly: true)
        }
        try await handle.launch()
        var devices = try await handle.devices()
        XCTAssertEqual(devices.count, images.count)

        func holds(_ fact: FixtureManifest.Fact, disk: String) async throws -> Bool {
            if let code = fact.bootCode {
                return try await handle.readDevice(disk, at: 0, count: 440).contains { $0 != 0 } == code
            }
            if let text = fact.contains {
                guard try await handle.exists(fact.path) else { return false }
                return String(decoding: try await handle.readFile(fact.path, limit: 1 << 20), as: UTF8.self).contains(text)
            }
            if let target = fact.link {
                guard try await handle.isSymlink(fact.path) else { return false }
                return try await handle.readLink(fact.path) == target
            }
            let isLink = try await handle.isSymlink(fact.path)
            let isThere = try await handle.exists(fact.path)
            let present = isLink || isThere
            if fact.exists == true { return present }
            if fact.absent == true { return !present }
            XCTFail("\(fact.path): a fact needs contains, link, exists, absent or boot_code")
            return false
        }

        // Facts on the conformant image (first drive): none may hold.
        if conformant != nil {
            let disk = devices.removeFirst()
            try await handle.mountReadOnly(disk + "1", at: "/")
            for variant in allVariants {
                for fact in variant.differs {
                    let holdsOnConformant = try await holds(fact, disk: disk)
                    XCTAssertFalse(holdsOnConformant, "\(variant.name): \(fact.path) already holds on the conformant image")
                }
            }
            try await handle.unmountAll()
        }

        // Each variant: all its facts hold.
        for (device, variant) in zip(devices, variants) {
            try await handle.mountReadOnly(device + "1", at: "/")
            XCTAssertFalse(variant.differs.isEmpty, "\(variant.name) lists no difference")
            for fact in variant.differs {
                let holdsOnVariant = try await holds(fact, disk: device)
                XCTAssertTrue(holdsOnVariant, "\(variant.name): \(fact) does not hold")
            }
            // A recipe writes its own image only: every other variant keeps its boot code.
            if !variant.differs.contains(where: { $0.bootCode != nil }) {
                let code = try await handle.readDevice(device, at: 0, count: 440)
                XCTAssertTrue(code.contains { $0 != 0 }, "\(variant.name): its disk's boot code is gone")
            }
            try await handle.unmountAll()
        }
    }
}
