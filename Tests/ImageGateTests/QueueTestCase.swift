import Foundation
import TestSupport
import XCTest

/// A queue test's folder: fixture copies under `images/`, its manifest
/// and its history, made for each test and removed after it.
class QueueTestCase: XCTestCase {
    private(set) var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "queue-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)  // a test's scratch folder: nothing to report
    }

    /// A standalone copy of a fixture at `images/NAME`.
    func place(_ fixture: String, as name: String) throws {
        let target = dir + "/images/" + name
        try? FileManager.default.removeItem(atPath: target)  // absent the first time
        let convert = try Shell.run("qemu-img", ["convert", "-U", "-O", "qcow2", try FixtureManifest.image(fixture), target])
        XCTAssertEqual(convert.status, 0, convert.stderr)
    }

    /// `queue.yaml` in the folder holds `text`; its path.
    func writeManifest(_ text: String) throws -> String {
        let path = dir + "/queue.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
