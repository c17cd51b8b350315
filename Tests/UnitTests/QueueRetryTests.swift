import Foundation
@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// Retries are capped by the entry's profile (`queue_retries`, 0 to 3,
/// default 1), limited to the host's faults, and never invisible: the first
/// attempt stays beside the last.
final class QueueRetryTests: XCTestCase {
    func testRetriesFollowTheProfileAndKeepTheFirstAttempt() async throws {
        let queue = try TemporaryQueue("retries", entries: [("acme", "none"), ("acme", "default"), ("acme", "three")])
        defer { queue.remove() }
        try "queue_retries: 0\n".write(toFile: queue.dir + "/none.yaml", atomically: true, encoding: .utf8)
        try "queue_retries: 3\n".write(toFile: queue.dir + "/three.yaml", atomically: true, encoding: .utf8)
        let yaml = try String(contentsOfFile: queue.dir + "/queue.yaml", encoding: .utf8)
            .replacingOccurrences(of: "image: a.qcow2}", with: "image: a.qcow2, profile: none.yaml}")
            .replacingOccurrences(of: "image: c.qcow2}", with: "image: c.qcow2, profile: three.yaml}")
        try yaml.write(toFile: queue.dir + "/queue.yaml", atomically: true, encoding: .utf8)
        let manifest = try QueueManifest.load(path: queue.dir + "/queue.yaml")

        // Every attempt but the fourth is the host's fault; the fourth reaches
        // the (empty) image, which is bad input: no verdict, and no retry.
        let attempts = NumberedAttempts()
        var runner = QueueRunner(manifest: manifest, history: queue.history, host: QueueHistoryTests.UnusedHost())
        runner.check = { check in
            attempts.add(check.entry.key, check.attempt)
            if check.attempt < 4 { throw ImageGateError.infrastructure("injected: attempt \(check.attempt) lost the host") }
            return try await EntryCheck.real(check)
        }
        let run = try await runner.run(resume: false)
        let byProduct = Dictionary(uniqueKeysWithValues: manifest.entries.map { ($0.product, $0.key) })
        XCTAssertEqual(attempts.numbers(of: byProduct["none"]!), [1], "queue_retries: 0")
        XCTAssertEqual(attempts.numbers(of: byProduct["default"]!), [1, 2], "the default: one retry")
        XCTAssertEqual(attempts.numbers(of: byProduct["three"]!), [1, 2, 3, 4], "queue_retries: 3")

        let entries = Dictionary(uniqueKeysWithValues: try queue.history.entries(run: run.runID).map { ($0.product, $0) })
        let none = try XCTUnwrap(entries["none"]), retriedOnce = try XCTUnwrap(entries["default"]), three = try XCTUnwrap(entries["three"])
        XCTAssertEqual(none.exitCode, ImageGateError.Code.infrastructure.exitStatus)
        XCTAssertNil(none.firstAttemptRecord, "checked once")
        XCTAssertEqual(retriedOnce.exitCode, ImageGateError.Code.infrastructure.exitStatus, "both attempts lost the host")
        XCTAssertTrue(retriedOnce.firstAttemptRecord?.problem?.contains("injected: attempt 1 lost the host") ?? false)
        // The last attempt's own outcome (bad input, exit 2), with the first kept beside it.
        XCTAssertEqual(three.exitCode, ImageGateError.Code.badInput.exitStatus, three.problem ?? "")
        XCTAssertEqual(three.verdict, .error)
        XCTAssertTrue(three.firstAttemptRecord?.problem?.contains("injected: attempt 1 lost the host") ?? false,
                      String(describing: three.firstAttemptRecord))
        XCTAssertNil(three.flakyFirstVerdict, "error, then error: not flaky")

        XCTAssertThrowsError(try PlatformProfile.parse("queue_retries: 4\n", source: "p.yaml")) { error in
            XCTAssertTrue("\(error)".contains("p.yaml") && "\(error)".contains("expected 0 to 3 retries"), "\(error)")
        }
        XCTAssertEqual(PlatformProfile.default.queueRetries, 1)
    }
}
