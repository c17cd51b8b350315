import Foundation
import ImageGate
import XCTest

/// The whole gate — IMG, LNX or WIN, SEC and BOOT — for a vendor who uses
/// XCTest (`ImageGateTesting`'s ``GateRule`` does it with Swift Testing, one
/// test case per rule). A vendor's whole test file:
///
///     import ImageGateXCTest
///     final class VendorImageGateTests: GateTestCase {
///         override func testGate() async throws { try await super.testGate() }
///     }
///
/// XCTest on Linux runs only test methods declared in the test target, and
/// cannot make a test case per rule at run time: `testGate` checks the image
/// once, as `imagegate check` does, and records one failure per rule that
/// did not hold, each naming the rule with what was required, what was
/// found, where, and the fix (in the language of `LANG`). A rule of one's
/// own choosing can be its own method: `try await assertRule("SEC-SSH-HOST-KEYS")`.
/// Warnings fail nothing and are printed. Environment as ``TestSuiteCheck``:
/// `IMAGEGATE_IMAGE`, `IMAGEGATE_SCENARIO`, `IMAGEGATE_PROFILE`,
/// `IMAGEGATE_CONNECT`, `IMAGEGATE_ARTIFACTS`.
open class GateTestCase: XCTestCase {
    /// A scenario file of the vendor's own package, in place of
    /// `IMAGEGATE_SCENARIO`. Override to pin one.
    open class var scenario: String? { nil }

    /// The check every test of the process shares (made by the first that asks).
    public func gateReport() async throws -> CheckReport {
        try await TestSuiteCheck.shared(scenario: Self.scenario)
    }

    /// Fails once per rule of the catalogue that did not hold.
    public func assertGate(file: StaticString = #filePath, line: UInt = #line) async throws {
        let report = try await gateReport()
        for rule in TestSuiteCheck.rules {
            record(TestSuiteCheck.judgement(of: rule.id, in: report), file: file, line: line)
        }
    }

    /// Fails unless `rule` held on the shared check.
    public func assertRule(_ rule: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        record(TestSuiteCheck.judgement(of: rule, in: try await gateReport()), file: file, line: line)
    }

    private func record(_ judgement: TestSuiteCheck.Judgement, file: StaticString, line: UInt) {
        switch judgement {
        case .held: return
        case let .warning(message): print("warning: " + message)
        case let .failed(message): XCTFail(message, file: file, line: line)
        }
    }

    open func testGate() async throws { try await assertGate() }
}
