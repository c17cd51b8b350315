@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateTesting
import XCTest

/// What a vendor's gate test case says of a check: a failed or unchecked
/// rule is a failed case with what was required, found, where and the fix;
/// a warning fails nothing; a waiver or another OS family's rule holds.
final class GateRuleTests: XCTestCase {
    func report(_ findings: [Finding]) -> CheckReport {
        CheckReport(generatedAt: "", language: "en", image: .init(path: "/images/vendor.qcow2", format: "qcow2", virtualSize: 1, sha256: "", sha256After: ""),
                    scenario: .init(name: "s", description: "", source: ""), accelerator: .kvm, verdict: GateVerdict(findings),
                    staticInspection: nil, instances: [], findings: findings, seconds: 1)
    }

    func finding(_ rule: String, _ outcome: Outcome, severity: Severity = .error, waived: String? = nil) -> Finding {
        Finding(rule: rule, severity: severity, title: "t", outcome: outcome, required: "what is required", found: "what was found",
                evidence: [Evidence(path: "/etc/fstab", line: 3, "/swapfile none swap sw 0 0")], fix: outcome == .fail ? "the fix" : nil, waived: waived)
    }

    func testEachOutcomeBecomesWhatTheVendorsTestSays() throws {
        let all = GateRule.all
        XCTAssertEqual(Set(all.map(\.id)).count, all.count, "each rule once")
        XCTAssertTrue(all.contains { $0.id == "LNX-NO-SWAP" } && all.contains { $0.id == "BOOT-CONSOLE" } && all.contains { $0.id == "WIN-RDP" },
                      "static, boot and Windows rules alike")
        let swap = try XCTUnwrap(all.first { $0.id == "LNX-NO-SWAP" })
        guard case let .failed(message) = TestSuiteCheck.judgement(of: swap.id, in: report([finding("LNX-NO-SWAP", .fail)])) else { return XCTFail("a failure must fail") }
        for part in ["LNX-NO-SWAP", "required: what is required", "found:    what was found", "at /etc/fstab:3: /swapfile none swap sw 0 0", "fix:      the fix",
                     "/images/vendor.qcow2"] {
            XCTAssertTrue(message.contains(part), "\(part) in \(message)")
        }
        guard case .failed = TestSuiteCheck.judgement(of: swap.id, in: report([finding("LNX-NO-SWAP", .couldNotCheck)])) else { return XCTFail("unchecked is no pass") }
        guard case .warning = TestSuiteCheck.judgement(of: swap.id, in: report([finding("LNX-NO-SWAP", .warning, severity: .warning)])) else { return XCTFail("a warning") }
        guard case .warning = TestSuiteCheck.judgement(of: swap.id, in: report([finding("LNX-NO-SWAP", .couldNotCheck, severity: .warning)])) else {
            return XCTFail("an unchecked warning rule keeps no verdict from PASS, nor a vendor's test")
        }
        XCTAssertEqual(TestSuiteCheck.judgement(of: swap.id, in: report([finding("LNX-NO-SWAP", .fail, waived: "ticket 12")])), .held, "waived")
        XCTAssertEqual(TestSuiteCheck.judgement(of: swap.id, in: report([finding("LNX-NO-SWAP", .pass)])), .held)
        let rdp = try XCTUnwrap(all.first { $0.id == "WIN-RDP" })
        XCTAssertEqual(TestSuiteCheck.judgement(of: rdp.id, in: report([finding("LNX-NO-SWAP", .pass)])), .held, "a Linux image has no WIN rules to judge")
        guard case .failed = TestSuiteCheck.judgement(of: "LNX-NOPE", in: report([])) else { return XCTFail("an unknown rule") }
    }

    /// A Windows image's check runs no boot: its BOOT cases say so as
    /// warnings with the reason, never a silent pass; with a boot, a BOOT rule
    /// the report has no finding for is none of this check's.
    func testABootPhaseThatDidNotRunIsAWarningOnEveryBootCase() throws {
        var windows = report([finding("WIN-RDP", .pass)])
        windows.bootPhase = "not booted: Windows images are inspected only"
        guard case let .warning(message) = TestSuiteCheck.judgement(of: "BOOT-NETWORK", in: windows) else {
            return XCTFail("a boot that did not run is reported")
        }
        XCTAssertTrue(message.contains("BOOT-NETWORK: not run: not booted: Windows images are inspected only"), message)
        XCTAssertEqual(TestSuiteCheck.judgement(of: "WIN-RDP", in: windows), .held)
        XCTAssertEqual(TestSuiteCheck.judgement(of: "BOOT-NETWORK", in: report([finding("LNX-NO-SWAP", .pass)])), .held)
    }
}
