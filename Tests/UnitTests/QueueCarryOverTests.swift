import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// `queue run --incremental`: what is unchanged since its last complete
/// check is carried over without a check (here, a check would record an
/// error: the images are empty files), what changed, was FLAKY or is a
/// known failure is checked, and a full check older than `--full-every`
/// is done again.
final class QueueCarryOverTests: XCTestCase {
    var queue: TemporaryQueue!

    override func setUpWithError() throws {
        queue = try TemporaryQueue("carry-over", entries: [("acme", "web"), ("acme", "db"), ("globex", "app")], boot: false)
    }

    override func tearDownWithError() throws { queue.remove() }

    func runner() -> QueueRunner {
        var runner = QueueRunner(manifest: queue.manifest, history: queue.history, host: QueueHistoryTests.UnusedHost())
        runner.incremental = true
        return runner
    }

    /// The first night, recorded as a full check would: web passes, db
    /// fails LNX-NO-SWAP, app passed only on its second check.
    func firstNight() throws -> Int64 {
        let run = try queue.history.startRun(queue.manifest)
        for (index, entry) in queue.manifest.entries.enumerated() {
            let (profile, scenario) = try runner().digests(of: entry)
            var outcome = QueueHistory.Outcome(entry: entry, imageSize: 0, imageSHA256: try FileDigest.sha256(entry.image), failedWith: .infrastructure)
            outcome.profileDigest = profile
            outcome.scenarioDigest = scenario
            outcome.record(index == 1 ? .fail : .pass)
            if index == 2 { outcome.flakyFirstVerdict = .error }
            outcome.findings = [Finding(rule: "LNX-NO-SWAP", severity: .error, title: "No swap", outcome: index == 1 ? .fail : .pass,
                                        required: "no swap", found: index == 1 ? "/swapfile in /etc/fstab" : "none", evidence: [])]
            try queue.history.record(outcome, run: run)
        }
        try queue.history.endRun(run, status: .finished)
        return run
    }

    func testUnchangedEntriesAreCarriedOverAndTheRestChecked() async throws {
        let first = try firstNight()
        let events = LockedLines()
        var second = runner()
        second.progress = { events.add($0) }
        let summary = try await second.run(resume: false)
        XCTAssertEqual(summary.carried, 2, "\(events.lines)")
        let entries = try queue.history.entries(run: summary.runID)
        let web = try XCTUnwrap(entries.first { $0.product == "web" }), db = try XCTUnwrap(entries.first { $0.product == "db" })
        let app = try XCTUnwrap(entries.first { $0.product == "app" })
        XCTAssertEqual([web.carriedFrom, db.carriedFrom], [first, first])
        XCTAssertEqual([web.verdict, db.verdict], [.pass, .fail], "the verdicts carried as they were")
        XCTAssertEqual(web.problem, "unchanged since run \(first)")
        XCTAssertEqual(try queue.history.findings(entry: db.id).map(\.found), ["/swapfile in /etc/fstab"], "findings and all")
        XCTAssertNil(app.carriedFrom, "a FLAKY entry is always checked")
        XCTAssertEqual(app.verdict, .error, "checked: its empty image is refused")
        XCTAssertTrue(events.lines.contains("\(web.key): unchanged since run \(first): PASS"), "\(events.lines)")
        let page = try QueueDashboard.render(queue.history, run: summary.runID, diff: QueueDiff.compare(queue.history, after: summary.runID),
                                             language: .english, linksFrom: queue.dir)
        XCTAssertTrue(page.contains("not checked tonight: unchanged since run \(first)"))

        // A re-upload is checked; what stays unchanged is carried from its full check, not from the copy.
        try Data("re-uploaded".utf8).write(to: URL(fileURLWithPath: queue.manifest.entries[0].image))
        let third = try await runner().run(resume: false)
        let entries3 = try queue.history.entries(run: third.runID)
        XCTAssertNil(entries3.first { $0.product == "web" }?.carriedFrom)
        XCTAssertEqual(entries3.first { $0.product == "db" }?.carriedFrom, first)
        XCTAssertEqual(third.carried, 1)
    }

    func testAKnownFailureOrAnOldFullCheckIsCheckedAgain() throws {
        let first = try firstNight()
        let runner = runner()
        let db = queue.manifest.entries[1]
        let (profile, scenario) = try runner.digests(of: db)
        let inputs = (try FileDigest.sha256(db.image), profile, scenario)
        let carry = QueueCarryOver(history: queue.history, fullEveryDays: 7)
        XCTAssertEqual(try carry.unchanged(db, inputs: inputs, before: first + 1)?.runID, first)
        XCTAssertNil(try carry.unchanged(db, inputs: inputs, before: first + 1, now: Date().addingTimeInterval(8 * 86400)), "a week old: checked in full")
        XCTAssertNil(try carry.unchanged(db, inputs: (inputs.0, "another profile", scenario), before: first + 1))
        // A scenario waiver that expired since the check ends the carry-over; one still running does not.
        let tomorrow = Date().addingTimeInterval(86400)
        XCTAssertNil(try carry.unchanged(db, inputs: inputs, before: first + 1, waiverExpiries: [tomorrow], now: tomorrow.addingTimeInterval(60)),
                     "the waiver expired after the check")
        XCTAssertEqual(try carry.unchanged(db, inputs: inputs, before: first + 1, waiverExpiries: [tomorrow])?.runID, first)
        let failed = try XCTUnwrap(queue.history.entries(run: first).first { $0.product == "db" })
        try queue.history.setLabel(try XCTUnwrap(queue.history.failureSignatures(of: failed).first), note: "known", link: nil, until: nil)
        XCTAssertNil(try carry.unchanged(db, inputs: inputs, before: first + 1), "a known failure is checked every night")
    }
}


extension QueueRunner {
    /// The profile and scenario digests the run compares for `entry`.
    func digests(of entry: QueueManifest.Entry) throws -> (profile: String, scenario: String) {
        let check = try resolve([entry])[0].check()
        return (check.profileDigest, check.scenarioDigest)
    }
}
