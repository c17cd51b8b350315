import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
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

    /// `--db NAME` with no folder is a file in the working folder; a path
    /// whose folder cannot be made is bad input, naming it.
    func testABareFileNameIsInTheWorkingFolderAndAnImpossibleFolderIsBadInput() throws {
        let dir = NSTemporaryDirectory() + "history-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let working = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(working) }
        let history = try QueueHistory(path: "night.sqlite")
        XCTAssertEqual(history.path, dir + "/night.sqlite")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/night.sqlite"))

        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/a-file", contents: Data()))
        XCTAssertThrowsError(try QueueHistory(path: "a-file/night.sqlite")) { error in
            XCTAssertEqual((error as? ImageGateError)?.isBadInput, true, "\(error)")
            XCTAssertEqual("\(error)", "a-file/night.sqlite: its folder \(dir)/a-file cannot be made")
        }
    }

    /// A host that must not be used: the queue refuses before it boots anything.
    struct UnusedHost: VirtualMachineHost {
        var uri: String { "test:///unused" }
        func start(xml: String, paused: Bool) async throws -> any VirtualMachineInstance { throw ImageGateError.infrastructure("unused") }
        func instances(prefix: String) async throws -> [any VirtualMachineInstance] { [] }
        func offersKVM() async throws -> Bool { false }
    }

    func testASecondRunOfOneHistoryIsRefusedAndResumeNeedsTheSameManifest() async throws {
        let dir = NSTemporaryDirectory() + "history-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/a.qcow2", contents: Data())
        let manifestPath = dir + "/queue.yaml"
        try "entries:\n  - {vendor: acme, product: web, image: a.qcow2}\n".write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let history = try QueueHistory(path: dir + "/queue.sqlite")

        // Another run holds the history.
        let held = try XCTUnwrap(try FileLock.tryExclusive(history.path + ".lock"))
        do {
            _ = try await QueueRunner(manifest: try QueueManifest.load(path: manifestPath), history: history, host: UnusedHost()).run(resume: true)
            XCTFail("a second run of one history started")
        } catch let error as ImageGateError {
            XCTAssertTrue(error.message.contains("another queue run is using this history"), error.message)
        }
        close(held)

        // A run began with the manifest as it was; it changed since.
        _ = try history.startRun(try QueueManifest.load(path: manifestPath))
        try "entries:\n  - {vendor: acme, product: db, image: a.qcow2}\n".write(toFile: manifestPath, atomically: true, encoding: .utf8)
        do {
            _ = try await QueueRunner(manifest: try QueueManifest.load(path: manifestPath), history: history, host: UnusedHost()).run(resume: true)
            XCTFail("a changed manifest was resumed")
        } catch let error as ImageGateError {
            XCTAssertTrue(error.isBadInput && error.message.contains("changed since run"), error.message)
        }
    }

    func testReportFoldersOfEntriesNeverMerge() throws {
        let dir = NSTemporaryDirectory() + "history-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        for image in ["a/b.qcow2", "a_b.qcow2"] { FileManager.default.createFile(atPath: dir + "/" + image, contents: Data()) }
        try "entries:\n  - {vendor: v, product: p, image: a/b.qcow2}\n  - {vendor: v, product: p, image: a_b.qcow2}\n"
            .write(toFile: dir + "/queue.yaml", atomically: true, encoding: .utf8)
        let entries = try QueueManifest.load(path: dir + "/queue.yaml").entries
        let folders = entries.map { QueueReportFiles.folder(of: $0, in: "/r") }
        XCTAssertEqual(Set(folders).count, entries.count, "\(entries.map(\.key)) → \(folders)")
    }
}
