import Foundation
import ImageGate
import ImageGateModel
import ImageGateQueue
import TestSupport
import XCTest

/// State belongs to its owner: made 0700, closed when others may read it,
/// refused when others may write it or another user owns it.
final class StateDirectoryTests: XCTestCase {
    var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "state-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    func testANewStateFolderAndItsRunFoldersAreTheOwnersAlone() throws {
        let state = StateDirectory(path: dir + "/new/state")
        try state.secure()
        XCTAssertEqual(try mode(state.path), 0o700)
        let run = try state.makeRunDirectory(prefix: "boot")
        XCTAssertEqual(try mode(state.runs), 0o700)
        XCTAssertEqual(try mode(run), 0o700)
    }

    func testAFolderOthersMayWriteOrAnotherUserOwnsIsRefused() throws {
        let open = dir + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
        chmod(open, 0o777)
        XCTAssertThrowsError(try StateDirectory(path: open).secure()) { error in
            let message = (error as? ImageGateError)?.message ?? ""
            XCTAssertTrue((error as? ImageGateError)?.isBadInput == true && message.contains("writable by its group") && message.contains("777"), message)
        }
        chmod(open, 0o755)
        XCTAssertNoThrow(try StateDirectory(path: open).secure(), "0755: only its owner writes it")
        XCTAssertEqual(try mode(open), 0o700, "and no one else reads it any more")
        if geteuid() == 0 {
            chown(open, 65534, 65534)
            XCTAssertThrowsError(try StateDirectory(path: open).secure()) { error in
                XCTAssertTrue("\(error)".contains("belongs to user 65534"), "\(error)")
            }
        }
    }

    /// The queue's history holds every vendor's verdicts: its owner's alone,
    /// whatever the umask.
    func testTheQueueHistoryIsItsOwnersAlone() throws {
        let old = umask(0o022)
        defer { umask(old) }
        _ = try QueueHistory(path: dir + "/queue/queue.sqlite")
        XCTAssertEqual(try mode(dir + "/queue/queue.sqlite"), 0o600)
    }

    /// Through the CLI: one line, exit 2, before anything is read or reaped.
    func testTheCLIRefusesAWorldWritableStateFolder() throws {
        let open = dir + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
        chmod(open, 0o777)
        let run = try Shell.run(PackageRoot.imagegate, ["runs"], environment: ["IMAGEGATE_STATE_DIR": open])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("imagegate: \(open): the state folder is writable"), run.stderr)
    }
}
