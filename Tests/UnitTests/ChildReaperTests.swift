import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
import XCTest

final class ChildReaperTests: XCTestCase {
    func testProcessStatReadsACommandWithSpacesAndParentheses() throws {
        let stat = try XCTUnwrap(ProcessStat("4242 (qemu-system (x) 1) Z 17 4242 4242 0 -1"))
        XCTAssertEqual(stat.command, "qemu-system (x) 1")
        XCTAssertEqual(stat.state, "Z")
        XCTAssertEqual(stat.parent, 17)
        XCTAssertNil(ProcessStat("garbage"))
    }

    /// A QEMU orphaned onto this process (its parent exited, as libvirt's
    /// daemonizing parent does) is reaped by the sweep; a zombie child that
    /// is not a QEMU is left to its own waiter.
    func testSweepReapsAnOrphanedQEMUAtOnceAndLeavesAChildToItsWaiter() throws {
        ChildReaper.adopt
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reaper-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fakeQEMU = dir + "/qemu-system-test"
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: fakeQEMU)
        let orphan = try Self.orphan("'\(fakeQEMU)' 0.2")
        // Orphaned onto this process (the subreaper), then exits.
        var reaped: [pid_t] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !reaped.contains(orphan), kill(orphan, 0) == 0 {
            reaped += ChildReaper.sweep()
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertEqual(kill(orphan, 0), -1, "the orphaned QEMU \(orphan) is still there (a zombie) after 10 s")
        XCTAssertEqual(errno, ESRCH)

        // A child this process started itself is left to its own waiter
        // while it waits as promptly as a waiter does.
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { argv.forEach { free($0) } }
        XCTAssertEqual(posix_spawn(&pid, "/bin/true", nil, nil, argv, environ), 0)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertFalse(ChildReaper.sweep().contains(pid))
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid, "the sweep took a child from its own waiter")
    }

    /// Any other orphan (a browser's helpers, say) is reaped too, once it
    /// has stayed a zombie for a few sweeps.
    func testSweepReapsEveryOrphanInTheEnd() throws {
        ChildReaper.adopt
        let orphan = try Self.orphan("sleep 0.1")
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, kill(orphan, 0) == 0 { Thread.sleep(forTimeInterval: 0.2) }
        XCTAssertEqual(kill(orphan, 0), -1, "the orphan \(orphan) is still a zombie after 15 s")
    }

    /// Starts `command` from a shell that exits at once, so it is orphaned
    /// onto this process (the subreaper); returns its PID.
    static func orphan(_ command: String) throws -> pid_t {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", command + " & echo $!"]
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        shell.waitUntilExit()
        return try XCTUnwrap(pid_t(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
