import Foundation
@testable import ImageGate
@testable import ImageGateModel
import TestSupport
import XCTest

/// A report goes to the path the user named: a file is replaced whole, and
/// what is not a file (a FIFO or a device as `/dev/null`, a link as
/// `/dev/stdout`) is written through and stays what it was.
final class OutputFileTests: XCTestCase {
    func testAFileIsReplacedAndAFIFOOrALinkIsWrittenThroughAndStays() async throws {
        let dir = NSTemporaryDirectory() + "output-file-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        try "an older and longer report\n".write(toFile: dir + "/report.json", atomically: false, encoding: .utf8)
        try OutputFile.write("{}\n", to: dir + "/report.json")
        XCTAssertEqual(try String(contentsOfFile: dir + "/report.json", encoding: .utf8), "{}\n")

        let fifo = dir + "/pipe"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // The reader on a thread of its own: opening a FIFO blocks until the other end opens.
        let read = LockedLines()
        let done = expectation(description: "the reader saw the end of the text")
        Thread.detachNewThread {
            read.add(FileHandle(forReadingAtPath: fifo).map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? "no reader")
            done.fulfill()
        }
        try OutputFile.write("{\"verdict\": \"pass\"}\n", to: fifo)
        await fulfillment(of: [done], timeout: 10)
        XCTAssertEqual(read.lines, ["{\"verdict\": \"pass\"}\n"])
        var status = stat()
        XCTAssertEqual(stat(fifo, &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFIFO, "the FIFO was not replaced by a file")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["pipe", "report.json"], "no temporary file left")

        // A link is written through, its file emptied first, the link kept.
        try "an older and longer report\n".write(toFile: dir + "/target.json", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.json", withDestinationPath: dir + "/target.json")
        try OutputFile.write("{}\n", to: dir + "/link.json")
        XCTAssertEqual(try String(contentsOfFile: dir + "/target.json", encoding: .utf8), "{}\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.json"), dir + "/target.json")

        XCTAssertThrowsError(try OutputFile.write("{}", to: dir)) { error in
            XCTAssertEqual((error as? ImageGateError)?.isBadInput, true, "\(error)")
            XCTAssertTrue("\(error)".contains("a folder"), "\(error)")
        }
    }

    /// A report in a folder of reports has a name of ImageGate's own: a
    /// link planted under that name is replaced, its target left alone.
    func testAReportInAFolderReplacesALinkPlantedUnderItsName() throws {
        let dir = NSTemporaryDirectory() + "output-folder-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/reports", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "precious\n".write(toFile: dir + "/precious", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/reports/report.json", withDestinationPath: dir + "/precious")
        let report = CheckReport(generatedAt: "now", language: "en", image: .init(path: "/i.qcow2", format: "qcow2", virtualSize: 1, sha256: "x", sha256After: "x"),
                                 scenario: .init(name: "s", description: "d", source: "built-in"), accelerator: .tcg,
                                 verdict: GateVerdict([]), staticInspection: nil, instances: [], findings: [], seconds: 1)
        let written = try ReportWriter.write(report, as: [.json], into: dir + "/reports")
        XCTAssertEqual(try String(contentsOfFile: dir + "/precious", encoding: .utf8), "precious\n")
        XCTAssertTrue(try String(contentsOfFile: try XCTUnwrap(written[.json]), encoding: .utf8).contains("\"verdict\""))
        XCTAssertThrowsError(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/reports/report.json"), "the link was replaced")
    }
}
