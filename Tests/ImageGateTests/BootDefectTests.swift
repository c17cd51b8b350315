import Foundation
import ImageGate
import ImageGateXCTest
import XCTest

/// Boot-defect fixtures: each fails its expected BOOT rule with the right
/// evidence, and no VM or run file is left behind afterwards.
final class BootDefectTests: XCTestCase {
    func boot(_ name: String) async throws -> BootResult {
        try await FixtureManifest.withCandidate(name) { try await FirstBootTestCase.boot($0) }
    }

    func assertFails(_ result: BootResult, _ rule: String, evidence: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let finding = result.finding(rule) else { return XCTFail("no \(rule)", file: file, line: line) }
        XCTAssertEqual(finding.outcome, .fail, "\(rule): \(finding.found)", file: file, line: line)
        XCTAssertTrue(finding.evidence.contains { $0.text.contains(evidence) },
                      "\(rule) evidence lacks '\(evidence)': \(finding.evidence)", file: file, line: line)
        XCTAssertNotNil(finding.fix, file: file, line: line)
    }

    func testNICPinnedToTheBuildHostsMACFailsNetwork() async throws {
        let result = try await boot("nic-pinned-mac")
        assertFails(result, "BOOT-NETWORK", evidence: "eth0 \(result.plan.instance.mac)")
        XCTAssertTrue(result.finding("BOOT-NETWORK")!.found.contains("not \(result.plan.instance.ip)/24"), result.finding("BOOT-NETWORK")!.found)
        XCTAssertEqual(result.finding("BOOT-HOSTNAME")?.outcome, .pass, "only the network is pinned")
        // With the network broken, the facts came over channel two.
        XCTAssertEqual(result.observation.facts?.channel, "serial console (ttyS0)")
    }

    func testFstabWithoutNofailDropsToEmergencyMode() async throws {
        let result = try await boot("fstab-data-disk-no-nofail")
        assertFails(result, "BOOT-NO-PANIC", evidence: "emergency mode")
        guard case .fatal = result.observation.end else { return XCTFail("the boot should end at the emergency line: \(result.observation.end)") }
    }

    func testCloudInitDisabledFailsHostnameAndCloudInit() async throws {
        let result = try await boot("cloud-init-disabled")
        assertFails(result, "BOOT-HOSTNAME", evidence: "login:")
        XCTAssertEqual(result.finding("BOOT-CLOUD-INIT")?.outcome, .fail, result.finding("BOOT-CLOUD-INIT")!.found)
    }

    func testKernelPanicEndsTheBootWithinSecondsOfThePanicLine() async throws {
        let started = Date()
        let result = try await boot("init-missing")
        assertFails(result, "BOOT-NO-PANIC", evidence: "Kernel panic")
        guard case let .fatal(hit) = result.observation.end else { return XCTFail("\(result.observation.end)") }
        let verdictAt = Date().timeIntervalSince(started)
        // The panic line's time is from VM start; allow for preparation.
        XCTAssertLessThan(verdictAt - hit.mark.seconds, 5 + 3, "verdict \(verdictAt) s, panic line at \(hit.mark.seconds) s")
    }

    /// `imagegate boot` writes the same reports as `check`.
    func testBootCommandWritesTheReports() throws {
        let dir = NSTemporaryDirectory() + "boot-reports-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try FixtureManifest.withCandidate("init-missing") { candidate in
            try Shell.run(FixtureManifest.packageRoot + "/.build/debug/imagegate", [
                "boot", candidate, "--lang", "en", "--json", dir + "/r.json", "--junit", dir + "/j.xml", "--html", dir + "/r.html",
            ])
        }
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("VERDICT: FAIL"), run.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as? [String: Any])
        XCTAssertEqual(json["verdict"] as? String, "fail")
        XCTAssertEqual((json["instances"] as? [Any])?.count, 1)
        let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", dir + "/j.xml"])
        XCTAssertEqual(lint.status, 0, lint.stderr)
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        XCTAssertTrue(html.contains("BOOT-NO-PANIC") && html.contains("class=\"hit\""), "the panic line is highlighted")
    }

    /// Runs last (alphabetically): nothing of this process's boots is left.
    func testZNoDomainOrRunFileIsLeftBehind() async throws {
        let state = StateDirectory.default
        let host = try await LibvirtHost.connect()
        let pid = ProcessInfo.processInfo.processIdentifier
        let mine = try await host.instances(prefix: VMName.prefix).filter { VMName.owner(of: $0.name)?.pid == pid && $0.name.contains("-boot-") }
        XCTAssertEqual(mine.map(\.name), [], "domains left running")
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: state.runs)) ?? []
        XCTAssertEqual(runs.filter { StateDirectory.owner(ofRun: $0)?.pid == pid }, [], "run folders left behind")
        let ports = (try? FileManager.default.contentsOfDirectory(atPath: state.ports)) ?? []
        XCTAssertEqual(ports.filter { LoopbackPort.owner(ofLock: state.ports + "/" + $0) == pid }, [], "port locks left behind")
    }
}
