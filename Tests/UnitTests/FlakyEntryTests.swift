import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import XCTest

/// An entry that failed, was checked again and passed is FLAKY, never
/// PASS: its first check is kept beside the verdict and shown.
final class FlakyEntryTests: XCTestCase {
    func testAPassOnTheSecondCheckIsFlakyWithItsFirstCheckShown() throws {
        let queue = try TemporaryQueue("flaky", entries: [("acme", "web"), ("acme", "db")])
        defer { queue.remove() }
        let run = try queue.history.startRun(queue.manifest)
        var first = QueueHistory.Outcome(entry: queue.manifest.entries[0], imageSize: 1, failedWith: .infrastructure)
        first.record(.fail)
        first.problem = "boot of mkt-vm-0001 ended on a deadline: cloud-init finished"
        first.findings = [Finding(rule: "BOOT-CLOUD-INIT", severity: .error, title: "cloud-init", outcome: .fail, required: "done",
                                  found: "no finished line within 600 s", evidence: [])]
        var second = QueueHistory.Outcome(entry: queue.manifest.entries[0], imageSize: 1, failedWith: .infrastructure)
        second.record(.pass)
        second.flakyFirstVerdict = first.verdict
        second.firstAttempt = FirstAttempt(first)
        try queue.history.record(second, run: run)
        var steady = QueueHistory.Outcome(entry: queue.manifest.entries[1], imageSize: 1, failedWith: .infrastructure)
        steady.record(.pass)
        try queue.history.record(steady, run: run)
        try queue.history.endRun(run, status: .finished)

        let entries = try queue.history.entries(run: run)
        let web = try XCTUnwrap(entries.first { $0.product == "web" }), db = try XCTUnwrap(entries.first { $0.product == "db" })
        XCTAssertEqual(web.verdict, .pass, "the check's own verdict is kept")
        XCTAssertTrue(web.isFlaky)
        XCTAssertEqual(web.shownVerdict, "flaky")
        XCTAssertFalse(db.isFlaky)
        XCTAssertEqual(web.firstAttemptRecord?.verdict, .fail)
        XCTAssertEqual(web.firstAttemptRecord?.failed.map(\.rule), ["BOOT-CLOUD-INIT"])

        let page = try QueueDashboard.render(queue.history, run: run, diff: QueueDiff.compare(queue.history, after: run), language: .english,
                                             linksFrom: queue.dir)
        let flaky = try XCTUnwrap(page.range(of: "<h2>Flaky: passed only when checked again (1)</h2>"))
        let passing = try XCTUnwrap(page.range(of: "<h2>Passing (1)</h2>"))
        XCTAssertLessThan(flaky.lowerBound, passing.lowerBound)
        let flakyTable = String(page[flaky.lowerBound..<passing.lowerBound])
        XCTAssertTrue(flakyTable.contains("<td class=\"flaky\">FLAKY"), flakyTable)
        XCTAssertTrue(flakyTable.contains("first check: FAIL — boot of mkt-vm-0001 ended on a deadline: cloud-init finished<br>✗ <b>BOOT-CLOUD-INIT</b> no finished line within 600 s"), flakyTable)
        XCTAssertFalse(String(page[passing.lowerBound...]).contains("acme</td><td>web"), "never listed as passing")
        XCTAssertTrue(try QueueReport.junit(queue.history, run: run).contains("<property name=\"verdict\" value=\"flaky\"/>"))
        let json = try QueueReport.json(queue.history, run: run, diff: QueueDiff.compare(queue.history, after: run))
        XCTAssertTrue(json.contains("\"shownVerdict\" : \"flaky\"") || json.contains("\"shownVerdict\":\"flaky\""), json)
    }
}
