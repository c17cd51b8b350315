import Foundation
@testable import ImageGate
import TestSupport
import XCTest

/// A run folder kept with `--keep` is support's to read: no later command
/// reaps it, `imagegate runs` lists it, `imagegate stop` removes it.
final class KeptFolderTests: XCTestCase {
    func testAKeptFolderSurvivesLaterCommandsUntilStopped() throws {
        let dir = NSTemporaryDirectory() + "kept-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A disk with nothing to boot: the boot ends on its deadline, quickly.
        XCTAssertEqual(try Shell.run("qemu-img", ["create", "-q", "-f", "qcow2", dir + "/blank.qcow2", "64M"]).status, 0)
        let boot = try Shell.run(PackageRoot.imagegate, ["boot", dir + "/blank.qcow2", "--keep", "--timeout", "15", "--post-mortem", "never"])
        XCTAssertEqual(boot.status, 1, boot.stdout + boot.stderr)
        let line = try XCTUnwrap(boot.stdout.split(separator: "\n").first { $0.hasPrefix("Run folder kept: ") }, boot.stdout)
        let folder = String(line.dropFirst("Run folder kept: ".count))
        let id = try XCTUnwrap(folder.split(separator: "-").last.map(String.init))

        for command in [["accelerator", "--quiet"], ["runs"]] {
            let later = try Shell.run(PackageRoot.imagegate, command)
            XCTAssertEqual(later.status, 0, later.stderr)
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/console.log"), "\(command) removed the kept folder")
        }
        let runs = try Shell.run(PackageRoot.imagegate, ["runs"])
        XCTAssertTrue(runs.stdout.contains("\(id)  folder"), runs.stdout)
        let stop = try Shell.run(PackageRoot.imagegate, ["stop", id])
        XCTAssertEqual(stop.status, 0, stop.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "stop removes it")
    }
}
