import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// The queue's attempt policy and scheduling driven by fake checks
/// (``EntryCheck/Function``): retries, FLAKY, a changed candidate, a boot
/// deadline, fleet failover, repeated checks and entries checked at once,
/// each in milliseconds, with no VM and no appliance.
final class QueueAttemptTests: XCTestCase {
    private func runner(_ queue: TemporaryQueue, check: @escaping EntryCheck.Function) -> QueueRunner {
        var runner = QueueRunner(manifest: queue.manifest, history: queue.history, host: QueueHistoryTests.UnusedHost())
        runner.check = check
        return runner
    }

    /// Lost hosts twice, then a pass: FLAKY, never PASS, with the first
    /// attempt kept and the retries counted.
    func testTwoRetriesThenAPassIsFlakyWithBothAttempts() async throws {
        let queue = try TemporaryQueue("flaky", entries: [("acme", "web")])
        defer { queue.remove() }
        try "queue_retries: 2\n".write(toFile: queue.dir + "/two.yaml", atomically: true, encoding: .utf8)
        try String(contentsOfFile: queue.dir + "/queue.yaml", encoding: .utf8)
            .replacingOccurrences(of: "image: a.qcow2}", with: "image: a.qcow2, profile: two.yaml}")
            .write(toFile: queue.dir + "/queue.yaml", atomically: true, encoding: .utf8)
        let attempts = NumberedAttempts(), progress = LockedLines()
        var runner = runner(queue) { check in
            attempts.add(check.entry.key, check.attempt)
            guard check.attempt > 2 else { throw ImageGateError.infrastructure("injected: attempt \(check.attempt) lost the host") }
            return try FakeCheck.report(.pass, for: check)
        }
        runner.manifest = try QueueManifest.load(path: queue.dir + "/queue.yaml")
        runner.progress = { progress.add($0) }
        let run = try await runner.run(resume: false)
        let entry = try XCTUnwrap(try queue.history.entries(run: run.runID).first)
        XCTAssertEqual(attempts.numbers(of: entry.key), [1, 2, 3])
        XCTAssertEqual(entry.verdict, .pass)
        XCTAssertEqual(entry.shownVerdict, "flaky")
        XCTAssertEqual(entry.flakyFirstVerdict, .error)
        XCTAssertEqual(entry.firstAttemptRecord?.verdict, .error)
        XCTAssertTrue(entry.firstAttemptRecord?.problem?.contains("attempt 1 lost the host") ?? false, "\(String(describing: entry.firstAttemptRecord))")
        XCTAssertTrue(entry.problem?.contains("then pass after 2 retries") ?? false, entry.problem ?? "")
        XCTAssertNil(entry.errorCode, "a verdict, not an error")
        XCTAssertTrue(progress.lines.contains("\(entry.key): FLAKY (flaky: ERROR on the first check)"), progress.lines.joined(separator: "\n"))
    }

    /// A candidate written while it was checked is the candidate's doing:
    /// recorded as such, with its own code, and never checked again.
    func testAChangedCandidateIsNotRetriedNorCalledInfrastructure() async throws {
        let queue = try TemporaryQueue("changed", entries: [("acme", "web")])
        defer { queue.remove() }
        let attempts = NumberedAttempts()
        let runner = runner(queue) { check in
            attempts.add(check.entry.key, check.attempt)
            throw ImageGateError.candidateChanged("the candidate \(check.entry.image) changed while it was checked: sha256 aa before, bb after")
        }
        let run = try await runner.run(resume: false)
        let entry = try XCTUnwrap(try queue.history.entries(run: run.runID).first)
        XCTAssertEqual(attempts.numbers(of: entry.key), [1], "not retried")
        XCTAssertEqual(entry.verdict, .error)
        XCTAssertEqual(entry.errorCode, .candidateChanged)
        XCTAssertEqual(entry.exitCode, ImageGateError.Code.candidateChanged.exitStatus)
        XCTAssertTrue(entry.problem?.hasPrefix("the candidate ") ?? false, entry.problem ?? "")
        XCTAssertFalse(entry.problem?.contains("infrastructure") ?? true, entry.problem ?? "")
        XCTAssertNil(entry.firstAttemptRecord)
    }

