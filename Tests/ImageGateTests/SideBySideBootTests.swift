import Foundation
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel
import TestSupport
import XCTest

/// A check boots its scenario's instances side by side where the machine
/// admits them (``BootAdmission``), one after another otherwise, with the
/// same outcomes either way.
final class SideBySideBootTests: XCTestCase {
    /// The guest is a boot sector that prints a kernel line and a panic and
    /// halts (a boot of seconds, not a full one); its static phase is given.
    /// Two one-vCPU instances: at most one boot (its run folder) at a time
    /// serially, both at once side by side where two such boots fit, and every finding the
    /// same, BOOT-REINSTANCE included. Bound: four short boots.
    func testTwoInstancesSideBySideJudgeAsTheyDoOneAfterAnother() async throws {
        let dir = NSTemporaryDirectory() + "side-by-side-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try BootSector.disk(printing: "Linux version 6.1.0-tiny\r\nKernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n",
                            at: dir + "/tiny.raw")
        let image = try await ImageFile.validate(dir + "/tiny.raw")
        let scenario = try Scenario.parse("""
            name: side-by-side
            description: two one-vCPU instances
            os_family: linux
            hardware:
              cpus: 1
              memory_mib: 256
            instances:
              - hostname: tiny-0001
                mac: "52:54:00:3a:10:01"
                ip: 10.77.0.20
                gateway: 10.77.0.1
              - hostname: tiny-0002
                mac: "52:54:00:3a:20:02"
                ip: 172.20.5.41
                gateway: 172.20.5.1
            """, source: dir + "/side-by-side.yaml")
        let host = try await LibvirtHost.connect()
        let os = Finding(rule: "IMG-OS", severity: .error, title: "One operating system", outcome: .pass, required: "one OS",
                         found: "linux debian 12.0 on /dev/sda1", evidence: [], fix: nil)
        let inspected = InspectionResult(image: image, facts: OSFacts(), findings: [os], accelerator: .tcg)

        func check(sideBySide: Bool) async throws -> (report: CheckReport, mostAtOnce: Int) {
            var runner = CheckRunner(host: host, scenario: scenario, profile: .default)
            runner.instancesSideBySide = sideBySide
            runner.options.postMortem = .never
            let watching = Task { () -> Int in
                var most = 0
                while !Task.isCancelled {
                    // A boot's run folder lives from its plan to its teardown: boots at once have theirs at once.
                    let runs = (try? FileManager.default.contentsOfDirectory(atPath: StateDirectory.default.runs)) ?? []
                    most = max(most, runs.filter { $0.hasPrefix("boot-") && StateDirectory.owner(ofRun: $0)?.pid == getpid() }.count)
                    try? await Task.sleep(for: .milliseconds(50))
                }
                return most
            }
            let report = try await runner.run(image, inspected: inspected)
            watching.cancel()
            return (report, await watching.value)
        }
        let serial = try await check(sideBySide: false)
        let together = try await check(sideBySide: true)

        XCTAssertEqual(serial.mostAtOnce, 1, "one after another")
        let admitted = BootAdmission.jobs(memoryMiBPerBoot: 256, cpusPerBoot: 1)
        XCTAssertEqual(together.mostAtOnce, min(2, admitted), "side by side where \(admitted) such boots fit")
        XCTAssertEqual(together.report.instances.map(\.hostname), ["tiny-0001", "tiny-0002"], "in the scenario's order")
        func outcomes(_ report: CheckReport) -> [String: Outcome] {
            Dictionary(uniqueKeysWithValues: report.findings.map { ($0.rule, $0.outcome) })
        }
        XCTAssertEqual(outcomes(together.report), outcomes(serial.report))
        XCTAssertEqual(serial.report.findings.first { $0.rule == "BOOT-NO-PANIC" }?.outcome, .fail)
        let reinstance = try XCTUnwrap(together.report.findings.first { $0.rule == "BOOT-REINSTANCE" })
        XCTAssertNotEqual(reinstance.outcome, .notApplicable, "both instances judged: \(reinstance.found)")
    }
}
