import Foundation
import ImageGate
import XCTest

/// `imagegate inspect` on the fixture images: the conformant one fails no
/// rule, and every static defect fails exactly the rules the manifest lists.
final class InspectTests: XCTestCase {
    func testConformantFixtureFailsNoRule() async throws {
        let image = try FixtureManifest.image(try FixtureManifest.load().conformant)
        let accelerator = try await Appliance.localAccelerator()
        let result = try await StaticInspector(accelerator: accelerator).inspect(image)
        let failed = result.findings.filter { $0.outcome == .fail || $0.outcome == .warning }
        XCTAssertEqual(failed.map(\.rule), [], failed.map { "\($0.rule): \($0.found) \($0.evidence)" }.joined(separator: "\n"))
        XCTAssertEqual(result.facts.distro, "debian")
        XCTAssertEqual(result.facts.majorVersion, 12)
        XCTAssertNotNil(result.facts.packages["cloud-init"])
        XCTAssertEqual(result.findings.count, RuleCatalogue.all.count)
        // Debian 12 is not in the platform's cloud-init table: never a pass.
        XCTAssertEqual(result.findings.first { $0.rule == "LNX-CLOUD-INIT-VENDOR" }?.outcome, .couldNotCheck)

        // The fast OS discovery and libguestfs's inspection agree on every
        // fact and every finding.
        var slow = StaticInspector(accelerator: accelerator)
        slow.osDetection = .libguestfs
        let reference = try await slow.inspect(image)
        XCTAssertEqual(result.facts, reference.facts)
        XCTAssertEqual(result.findings.map { "\($0.rule) \($0.outcome.rawValue) \($0.found)" },
                       reference.findings.map { "\($0.rule) \($0.outcome.rawValue) \($0.found)" })
    }

    /// Every variant (static ones must fail exactly their rules; boot-only
    /// ones must fail none), two appliances at a time, each on a standalone
    /// copy of the variant.
    func testEveryDefectFailsExactlyItsListedRules() async throws {
        let manifest = try FixtureManifest.load()
        let accelerator = try await Appliance.localAccelerator()
        var results: [(FixtureManifest.Variant, InspectionResult)] = []
        try await withThrowingTaskGroup(of: (FixtureManifest.Variant, InspectionResult).self) { group in
            var pending = manifest.variants.makeIterator()
            func startNext() {
                guard let variant = pending.next() else { return }
                group.addTask {
                    (variant, try await FixtureManifest.withCandidate(variant.name) { try await StaticInspector(accelerator: accelerator).inspect($0) })
                }
            }
            startNext(); startNext()
            while let done = try await group.next() {
                results.append(done)
                startNext()
            }
        }
        XCTAssertEqual(results.count, manifest.variants.count)
        for (variant, result) in results {
            let fails = Set(result.findings.filter { $0.outcome == .fail }.map(\.rule))
            let warns = Set(result.findings.filter { $0.outcome == .warning }.map(\.rule))
            XCTAssertEqual(fails, Set(variant.fails), "\(variant.name): failures \(describe(result, fails.symmetricDifference(variant.fails)))")
            XCTAssertEqual(warns, Set(variant.warns ?? []), "\(variant.name): warnings \(describe(result, warns.symmetricDifference(variant.warns ?? [])))")
            for finding in result.findings where finding.outcome == .fail {
                XCTAssertFalse(finding.evidence.isEmpty, "\(variant.name) \(finding.rule) has no evidence")
                XCTAssertNotNil(finding.fix, "\(variant.name) \(finding.rule) has no fix")
            }
        }
    }

    private func describe(_ result: InspectionResult, _ rules: Set<String>) -> String {
        result.findings.filter { rules.contains($0.rule) }
            .map { "\($0.rule)=\($0.outcome.rawValue): \($0.found) \($0.evidence.map(\.description))" }.joined(separator: "; ")
    }
}
