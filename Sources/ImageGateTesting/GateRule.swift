import Foundation
import ImageGate
import Testing

/// One rule of the whole gate — IMG, LNX or WIN, SEC and BOOT — as a Swift
/// Testing argument. A vendor's whole test file:
///
///     import ImageGateTesting
///     import Testing
///     @Test(arguments: GateRule.all) func gate(_ rule: GateRule) async throws { try await rule.check() }
///
/// `IMAGEGATE_IMAGE=vendor.qcow2 swift test` then checks the image once, as
/// `imagegate check` does (one read-only inspection, then the scenario's
/// boots), and each rule is its own test case judged on that one check: a
/// failure carries what was required, what was found, where, and the fix,
/// in the language of `LANG`; a rule that could not be checked is an issue
/// too, unless the profile (`IMAGEGATE_PROFILE`) or the scenario
/// (`IMAGEGATE_SCENARIO`) waives it; a warning is a warning issue, which
/// fails nothing, and so is a warning rule that could not be checked (as in
/// the verdict, only an unchecked error rule keeps it from PASS). A rule
/// that does not apply to the image (a WIN rule on Linux) passes silently.
public struct GateRule: Sendable, CustomTestStringConvertible {
    public let id: String
    public let title: String

    public var testDescription: String { "\(id) \(title)" }

    /// Every rule of the catalogue, static then boot, each once.
    public static var all: [GateRule] { TestSuiteCheck.rules.map { GateRule(id: $0.id, title: $0.title) } }

    /// Records an issue unless this rule held on the check of
    /// `IMAGEGATE_IMAGE` the test process shares (made by the first rule
    /// that asks). `scenario`: a scenario file of the vendor's own package
    /// (instances, waivers, profile), in place of `IMAGEGATE_SCENARIO`.
    public func check(scenario: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        switch TestSuiteCheck.judgement(of: id, in: try await TestSuiteCheck.shared(scenario: scenario)) {
        case .held: return
        case let .warning(message): Issue.record(Comment(rawValue: message), severity: .warning, sourceLocation: sourceLocation)
        case let .failed(message): Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }
}
