import Foundation
import ImageGate
import ImageGateBoot
import Testing

/// One BOOT rule of an image's first boot, as a Swift Testing argument. A
/// vendor's whole test file:
///
///     import ImageGateTesting
///     import Testing
///     @Test(arguments: FirstBootRule.all) func firstBoot(_ rule: FirstBootRule) async throws { try await rule.check() }
///
/// `IMAGEGATE_IMAGE=vendor.qcow2 swift test` then boots the image once (as
/// a new instance: overlay, fresh hostname, IP and MAC, a data disk), and
/// each BOOT rule is its own test case, judged on that one boot; a failure
/// carries the rule's evidence and fix.
public struct FirstBootRule: Sendable, CustomTestStringConvertible {
    public let id: String
    public let title: String

    public var testDescription: String { "\(id) \(title)" }

    /// Every BOOT rule one boot can judge.
    public static var all: [FirstBootRule] { BootRules.catalogue.map { FirstBootRule(id: $0.id, title: $0.title) } }

    /// Records an issue unless this rule passed on the shared boot of
    /// `IMAGEGATE_IMAGE` (booted by the first rule that asks).
    public func check(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await SharedFirstBoot.shared.result()
        guard let finding = result.finding(id) else {
            Issue.record("\(id): no such BOOT rule", sourceLocation: sourceLocation)
            return
        }
        switch finding.outcome {
        case .pass, .info, .notApplicable:
            return
        case .couldNotCheck:
            Issue.record("\(id) could not be checked: \(finding.found)", sourceLocation: sourceLocation)
        case .fail, .warning:
            Issue.record(Comment(rawValue: TestSuiteBoot.failureMessage(finding, result: result)), sourceLocation: sourceLocation)
        }
    }
}

/// The one boot every ``FirstBootRule`` of a test process shares.
actor SharedFirstBoot {
    static let shared = SharedFirstBoot()
    private var task: Task<BootResult, Error>?

    func result() async throws -> BootResult {
        if let task { return try await task.value }
        let task = Task { try await TestSuiteBoot.boot(TestSuiteBoot.imagePath) }
        self.task = task
        return try await task.value
    }
}
