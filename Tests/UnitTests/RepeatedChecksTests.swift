import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// An entry checked several times in one run: recorded with its worst
/// check, each failed rule with the number of checks it failed in, shown on
/// the dashboard (both languages), the terminal, JUnit and the JSON.
final class RepeatedChecksTests: XCTestCase {
    func outcome(_ entry: QueueManifest.Entry, _ verdict: GateVerdict?, failing rules: [String] = [], seconds: Double = 60) -> QueueHistory.Outcome {
        var outcome = QueueHistory.Outcome(entry: entry, imageSize: 1, failedWith: .infrastructure, problem: verdict == nil ? "infrastructure error: host gone" : nil)
        if let verdict { outcome.record(verdict) }
        outcome.seconds = seconds
        outcome.findings = ["BOOT-NETWORK", "BOOT-HOSTNAME", "BOOT-CLOUD-INIT"].map { rule in
            Finding(rule: rule, severity: .error, title: rule, outcome: rules.contains(rule) ? .fail : .pass, required: "", found: rules.contains(rule) ? "not as required" : "ok", evidence: [])
        }
        return outcome
    }

    func testTheWorstCheckIsRecordedAndEachRuleCountsTheChecksItFailedIn() throws {
        let queue = try TemporaryQueue("repeated", entries: [("acme", "web")])
        defer { queue.remove() }
        let entry = queue.manifest.entries[0]
        let outcomes = [outcome(entry, .pass), outcome(entry, .fail, failing: ["BOOT-NETWORK"]), outcome(entry, nil),
                        outcome(entry, .fail, failing: ["BOOT-NETWORK", "BOOT-HOSTNAME"])]
        XCTAssertEqual(RepeatedChecks.recorded(outcomes), 1, "the first of the worst judged checks")
        let checks = RepeatedChecks(outcomes)
        XCTAssertEqual(checks.verdicts, [.pass, .fail, .error, .fail])
        XCTAssertEqual(checks.checks, 4)
        XCTAssertEqual(checks.judged, 3, "the check that ended in an error gave no verdict to count")
        XCTAssertEqual(checks.failures, ["BOOT-NETWORK": 2, "BOOT-HOSTNAME": 1])
        XCTAssertEqual(checks.intermittent, ["BOOT-HOSTNAME", "BOOT-NETWORK"])
        XCTAssertEqual(checks.ratios, ["BOOT-NETWORK 2/3", "BOOT-HOSTNAME 1/3"])
        XCTAssertEqual(checks.summary, "checked 4 times: PASS FAIL ERROR FAIL; failed: BOOT-NETWORK 2/3, BOOT-HOSTNAME 1/3")

        // An error is recorded only when no check gave a verdict; a steady failure is not intermittent.
        XCTAssertEqual(RepeatedChecks.recorded([outcome(entry, nil), outcome(entry, .pass), outcome(entry, .pass)]), 1)
        XCTAssertEqual(RepeatedChecks.recorded([outcome(entry, nil), outcome(entry, nil)]), 0)
        let steady = RepeatedChecks([outcome(entry, .fail, failing: ["BOOT-NETWORK"]), outcome(entry, .fail, failing: ["BOOT-NETWORK"])])
        XCTAssertEqual(steady.intermittent, [])
        XCTAssertEqual(steady.ratios, ["BOOT-NETWORK 2/2"])
        // A waived failure fails no check.
        var waived = outcome(entry, .pass, failing: ["BOOT-NETWORK"])
        waived.findings[0].waived = "profile: no network here"
        XCTAssertEqual(RepeatedChecks([waived]).failures, [:])
    }

