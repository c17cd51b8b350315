import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// A run admits its entries longest first, by each one's latest check in
/// the history; an entry never checked goes ahead, and a carried-over
/// entry (which took no time) does not count as its latest check.
final class QueueOrderTests: XCTestCase {
    func testARunAdmitsItsEntriesLongestFirstByTheirLatestCheck() async throws {
        let queue = try TemporaryQueue("order", entries: [("acme", "short"), ("acme", "long"), ("acme", "new"), ("acme", "carried"), ("acme", "middle")])
        defer { queue.remove() }
        let entries = Dictionary(uniqueKeysWithValues: queue.manifest.entries.map { ($0.product, $0) })
        func night(_ seconds: [String: Double], carry: [String] = []) throws {
            let run = try queue.history.startRun(queue.manifest)
            for (product, seconds) in seconds {
                var outcome = QueueHistory.Outcome(entry: entries[product]!, imageSize: 1, failedWith: .infrastructure)
                outcome.record(.pass)
                outcome.seconds = seconds
                try queue.history.record(outcome, run: run)
            }
            for product in carry {
                let last = try XCTUnwrap(queue.history.earlierEntries(key: entries[product]!.key, before: run, limit: 1).first)
                try queue.history.recordCarriedOver(last, run: run)
            }
            try queue.history.endRun(run, status: .finished)
        }
        // "short" was long once; its latest check is what counts.
        try night(["short": 400, "long": 300, "carried": 120, "middle": 30])
        try night(["short": 10, "middle": 60], carry: ["carried"])

        let order = LockedLines(), progress = LockedLines()
        var runner = QueueRunner(manifest: queue.manifest, history: queue.history, host: QueueHistoryTests.UnusedHost())
        runner.progress = { progress.add($0) }
        runner.check = { check in
            order.add(check.entry.key)
            throw ImageGateError.badInput("injected: no check needed")
        }
        _ = try await runner.run(resume: false)
        XCTAssertEqual(order.lines, ["new", "long", "carried", "middle", "short"].map { entries[$0]!.key })
        XCTAssertTrue(progress.lines.contains("longest first, by each entry's last check; 1 never checked go ahead"), progress.lines.joined(separator: "\n"))

        // That run timed every entry: the next goes by its seconds alone.
        let seconds = try queue.history.latestCheckSeconds(before: .max)
        XCTAssertEqual(Set(seconds.keys), Set(entries.values.map(\.key)))
        let key = entries.mapValues(\.key)
        let next = QueueOrder(manifest: queue.manifest, expected: [key["short"]!: 5, key["long"]!: 5, key["middle"]!: 9])
        XCTAssertEqual(next.sorted(queue.manifest.entries.map(\.key), key: { $0 }), ["new", "carried", "middle", "short", "long"].map { key[$0]! },
                       "never checked first, in the manifest's order; then longest; equals in the manifest's order")
    }
}
