import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import XCTest

/// A URI is a program to run for libvirt's `+ext` transport: every URI
/// ImageGate opens, a kept run's record included, is checked first.
final class LibvirtURITests: XCTestCase {
    func testPlainQEMUURIsAreAccepted() throws {
        for good in ["qemu:///system", "qemu:///session", "qemu+tcp://10.0.0.5/system", "qemu+ssh://root@h/system?keyfile=k&no_verify=1",
                     "qemu+TLS://h/system", "qemu:///embed?root=/var/lib/x"] {
            XCTAssertNoThrow(try LibvirtURI.check(good), good)
        }
    }

    func testProgramsAndUnknownParametersAreRefused() {
        for bad in ["qemu+ext:///system?command=/tmp/x", "qemu+EXT:///system", "qemu+ssh://h/system?command=/bin/sh",
                    "qemu+ssh://h/system?netcat=/tmp/nc", "qemu+ssh://h/system?no_tty=1;netcat=/tmp/x", "qemu+ssh://h/system?keyfile=k;%6eetcat=/x",
                    "qemu+tcp://h/system?%63ommand=/tmp/x", "qemu+tcp://h/system?root=/tmp",
                    "xen:///system", "test:///default", "qemu:///system\n", "/etc/passwd", ""] {
            XCTAssertThrowsError(try LibvirtURI.check(bad), bad) { XCTAssertTrue(($0 as? ImageGateError)?.isBadInput == true, "\($0)") }
            XCTAssertThrowsError(try HostSpec(parsing: bad), bad)
        }
    }

    /// A kept run's record saying `qemu+ext` runs nothing: the connection
    /// is refused before libvirt sees the URI.
    func testAKeptRecordsExtURIRunsNothing() async throws {
        let dir = NSTemporaryDirectory() + "uri-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/script", marker = dir + "/ran"
        try "#!/bin/sh\ntouch \(marker)\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        do {
            _ = try await LibvirtHost.connect("qemu+ext:///system?command=\(script)", state: StateDirectory(path: dir + "/state"))
            XCTFail("a qemu+ext URI was opened")
        } catch let error as ImageGateError {
            XCTAssertEqual(error.code, .badInput, error.message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the URI's command ran")
    }

    /// An embedded root outside the state folder is refused before
    /// anything is written under it.
    func testAnEmbeddedRootOutsideTheStateFolderIsRefused() async throws {
        let dir = NSTemporaryDirectory() + "uri-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = StateDirectory(path: dir + "/state")
        for root in [dir + "/elsewhere", state.libvirtRoot + "/../../elsewhere"] {
            do {
                _ = try await LibvirtHost.connect("qemu:///embed?root=\(root)", state: state)
                XCTFail("\(root) was accepted")
            } catch let error as ImageGateError {
                XCTAssertEqual(error.code, .badInput, error.message)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/elsewhere/etc/qemu.conf"))
        }
    }
}
