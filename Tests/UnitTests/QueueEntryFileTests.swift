import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import XCTest

/// A vendor's entry is a file of its own folder, read without blocking:
/// a FIFO, a link to a device and a link out of the folder each end at
/// once as that entry's bad input (exit 2, naming it), and the night goes
/// on to the next entry.
final class QueueEntryFileTests: XCTestCase {
    func testAFIFOADeviceAndALinkOutOfTheFolderAreEachTheirEntrysBadInput() async throws {
        let queue = try TemporaryQueue("entry-files", entries: [("acme", "fifo"), ("acme", "zero"), ("acme", "elsewhere")], boot: false)
        defer { queue.remove() }
        let outside = NSTemporaryDirectory() + "another-vendor-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        FileManager.default.createFile(atPath: outside + "/secret.qcow2", contents: Data("QFI\u{fb}".utf8))
        for name in ["a", "b", "c"] { try FileManager.default.removeItem(atPath: queue.dir + "/\(name).qcow2") }
        XCTAssertEqual(mkfifo(queue.dir + "/a.qcow2", 0o600), 0)
        try FileManager.default.createSymbolicLink(atPath: queue.dir + "/b.qcow2", withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(atPath: queue.dir + "/c.qcow2", withDestinationPath: outside + "/secret.qcow2")

        var runner = QueueRunner(manifest: queue.manifest, history: queue.history, host: QueueHistoryTests.UnusedHost())
        runner.incremental = true
        let started = ContinuousClock.now
        let run = try await runner.run(resume: false)
        XCTAssertLessThan((ContinuousClock.now - started).seconds, 30)
        let entries = Dictionary(uniqueKeysWithValues: try queue.history.entries(run: run.runID).map { ($0.product, $0) })
        XCTAssertEqual(entries.count, 3, "every entry was reached")
        for (product, image, reason) in [("fifo", "a.qcow2", "FIFO"), ("zero", "b.qcow2", "outside the entry's folder"),
                                         ("elsewhere", "c.qcow2", "outside the entry's folder")] {
            let entry = try XCTUnwrap(entries[product])
            XCTAssertEqual(entry.exitCode, ImageGateError.Code.badInput.exitStatus, "\(product): \(entry.problem ?? "")")
            XCTAssertTrue(entry.problem?.contains(image) == true && entry.problem?.contains(reason) == true, "\(product): \(entry.problem ?? "")")
            XCTAssertEqual(entry.imageSHA256, "", "\(product): nothing read to hash")
        }
    }

    func testALinkInsideTheFolderIsTheEntrysOwnFile() throws {
        let queue = try TemporaryQueue("entry-link", entries: [("acme", "web")], boot: false)
        defer { queue.remove() }
        try FileManager.default.moveItem(atPath: queue.dir + "/a.qcow2", toPath: queue.dir + "/web-1.0.qcow2")
        try FileManager.default.createSymbolicLink(atPath: queue.dir + "/a.qcow2", withDestinationPath: "web-1.0.qcow2")
        XCTAssertNoThrow(try queue.manifest.entries[0].requireConfined())
    }
}