    /// A boot that ended on a deadline is checked again; a pass then is FLAKY.
    func testABootDeadlineIsRetriedOnce() async throws {
        let queue = try TemporaryQueue("deadline", entries: [("acme", "web")])
        defer { queue.remove() }
        let attempts = NumberedAttempts()
        let runner = runner(queue) { check in
            attempts.add(check.entry.key, check.attempt)
            let stalled = FakeCheck.Boot(cloudInitFinished: nil, endedOnDeadline: true)
            return check.attempt == 1 ? try FakeCheck.report(.incomplete, for: check, boots: [stalled]) : try FakeCheck.report(.pass, for: check)
        }
        let run = try await runner.run(resume: false)
        let entry = try XCTUnwrap(try queue.history.entries(run: run.runID).first)
        XCTAssertEqual(attempts.numbers(of: entry.key), [1, 2])
        XCTAssertEqual(entry.flakyFirstVerdict, .incomplete)
        XCTAssertTrue(entry.firstAttemptRecord?.problem?.contains("ended on a deadline") ?? false, "\(String(describing: entry.firstAttemptRecord))")
    }

    /// The run's `--repeat 3`: each check boots again, the worst verdict is
    /// recorded and each rule counts the checks it failed in.
    func testRepeatedChecksRecordTheWorstAndEachRulesRatio() async throws {
        let queue = try TemporaryQueue("repeat", entries: [("acme", "web")])
        defer { queue.remove() }
        var runner = runner(queue) { check in
            check.attempt == 2 ? try FakeCheck.report(.fail, for: check, failing: ["BOOT-NETWORK"]) : try FakeCheck.report(.pass, for: check)
        }
        runner.repeats = 3
        let reports = queue.dir + "/reports"
        runner.reports = reports
        let run = try await runner.run(resume: false)
        let entry = try XCTUnwrap(try queue.history.entries(run: run.runID).first)
        let checks = try XCTUnwrap(entry.repeatedChecks)
        XCTAssertEqual(checks.verdicts, [.pass, .fail, .pass])
        XCTAssertEqual(checks.failures, ["BOOT-NETWORK": 1])
        XCTAssertEqual(entry.verdict, .fail)
        XCTAssertEqual(try queue.history.findings(entry: entry.id).map(\.rule), ["BOOT-NETWORK"], "the recorded check is the failing one")
        for check in 1...3 {
            let folder = QueueReportFiles.folder(of: queue.manifest.entries[0], in: reports, check: check)
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/report.json"), "check \(check)'s report in \(folder)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/mkt-vm-0001-console.log"), "check \(check)'s console")
        }
    }

    /// `jobs` 2: two entries are checked at once, never more.
    func testTwoJobsCheckTwoEntriesAtOnce() async throws {
        let queue = try TemporaryQueue("jobs", entries: [("acme", "a"), ("acme", "b"), ("acme", "c"), ("acme", "d")])
        defer { queue.remove() }
        let gauge = Gauge()
        var runner = runner(queue) { check in
            gauge.enter()
            defer { gauge.leave() }
            try await Task.sleep(for: .milliseconds(100))
            return try FakeCheck.report(.pass, for: check)
        }
        runner.jobs = 2
        let run = try await runner.run(resume: false)
        XCTAssertEqual(run.checked, 4)
        XCTAssertEqual(gauge.highest, 2)
    }

