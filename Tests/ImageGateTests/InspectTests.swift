import Foundation
import ImageGate
import ImageGateInspection
import TestSupport
import XCTest

/// `imagegate inspect` on the fixture images: the conformant one fails no
/// rule, and every static defect fails exactly the rules the manifest lists.
final class InspectTests: XCTestCase {
    func testConformantFixtureFailsNoRule() async throws {
        let image = try FixtureManifest.image(try FixtureManifest.load().conformant)
        let accelerator = try await Appliance.localAccelerator()
        // The fast OS discovery, and libguestfs's inspection to compare it
        // with, in two appliances at once.
        var slow = StaticInspector(accelerator: accelerator)
        slow.osDetection = .libguestfs
        async let libguestfs = slow.inspect(image)
        let result = try await StaticInspector(accelerator: accelerator).inspect(image)
        let failed = result.findings.filter { $0.outcome == .fail || $0.outcome == .warning }
        XCTAssertEqual(failed.map(\.rule), [], failed.map { "\($0.rule): \($0.found) \($0.evidence)" }.joined(separator: "\n"))
        XCTAssertEqual(result.facts.distro, "debian")
        XCTAssertEqual(result.facts.majorVersion, 12)
        XCTAssertNotNil(result.facts.packages["cloud-init"])
        XCTAssertEqual(result.findings.map(\.rule), RuleCatalogue.rules(RuleCatalogue.all, for: "linux").map(\.id), "IMG, LNX and SEC rules, no WIN")
        // Debian 12 is not in the platform's cloud-init table: never a pass.
        XCTAssertEqual(result.findings.first { $0.rule == "LNX-CLOUD-INIT-VENDOR" }?.outcome, .couldNotCheck)
        // ... so the verdict is INCOMPLETE, never PASS, naming exactly those rules.
        XCTAssertEqual(result.verdict, .incomplete)
        XCTAssertEqual(result.findings.filter(\.isUncheckedError).map(\.rule), try FixtureManifest.load().conformantUnchecked)
        XCTAssertEqual(result.findings.first { $0.rule == "IMG-OS" }?.outcome, .pass)
        XCTAssertEqual(result.facts.mounts.map(\.mountpoint), ["/"])

        // The fast OS discovery and libguestfs's inspection agree on every
        // fact and every finding.
        let reference = try await libguestfs
        XCTAssertEqual(result.facts, reference.facts)
        XCTAssertEqual(result.findings.map { "\($0.rule) \($0.outcome.rawValue) \($0.found)" },
                       reference.findings.map { "\($0.rule) \($0.outcome.rawValue) \($0.found)" })
    }

