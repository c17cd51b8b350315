import Foundation
@testable import ImageGate
@testable import ImageGateQueue
import XCTest

/// The history stores typed verdicts and exit statuses and reads them back.
final class QueueHistoryTests: XCTestCase {
    func testVerdictsAndStatusesRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "history-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifestPath = dir + "/queue.yaml"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for image in ["a.qcow2", "b.qcow2"] { FileManager.default.createFile(atPath: dir + "/" + image, contents: Data()) }
        try "entries:\n  - vendor: acme\n    product: web\n    version: '1'\n    image: a.qcow2\n  - vendor: acme\n    product: db\n    version: '1'\n    image: b.qcow2\n"
            .write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let manifest = try QueueManifest.load(path: manifestPath)
        let history = try QueueHistory(path: dir + "/queue.sqlite")
        let run = try history.startRun(manifest)

        var failed = QueueHistory.Outcome(entry: manifest.entries[0], imageSize: 1, failedWith: .infrastructure)
        failed.record(.fail)
        failed.flakyFirstVerdict = .error
        try history.record(failed, run: run)
        try history.record(QueueHistory.Outcome(entry: manifest.entries[1], imageSize: 1, failedWith: .badInput, problem: "bad"), run: run)

        let entries = try history.entries(run: run).sorted { $0.key < $1.key }
        XCTAssertEqual(entries.map(\.verdict), [.error, .fail], entries.map(\.key).description)
        XCTAssertEqual(entries.map(\.exitCode), [2, 1])
        XCTAssertEqual(entries.map(\.flakyFirstVerdict), [nil, .error])
    }
}