    /// A fleet host that stops answering mid-check: its entry runs again
    /// on the other host, not as a retry and not as flaky; the run records
    /// the host as unhealthy and every entry has a host.
    func testADroppedFleetHostsEntryRunsAgainOnAnother() async throws {
        let queue = try TemporaryQueue("fleet", entries: [("acme", "a"), ("acme", "b"), ("acme", "c")])
        defer { queue.remove() }
        let one = FakeHost("qemu+ssh://one/system"), two = FakeHost("qemu+ssh://two/system")
        let attempts = NumberedAttempts()
        var runner = runner(queue) { check in
            attempts.add(check.entry.key, check.attempt)
            if check.runner.host.uri == two.uri {
                two.drop()
                throw ImageGateError.infrastructure("lost the connection to \(two.uri)")
            }
            return try FakeCheck.report(.fail, for: check, failing: ["BOOT-NO-PANIC"])
        }
        runner.fleet = Fleet([(one, 1), (two, 1)])
        runner.jobs = 2
        let run = try await runner.run(resume: false)
        let entries = try queue.history.entries(run: run.runID)
        XCTAssertEqual(entries.count, 3)
        for entry in entries {
            XCTAssertEqual(entry.verdict, .fail, "\(entry.key): \(entry.problem ?? "")")
            XCTAssertEqual(entry.host, one.uri)
            XCTAssertNil(entry.flakyFirstVerdict, "a dropped host is not a flaky image")
            XCTAssertEqual(attempts.numbers(of: entry.key).filter { $0 != 1 }, [], "a move is not a retry")
        }
        let moved = entries.filter { $0.problem?.contains("re-run on \(one.uri): \(two.uri) stopped answering mid-check") == true }
        XCTAssertEqual(moved.count, 1, "\(entries.map { "\($0.key): \($0.problem ?? "")" })")
        let statuses = try XCTUnwrap(try queue.history.run(run.runID)).hostStatuses
        XCTAssertEqual(statuses.first { $0.uri == two.uri }?.healthy, false, "\(statuses)")
        XCTAssertEqual(statuses.first { $0.uri == one.uri }?.checked, 3)
    }

    /// Two nights of fake boots: the slower second is a trend, and where
    /// its console parts from the first is named.
    func testASlowerNightIsATrendAndItsConsoleIsCompared() async throws {
        let queue = try TemporaryQueue("nights", entries: [("acme", "web")])
        defer { queue.remove() }
        let good = "Linux version 6.1\nReached target Network.\nCloud-init v. 22.4.2 finished\nmkt-vm-0001 login:\n"
        let bad = "Linux version 6.1\nReached target Network.\nStarting firewalld.service\nCloud-init v. 22.4.2 finished\nmkt-vm-0001 login:\n"
        var first = runner(queue) { check in try FakeCheck.report(.pass, for: check, boots: [.init(cloudInitFinished: 60, console: good)]) }
        first.reports = queue.dir + "/reports"
        let night1 = try await first.run(resume: false)
        var second = runner(queue) { check in
            try FakeCheck.report(.fail, for: check, failing: ["BOOT-FIREWALLD"], boots: [.init(cloudInitFinished: 150, console: bad)])
        }
        second.reports = queue.dir + "/reports-2"
        let night2 = try await second.run(resume: false)
        let tonight = try XCTUnwrap(try queue.history.entries(run: night2.runID).first)
        let trend = try XCTUnwrap(try QueueBootTime.trend(of: tonight, in: queue.history))
        XCTAssertEqual(trend.earlier, [60])
        XCTAssertTrue(trend.slower, "\(trend.tonight) s against 60 s")
        XCTAssertEqual(try QueueBootTime.slower(in: queue.history, run: night1.runID).map(\.key), [], "a first night has nothing to be slower than")
        let investigation = try XCTUnwrap(try QueueInvestigation.investigate(queue.history, run: night2.runID).first)
        XCTAssertEqual(investigation.lastGoodRun, night1.runID)
        let parting = try XCTUnwrap(investigation.consoles.first)
        XCTAssertEqual(parting.line, 3, "the first line tonight's console does not share with the good one")
    }
}

/// How many of something run at once, and the most there ever were.
private final class Gauge: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0, most = 0
    func enter() { lock.withLock { now += 1; most = max(most, now) } }
    func leave() { lock.withLock { now -= 1 } }
    var highest: Int { lock.withLock { most } }
}
