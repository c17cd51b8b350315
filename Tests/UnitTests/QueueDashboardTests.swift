import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import XCTest

/// What a dashboard row names: the rules that keep the image from passing.
final class QueueDashboardTests: XCTestCase {
    func stored(_ rule: String, _ outcome: Outcome, _ severity: Severity = .error, waived: String? = nil) -> QueueHistory.StoredFinding {
        .init(entryID: 1, rule: rule, severity: severity.rawValue, outcome: outcome.rawValue, found: "found", evidence: "", waived: waived)
    }

    func testARowNamesFailedRulesThenUncheckedErrorRulesAndNothingWaived() {
        let rules = QueueDashboard.blockingRules([
            stored("LNX-MONITOR-AGENT", .couldNotCheck), stored("LNX-NO-SWAP", .fail), stored("LNX-FORMAT", .warning, .warning),
            stored("LNX-NOUVEAU", .fail, waived: "accepted"), stored("LNX-MLX5", .couldNotCheck, .warning), stored("BOOT-CONSOLE", .pass),
        ])
        XCTAssertEqual(rules.map(\.rule), ["LNX-NO-SWAP", "LNX-MONITOR-AGENT"])
    }
}
