import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
import TestSupport
import XCTest

/// What is booted is what was checked: a candidate its vendor rewrites in
/// place after the check (a backing file added to its header) boots with
/// its chain pinned to the checked file and ended there — QEMU never opens
/// the file the new header names.
final class CandidatePinTests: XCTestCase {
    func testABackingFileAddedAfterTheCheckIsNeverOpened() async throws {
        let dir = NSTemporaryDirectory() + "pin-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let candidate = dir + "/candidate.qcow2", hostFile = dir + "/host-secret"
        try "a file of the reviewer's machine\n".write(toFile: hostFile, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Shell.run("qemu-img", ["create", "-q", "-f", "qcow2", candidate, "64M"]).status, 0)
        let image = try await ImageFile.validate(candidate)

        // The vendor still holds write access: the header now names a host file.
        let rewrite = try Shell.run("qemu-img", ["rebase", "-u", "-b", hostFile, "-F", "raw", candidate])
        XCTAssertEqual(rewrite.status, 0, rewrite.stderr)

        let state = StateDirectory.default
        let run = try state.makeRunDirectory(prefix: "boot")
        defer { Teardown.remove(run) }
        var plan = BootPlan(image: image, instance: .fresh(), accelerator: .tcg, sshPort: 0, directory: run)
        plan.dataDiskBytes = 0
        plan.memoryMiB = 64
        XCTAssertEqual(try Shell.run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", image.accessPath, plan.overlay]).status, 0)
        FileManager.default.createFile(atPath: plan.seed, contents: Data())

        try await LibvirtHost.with { host in
            let vm = try await host.start(xml: plan.domainXML, paused: true)
            defer { Task { try? await vm.destroy() } }  // Best effort here too: the assertion below destroys it first.
            let qemu = try XCTUnwrap(ChildReaper.pid(ofGuest: plan.name), "QEMU runs the domain")
            let opened = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(qemu)/fd").compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(qemu)/fd/\($0)")  // A descriptor closed meanwhile has no target.
            }
            XCTAssertTrue(opened.contains(candidate), "the checked candidate is the overlay's backing file: \(opened)")
            XCTAssertTrue(opened.contains(plan.overlay), "\(opened)")
            XCTAssertFalse(opened.contains(hostFile), "the host file the rewritten header names was opened: \(opened)")
            try await vm.destroy()
        }
    }
}
