import Foundation
@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
@testable import ImageGateQueue
import XCTest

/// Boot time as a trend, on a real history: tonight's time to cloud-init's
/// finished line against the median of the entry's last complete runs under
/// the same accelerator; slower by more than 1.2× is a warning on the
/// dashboard, never a verdict.
final class QueueBootTimeTests: XCTestCase {
    var queue: TemporaryQueue!
    var dir: String { queue.dir }
    var history: QueueHistory { queue.history }
    var manifest: QueueManifest { queue.manifest }

    override func setUpWithError() throws { queue = try TemporaryQueue("boot-time", entries: [("acme", "web")]) }

    override func tearDownWithError() throws { queue.remove() }

    /// One finished run whose entry reached cloud-init finished after `seconds` (nil: never).
    @discardableResult
    func night(_ seconds: Double?, accelerator: Accelerator = .kvm, finished: Bool = true, budget: Double? = nil) throws -> Int64 {
        let run = try history.startRun(manifest)
        var outcome = QueueHistory.Outcome(entry: manifest.entries[0], imageSize: 1, failedWith: .infrastructure)
        outcome.record(.pass)
        outcome.accelerator = accelerator
        outcome.bootBudget = budget
        outcome.timelines = ["mkt-vm-0001": ["first byte": 0.4] .merging(seconds.map { ["cloud-init finished": $0] } ?? [:]) { $1 }]
        try history.record(outcome, run: run)
        try history.endRun(run, status: finished ? .finished : .interrupted)
        return run
    }

    func trend(_ run: Int64) throws -> QueueBootTime? {
        try QueueBootTime.trend(of: try XCTUnwrap(history.entries(run: run).first), in: history)
    }

    func testTonightIsComparedWithTheMedianOfItsLastCompleteRunsUnderTheSameAccelerator() throws {
        for seconds in [58.0, 61, 60, 250, 59, 62, 60, 61, 300, 60, 59] { try night(seconds) }  // 11 runs: the oldest is past the window
        try night(15, accelerator: .tcg)        // another accelerator says nothing
        try night(20, finished: false)          // nor does an interrupted run
        try night(nil)                          // nor a boot that never finished
        let slow = try XCTUnwrap(try trend(try night(80)))
        XCTAssertEqual(slow.earlier.count, 10)
        XCTAssertEqual(slow.median, 60.5, "two slow outliers do not move the median")
        XCTAssertTrue(slow.slower, "80 s > 1.2 × 60.5 s")
        XCTAssertTrue(slow.warning(.english).contains("80 s to cloud-init finished, 1.3× the median 60 s of 10 runs (kvm)"), slow.warning(.english))
        XCTAssertTrue(slow.warning(.chinese).hasPrefix("启动比以往变慢"))
        XCTAssertTrue(slow.sparkline?.contains("<polyline") == true)

        let usual = try XCTUnwrap(try trend(try night(70)))
        XCTAssertFalse(usual.slower, "70 s is within 1.2 × the median")
        let slower = try QueueBootTime.slower(in: history, run: try night(90))
        XCTAssertEqual(slower.map(\.tonight), [90])

        let page = try QueueDashboard.render(history, run: try night(95), diff: QueueDiff.compare(history, after: history.runs().first!.id),
                                             language: .english, linksFrom: dir)
        XCTAssertTrue(page.contains("<div class=\"slower\">boot slower than its trend: "), "the warning in the row")
        XCTAssertTrue(page.contains("<svg class=\"spark\""), "the sparkline in the row")
        XCTAssertTrue(page.contains("<td class=\"pass\">PASS"), "a warning, not a verdict")
    }

    func testAFirstBootOrOneThatNeverFinishedHasNoTrend() throws {
        let first = try XCTUnwrap(try trend(try night(60)))
        XCTAssertNil(first.median)
        XCTAssertFalse(first.slower)
        XCTAssertNil(try trend(try night(nil)))
    }

    /// A profile's budget for the OS family, stretched for the accelerator
    /// when the check recorded it: crossing it is a warning of its own,
    /// with the measured time; within it, nothing is said.
    func testABootOverTheProfilesBudgetIsAWarningWithItsTime() throws {
        let over = try XCTUnwrap(try trend(try night(130, budget: 120)))
        XCTAssertTrue(over.overBudget)
        XCTAssertFalse(over.slower, "no trend yet")
        XCTAssertEqual(over.warnings(.english), ["boot over the profile's budget: \(manifest.entries[0].key): 130 s to cloud-init finished, budget 120 s (kvm)"])
        XCTAssertTrue(over.warnings(.chinese).first?.hasPrefix("启动超出配置的预算") == true)
        let run = try XCTUnwrap(history.runs().first?.id)
        XCTAssertEqual(try QueueBootTime.slower(in: history, run: run).map(\.tonight), [130])
        let page = try QueueDashboard.render(history, run: run, diff: QueueDiff.compare(history, after: run), language: .english, linksFrom: dir)
        XCTAssertTrue(page.contains("<div class=\"slower\">boot over the profile&apos;s budget: ") || page.contains("<div class=\"slower\">boot over the profile's budget: "), page)
        let within = try XCTUnwrap(try trend(try night(110, budget: 120)))
        XCTAssertEqual(within.warnings(.english), [])
        XCTAssertNil(try trend(try night(110))?.budget, "a check under a profile without a budget records none")
    }

    func testTheProfilesBudgetIsPerOSFamilyAndPositive() throws {
        let profile = try PlatformProfile.parse("boot_budget_seconds: {linux: 90}\n", source: "p.yaml")
        XCTAssertEqual(profile.bootBudgetSeconds, ["linux": 90])
        XCTAssertEqual(PlatformProfile.default.bootBudgetSeconds, [:], "the seller guide sets none")
        for bad in ["boot_budget_seconds: {solaris: 90}\n", "boot_budget_seconds: {linux: -5}\n", "boot_budget_seconds: {linux: .nan}\n"] {
            XCTAssertThrowsError(try PlatformProfile.parse(bad, source: "p.yaml"), bad) { error in
                XCTAssertTrue("\(error)".contains("p.yaml: field 'boot_budget_seconds'"), "\(error)")
            }
        }
    }
}