    /// Every variant (static ones must fail exactly their rules; boot-only
    /// ones must fail none), in shared appliances, one per core at once.
    func testEveryDefectFailsExactlyItsListedRules() async throws {
        let manifest = try FixtureManifest.load()
        let accelerator = try await Appliance.localAccelerator()
        // Every variant in shared appliances (StaticBatch), as the queue
        // inspects them; StaticBatchTests shows a batch finds what each image
        // alone finds. The variants are read as the overlays they are
        // (``FixtureManifest/described``): flattening 31 copies of 700 MB
        // cost more than the inspections themselves.
        let inspector = StaticInspector(accelerator: accelerator)
        var items: [StaticBatch.Item] = []
        for variant in manifest.variants {
            items.append(.init(image: try FixtureManifest.described(variant.name), inspector: inspector))
        }
        var batch = StaticBatch(accelerator: accelerator)
        let alone = LockedLines()
        batch.progress = { alone.add("\(manifest.variants[$0].name): \($1)") }
        let inspected = await batch.inspect(items, appliancesAtOnce: ProcessInfo.processInfo.activeProcessorCount)
        let results = zip(manifest.variants, try inspected.map { try $0.get() }).map { ($0, $1) }
        XCTAssertEqual(alone.lines, [], "every image was judged in a shared appliance")
        XCTAssertEqual(results.count, manifest.variants.count)
        for (variant, result) in results {
            let fails = Set(result.findings.filter { $0.outcome == .fail }.map(\.rule))
            let warns = Set(result.findings.filter { $0.outcome == .warning }.map(\.rule))
            XCTAssertEqual(fails, Set(variant.fails), "\(variant.name): failures \(describe(result, fails.symmetricDifference(variant.fails)))")
            XCTAssertEqual(warns, Set(variant.warns ?? []), "\(variant.name): warnings \(describe(result, warns.symmetricDifference(variant.warns ?? [])))")
            // Nothing unread is judged: what could not be checked is exactly what the manifest says.
            let unchecked = Set(result.findings.filter { $0.outcome == .couldNotCheck }.map(\.rule))
            let expected = Set(manifest.conformantUnchecked + (variant.unchecked ?? [])).subtracting(fails)
            XCTAssertEqual(unchecked, expected, "\(variant.name): could-not-check \(describe(result, unchecked.symmetricDifference(expected)))")
            XCTAssertEqual(result.verdict, fails.isEmpty ? .incomplete : .fail, variant.name)
            let shown = result.findings.filter { $0.outcome == .fail }.flatMap(\.evidence).map(\.description).joined(separator: "\n")
            for text in variant.evidence ?? [] {
                XCTAssertTrue(shown.contains(text), "\(variant.name): no failing evidence holds \(text): \(shown)")
            }
            for finding in result.findings where finding.outcome == .fail {
                XCTAssertFalse(finding.evidence.isEmpty, "\(variant.name) \(finding.rule) has no evidence")
                XCTAssertNotNil(finding.fix, "\(variant.name) \(finding.rule) has no fix")
            }
        }
    }

    /// A disk with a filesystem and no operating system is a failing verdict
    /// (IMG-OS), not bad input and never a pass.
    func testADiskWithoutAnOperatingSystemFailsImgOS() throws {
        let dir = NSTemporaryDirectory() + "no-os-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/tree/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "a data disk\n".write(toFile: dir + "/tree/etc/motd", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Shell.run("truncate", ["-s", "64M", dir + "/disk.raw"]).status, 0)
        let mkfs = try Shell.run("mkfs.ext4", ["-q", "-F", "-d", dir + "/tree", dir + "/disk.raw"])
        XCTAssertEqual(mkfs.status, 0, mkfs.stderr)
        XCTAssertEqual(try Shell.run("qemu-img", ["convert", "-O", "qcow2", dir + "/disk.raw", dir + "/disk.qcow2"]).status, 0)
        // The same reports as every verdict command, in Chinese.
        let run = try Shell.run(FixtureManifest.packageRoot + "/.build/debug/imagegate", [
            "inspect", dir + "/disk.qcow2", "--lang", "zh", "--json", dir + "/r.json", "--junit", dir + "/j.xml", "--html", dir + "/r.html",
        ])
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("✗ IMG-OS") && run.stdout.contains("no operating system found"), run.stdout)
        XCTAssertTrue(run.stdout.contains("/dev/sda: ext4"), "what was found is named: \(run.stdout)")
        XCTAssertTrue(run.stdout.contains("审核结论: 不通过") && run.stdout.contains("只含一个 ImageGate 可审核的操作系统"), run.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "imagegate-inspection")
        XCTAssertEqual(json["verdict"] as? String, "fail")
        let digest = (json["result"] as? [String: Any])?["digest"] as? [String: String]
        XCTAssertEqual(digest?["before"], digest?["after"])
        XCTAssertEqual(digest?["before"]?.count, 64)
        let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", dir + "/j.xml"])
        XCTAssertEqual(lint.status, 0, lint.stderr)
        XCTAssertTrue(try String(contentsOfFile: dir + "/j.xml", encoding: .utf8).contains("<failure"), "IMG-OS fails in JUnit")
        XCTAssertTrue(try String(contentsOfFile: dir + "/r.html", encoding: .utf8).contains("审核结论: 不通过"))
    }

    private func describe(_ result: InspectionResult, _ rules: Set<String>) -> String {
        result.findings.filter { rules.contains($0.rule) }
            .map { "\($0.rule)=\($0.outcome.rawValue): \($0.found) \($0.evidence.map(\.description))" }.joined(separator: "; ")
    }
}
