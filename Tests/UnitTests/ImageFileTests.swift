import Foundation
import ImageGate
import ImageGateModel
import TestSupport
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
        let result = try Shell.run(program, arguments)
        XCTAssertEqual(result.status, 0, "\(program) \(arguments): \(result.stderr)")
    }

    /// Runs the built CLI; returns its exit status and stderr.
    private func imagegate(_ arguments: String...) throws -> (Int32, String) {
        let binary = PackageRoot.path + "/.build/debug/imagegate"
        let result = try Shell.run(binary, arguments)
        return (result.status, result.stderr)
    }

    private func assertRefused(_ path: String, _ reason: String, limits: GateLimits = GateLimits(),
                               file: StaticString = #filePath, line: UInt = #line) async throws {
        do {
            _ = try await ImageFile.validate(path, limits: limits)
            XCTFail("\(path) was accepted", file: file, line: line)
        } catch {
            XCTAssertTrue((error as? ImageGateError)?.isBadInput == true, "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(path), "the message names the input: \(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(reason), "expected '\(reason)' in: \(error)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)", file: file, line: line)
        }
        let (status, stderr) = try imagegate("inspect", path)
        XCTAssertEqual(status, 2, "exit status for \(path): \(stderr)", file: file, line: line)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, "one line on stderr: \(stderr)", file: file, line: line)
    }

    func testMissingFile() async throws {
        try await assertRefused(dir + "/absent.qcow2", "no such file")
    }

    func testDirectory() async throws {
        try await assertRefused(dir, "not a regular file")
    }

    func testNonImageFile() async throws {
        let path = dir + "/notes.txt"
        try "not a disk\n".write(toFile: path, atomically: true, encoding: .utf8)
        try await assertRefused(path, "not a disk image")
    }

    func testTruncatedQcow2() async throws {
        let path = dir + "/truncated.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        try sh("qemu-io", "-c", "write -P 0xab 0 8M", path)
        try sh("truncate", "-s", "300K", path)
        try await assertRefused(path, "corrupt image")
    }

    func testGarbledHeader() async throws {
        let path = dir + "/garbled.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: 100)
        handle.write(Data(repeating: 0xff, count: 300))
        try handle.close()
        try await assertRefused(path, path)
    }

    func testBackingFileIsRefused() async throws {
        let base = dir + "/base.qcow2", overlay = dir + "/overlay.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", base, "64M")
        try sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay)
        try await assertRefused(overlay, "backing file")
    }

    func testExternalDataFileIsRefused() async throws {
        let path = dir + "/external.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=\(dir)/data.raw", path, "64M")
        try await assertRefused(path, "external data file")
    }

    func testUnknownRuleIDExits2() async throws {
        let path = dir + "/a.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        let (status, stderr) = try imagegate("inspect", path, "--rules", "LNX-NO-SWAP,LNX-BOGUS")
        XCTAssertEqual(status, 2)
        XCTAssertTrue(stderr.contains("LNX-BOGUS"), stderr)
    }

    func testBadProfileExits2WithTheFileName() async throws {
        let path = dir + "/a.qcow2", profile = dir + "/profile.yaml"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        try "cloud_init_tag: ucloud\nfast_tier: [oops\n".write(toFile: profile, atomically: true, encoding: .utf8)
        let (status, stderr) = try imagegate("inspect", path, "--profile", profile)
        XCTAssertEqual(status, 2, stderr)
        XCTAssertTrue(stderr.contains(profile), stderr)
    }

    func testValidQcow2IsAccepted() async throws {
        let path = dir + "/ok.qcow2"
        try sh("qemu-img", "create", "-q", "-f", "qcow2", path, "64M")
        let image = try await ImageFile.validate(path)
        XCTAssertEqual(image.format, "qcow2")
        XCTAssertEqual(image.virtualSize, 64 << 20)
    }
}
