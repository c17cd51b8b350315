import Foundation
import ImageGate
import XCTest

/// Input validation before any appliance starts, through the library and
/// through the CLI's exit code: each bad input exits 2 with one line.
final class ImageFileTests: XCTestCase {
    private var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "imagefile-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func sh(_ program: String, _ arguments: String...) throws {
        let result = try Subprocess.run(program, arguments)
        XCTAssertEqual(result.status, 0, "\(program) \(arguments): \(result.stderr)")
    }

    /// Runs the built CLI; returns its exit status and stderr.
    private func imagegate(_ arguments: String...) throws -> (Int32, String) {
        let binary = FixtureManifest.packageRoot + "/.build/debug/imagegate"
        let result = try Subprocess.run(binary, arguments)
        return (result.status, result.stderr)
    }

    private func assertRefused(_ path: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertThrowsError(try ImageFile.validate(path), file: file, line: line) { error in
            XCTAssertTrue(error is InputError, "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(path), "the message names the input: \(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(reason), "expected '\(reason)' in: \(error)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)", file: file, line: line)
        }
        let (status, stderr) = try imagegate("inspect", path)
        XCTAssertEqual(status, 2, "exit status for \(path): \(stderr)", file: file, line: line)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, "one line on stderr: \(stderr)", file: file, line: line)
    }

    func testMissingFile() throws {
        try assertRefused(dir + "/absent.qcow2", "no such file")
    }

    func testDirectory() throws {
        try assertRefused(dir, "not a regular file")
    }

    func testNonImageFile() throws {
        let path = dir + "/notes.txt"
        try "not a disk\n".write(toFile: path, atomically: true, encoding: .utf8)
        try assertRefused(path, "not a disk image")
    }

    func testTruncatedQcow2() throws {
        let path = dir + "/truncated.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        try sh("qemu-io", "-c", "write -P 0xab 0 8M", path)
        try sh("truncate", "-s", "300K", path)
        try assertRefused(path, "corrupt image")
    }

    func testGarbledHeader() throws {
        let path = dir + "/garbled.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: 100)
        handle.write(Data(repeating: 0xff, count: 300))
        try handle.close()
        try assertRefused(path, path)
    }

    func testBackingFileIsRefused() throws {
        let base = dir + "/base.qcow2", overlay = dir + "/overlay.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", base, "64M")
        try sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay)
        try assertRefused(overlay, "backing file")
    }

    func testExternalDataFileIsRefused() throws {
        let path = dir + "/external.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=\(dir)/data.raw", path, "64M")
        try assertRefused(path, "external data file")
    }

    func testUnknownRuleIDExits2() throws {
        let path = dir + "/a.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        let (status, stderr) = try imagegate("inspect", path, "--rules", "LNX-NO-SWAP,LNX-BOGUS")
        XCTAssertEqual(status, 2)
        XCTAssertTrue(stderr.contains("LNX-BOGUS"), stderr)
    }

    func testBadProfileExits2WithTheFileName() throws {
        let path = dir + "/a.qcow2", profile = dir + "/profile.yaml"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        try "cloud_init_tag: ucloud\nfast_tier: [oops\n".write(toFile: profile, atomically: true, encoding: .utf8)
        let (status, stderr) = try imagegate("inspect", path, "--profile", profile)
        XCTAssertEqual(status, 2, stderr)
        XCTAssertTrue(stderr.contains(profile), stderr)
    }

    func testValidQcow2IsAccepted() throws {
        let path = dir + "/ok.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        let image = try ImageFile.validate(path)
        XCTAssertEqual(image.format, "qcow2")
        XCTAssertEqual(image.virtualSize, 64 << 20)
    }
}
