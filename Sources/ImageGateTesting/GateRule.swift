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
    public static var all: [GateRule] {
        var seen: Set<String> = []
        let rules = RuleCatalogue.all.map { GateRule(id: $0.id, title: $0.title) } + BootRules.catalogue.map { GateRule(id: $0.id, title: $0.title) }
        return rules.filter { seen.insert($0.id).inserted }
    }

    /// What this rule's test case says of `report`.
    public enum Judgement: Sendable, Equatable {
        /// Passed, waived, or not one of this image's rules.
        case held
        /// A warning: shown, failing nothing.
        case warning(String)
        /// Failed, or an error rule that could not be checked.
        case failed(String)
    }

    /// Records an issue unless this rule held on the check of
    /// `IMAGEGATE_IMAGE` the test process shares (made by the first rule
    /// that asks). `scenario`: a scenario file of the vendor's own package
    /// (instances, waivers, profile), in place of `IMAGEGATE_SCENARIO`.
    public func check(scenario: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        switch judgement(in: try await SharedCheck.shared.report(scenario: scenario)) {
        case .held: return
        case let .warning(message): Issue.record(Comment(rawValue: message), severity: .warning, sourceLocation: sourceLocation)
        case let .failed(message): Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }

    public func judgement(in report: CheckReport) -> Judgement {
        guard let finding = report.findings.first(where: { $0.rule == id }) else {
            // The check judges an image by its OS family's rules only: a WIN rule is none of a Linux image's.
            return Self.all.contains(where: { $0.id == id }) ? .held : .failed("\(id): no such rule in the catalogue")
        }
        guard finding.waived == nil else { return .held }
        let message = TestSuiteCheck.failureMessage(finding, report: report)
        switch finding.outcome {
        case .pass, .info, .notApplicable: return .held
        case .warning: return .warning(message)
        case .couldNotCheck: return finding.severity == .error ? .failed(message) : .warning(message)
        case .fail: return .failed(message)
        }
    }
}

/// The one check every ``GateRule`` of a test process shares (one per
/// scenario asked for).
actor SharedCheck {
    static let shared = SharedCheck()
    private var tasks: [String?: Task<CheckReport, Error>] = [:]

    func report(scenario: String?) async throws -> CheckReport {
        if let task = tasks[scenario] { return try await task.value }
        let task = Task { try await TestSuiteCheck.check(TestSuiteBoot.imagePath, scenario: scenario) }
        tasks[scenario] = task
        return try await task.value
    }
}
