import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import XCTest

/// Rules that flip with nothing changed, measured on a real history: a flip
/// counts only between consecutive checks of one entry with the same image,
/// profile, scenario, rules and ImageGate; a re-upload that breaks a rule
/// is a change, not a flip.
final class QueueFlipsTests: XCTestCase {
    var queue: TemporaryQueue!
    var dir: String { queue.dir }
    var history: QueueHistory { queue.history }
    var manifest: QueueManifest { queue.manifest }

    override func setUpWithError() throws { queue = try TemporaryQueue("flips", entries: [("acme", "web"), ("acme", "db")]) }

    override func tearDownWithError() throws { queue.remove() }

    func finding(_ rule: String, _ outcome: Outcome, waived: String? = nil) -> Finding {
        Finding(rule: rule, severity: .error, title: rule, outcome: outcome, required: "", found: "\(outcome)", evidence: [], waived: waived)
    }

    /// One finished night: web's BOOT-NETWORK outcome; db's image digest and LNX-NO-SWAP outcome.
    @discardableResult
    func night(web: Outcome?, db: (sha: String, swap: Outcome, waived: String?)) throws -> Int64 {
        let run = try history.startRun(manifest)
        var first = QueueHistory.Outcome(entry: manifest.entries[0], imageSize: 1, imageSHA256: "aaaa", failedWith: .infrastructure)
        if let web {
            first.record(web == .fail ? .fail : .pass)
            first.findings = [finding("BOOT-NETWORK", web), finding("BOOT-CONSOLE", .pass)]
        }
        var second = QueueHistory.Outcome(entry: manifest.entries[1], imageSize: 1, imageSHA256: db.sha, failedWith: .infrastructure)
        second.record(db.swap == .fail && db.waived == nil ? .fail : .pass)
        second.findings = [finding("LNX-NO-SWAP", db.swap, waived: db.waived)]
        try history.record(first, run: run)
        try history.record(second, run: run)
        try history.endRun(run, status: .finished)
        return run
    }

    func testOnlyFlipsWithNothingChangedCount() throws {
        // web: pass fail pass (an infrastructure error) pass fail pass. db:
        // a re-upload (b1 → b2) breaks LNX-NO-SWAP, which is later waived.
        let webOutcomes: [Outcome?] = [.pass, .fail, .pass, nil, .pass, .fail, .pass]
        let dbNights: [(String, Outcome, String?)] = [("b1", .pass, nil), ("b1", .pass, nil), ("b2", .fail, nil), ("b2", .fail, nil),
                                                      ("b2", .fail, "accepted"), ("b2", .fail, "accepted"), ("b2", .fail, "accepted")]
        var last: Int64 = 0
        for (web, db) in zip(webOutcomes, dbNights) { last = try night(web: web, db: db) }
        let flips = try QueueFlips.find(in: history, run: last)
        XCTAssertEqual(flips.runs.count, 7)
        let web = try XCTUnwrap(flips.flips.first { $0.rule == "BOOT-NETWORK" })
        XCTAssertEqual(web.key, manifest.entries[0].key)
        XCTAssertEqual(web.outcomes, ["pass", "fail", "pass", "pass", "fail", "pass"], "the error night judged nothing")
        XCTAssertEqual(web.flips, 4)
        XCTAssertEqual(web.compared, 5)
        // db: pass → fail came with a new image (b1 → b2): no flip; a
        // waived failure counts as a pass, so fail → waived is one flip.
        let db = flips.flips.first { $0.rule == "LNX-NO-SWAP" }
        XCTAssertEqual(db?.flips, 1, "\(String(describing: db))")
        XCTAssertEqual(db?.compared, 5)
        XCTAssertFalse(flips.flips.contains { $0.rule == "BOOT-CONSOLE" }, "a rule that always passed never flipped")
        XCTAssertEqual(flips.flips.map(\.rule), ["BOOT-NETWORK", "LNX-NO-SWAP"], "the highest rate first")

        let page = try QueueDashboard.render(history, run: last, diff: QueueDiff.compare(history, after: last), language: .english, linksFrom: dir)
        XCTAssertTrue(page.contains("<h2>Flipped with nothing changed (2)</h2>"), page)
        XCTAssertTrue(page.contains("<td>BOOT-NETWORK</td><td>4 / 5 (80%)</td>"), page)
        let zh = try QueueDashboard.render(history, run: last, diff: QueueDiff.compare(history, after: last), language: .chinese, linksFrom: dir)
        XCTAssertTrue(zh.contains("<h2>无变更却翻转的规则 (2)</h2>"))
        XCTAssertTrue(QueueReport.flipsText(flips).contains("BOOT-NETWORK: 4 of 5 (80%): pass fail pass pass fail pass"), QueueReport.flipsText(flips))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try QueueReport.json(history, run: last, diff: QueueDiff.compare(history, after: last)).utf8)) as? [String: Any])
        XCTAssertEqual(((json["flips"] as? [String: Any])?["flips"] as? [Any])?.count, 2)
    }

    /// Only the last ``QueueFlips/window`` runs count.
    func testFlipsOlderThanTheWindowAreForgotten() throws {
        try night(web: .fail, db: ("b", .pass, nil))
        for _ in 0..<QueueFlips.window { try night(web: .pass, db: ("b", .pass, nil)) }
        let flips = try QueueFlips.find(in: history, run: try XCTUnwrap(history.runs().first?.id))
        XCTAssertEqual(flips.runs.count, QueueFlips.window)
        XCTAssertEqual(flips.flips, [])
        XCTAssertFalse(try QueueDashboard.render(history, run: flips.runs.last!, diff: QueueDiff.compare(history, after: flips.runs.last!),
                                                 language: .english, linksFrom: dir).contains("Flipped"))
    }
}