    func testARepeatedEntryIsShownWithItsChecksEverywhere() throws {
        let queue = try TemporaryQueue("repeated-shown", entries: [("acme", "web"), ("acme", "db")])
        defer { queue.remove() }
        let run = try queue.history.startRun(queue.manifest)
        let web = queue.manifest.entries.first { $0.product == "web" }!, db = queue.manifest.entries.first { $0.product == "db" }!
        let outcomes = [outcome(web, .pass), outcome(web, .fail, failing: ["BOOT-NETWORK"]), outcome(web, .pass)]
        var recorded = outcomes[RepeatedChecks.recorded(outcomes)]
        recorded.repeated = RepeatedChecks(outcomes)
        try queue.history.record(recorded, run: run)
        try queue.history.record(outcome(db, .pass), run: run)
        try queue.history.endRun(run, status: .finished)

        let entries = try queue.history.entries(run: run)
        let stored = try XCTUnwrap(entries.first { $0.product == "web" })
        XCTAssertEqual(stored.verdict, .fail, "a rule that failed once in three fails the entry")
        XCTAssertEqual(stored.repeatedChecks, RepeatedChecks(outcomes))
        XCTAssertNil(try XCTUnwrap(entries.first { $0.product == "db" }).repeatedChecks)

        let diff = try QueueDiff.compare(queue.history, after: run)
        let english = try QueueDashboard.render(queue.history, run: run, diff: diff, language: .english, linksFrom: queue.dir)
        XCTAssertTrue(english.contains("<div class=\"repeat\">checks this run 3: PASS FAIL PASS — failed in: BOOT-NETWORK 1/3</div>"), english)
        let chinese = try QueueDashboard.render(queue.history, run: run, diff: diff, language: .chinese, linksFrom: queue.dir)
        XCTAssertTrue(chinese.contains("<div class=\"repeat\">本次运行检查次数 3: PASS FAIL PASS — 失败次数: BOOT-NETWORK 1/3</div>"), chinese)
        XCTAssertEqual(english.components(separatedBy: "class=\"repeat\"").count, 2, "only the repeated entry")

        let text = try QueueReport.repeatedText(queue.history, run: run)
        XCTAssertTrue(text.contains("CHECKED MORE THAN ONCE (1)"), text)
        XCTAssertTrue(text.contains("acme/web/\(web.image): FAIL, checked 3 times: PASS FAIL PASS; failed: BOOT-NETWORK 1/3"), text)
        XCTAssertTrue(try QueueReport.junit(queue.history, run: run)
            .contains("<property name=\"repeated\" value=\"checked 3 times: PASS FAIL PASS; failed: BOOT-NETWORK 1/3\"/>"))
        let json = try JSONSerialization.jsonObject(with: Data(try QueueReport.json(queue.history, run: run, diff: diff).utf8)) as? [String: Any]
        let jsonEntries = try XCTUnwrap(json?["entries"] as? [[String: Any]])
        let repeated = try XCTUnwrap(jsonEntries.compactMap { $0["repeated"] as? [String: Any] }.first)
        XCTAssertEqual(repeated["failures"] as? [String: Int], ["BOOT-NETWORK": 1])
        XCTAssertEqual(repeated["verdicts"] as? [String], ["pass", "fail", "pass"])
    }

    /// The runner checks a booting entry as often as the run or the entry
    /// says, and a static-only entry once; every check is recorded.
    func testTheRunnerChecksEachEntryAsOftenAsAsked() async throws {
        let queue = try TemporaryQueue("repeated-runner", entries: [("acme", "web"), ("acme", "db")])
        defer { queue.remove() }
        let yaml = try String(contentsOfFile: queue.dir + "/queue.yaml", encoding: .utf8)
            .replacingOccurrences(of: "product: db, version: '1', image: b.qcow2}", with: "product: db, version: '1', image: b.qcow2, repeat: 2}")
        try yaml.write(toFile: queue.dir + "/queue.yaml", atomically: true, encoding: .utf8)
        let manifest = try QueueManifest.load(path: queue.dir + "/queue.yaml")
        XCTAssertEqual(manifest.entries.map(\.repeatCount), [nil, 2])

        let attempts = NumberedAttempts()
        var runner = QueueRunner(manifest: manifest, history: queue.history, host: QueueHistoryTests.UnusedHost())
        runner.repeats = 3
        // web's first attempt loses the host: retried, then checked twice more.
        let web = manifest.entries[0].key
        runner.check = { check in
            attempts.add(check.entry.key, check.attempt)
            if check.entry.key == web, check.attempt == 1 { throw ImageGateError.infrastructure("injected: the host went away") }
            return try await EntryCheck.real(check)
        }
        let summary = try await runner.run(resume: false)
        XCTAssertEqual(attempts.numbers(of: web), [1, 2, 3, 4], "a retry, then the run's --repeat: each attempt numbered once")
        XCTAssertEqual(attempts.numbers(of: manifest.entries[1].key), [1, 2], "the entry's own repeat: wins")
        let entries = try queue.history.entries(run: summary.runID)
        // Empty image files: each check is refused as bad input, recorded as such, none retried.
        XCTAssertEqual(entries.map { $0.repeatedChecks?.verdicts ?? [] }, [[.error, .error], [.error, .error, .error]])
        let retried = try XCTUnwrap(entries.first { $0.key == web })
        XCTAssertTrue(retried.firstAttemptRecord?.problem?.contains("injected: the host went away") ?? false, "the retried first check is kept")

        var staticOnly = runner
        staticOnly.manifest.entries = staticOnly.manifest.entries.map { var entry = $0; entry.boot = false; return entry }
        staticOnly.check = { check in
            attempts.add(check.entry.key, check.attempt)
            return try await EntryCheck.real(check)
        }
        attempts.clear()
        let second = try await staticOnly.run(resume: false)
        XCTAssertEqual(attempts.numbers(of: manifest.entries[0].key), [1], "nothing to boot: one check")
        XCTAssertEqual(try queue.history.entries(run: second.runID).compactMap(\.repeatedChecks), [])

        XCTAssertThrowsError(try QueueManifest.parse("entries:\n  - {vendor: a, product: b, image: a.qcow2, repeat: 0}\n", source: "q.yaml", base: queue.dir)) { error in
            XCTAssertTrue("\(error)".contains("entries[0].repeat") && "\(error)".contains("0 is not in 1...20"), "\(error)")
        }
    }
}
