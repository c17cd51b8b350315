import ImageGate
import ImageGateBoot
import XCTest

/// The reaper judges the QEMUs of its own state folder only: not those of
/// a state folder nested in it, nor of one that holds it.
final class LeftoverReaperTests: XCTestCase {
    func testTheReaperKnowsItsOwnRootExactly() {
        XCTAssertTrue(LeftoverReaper.names("file=/P/runs/boot-1/overlay.qcow2", ownFilesOf: "/P/"))
        XCTAssertTrue(LeftoverReaper.names(#"{"driver":"file","filename":"/P/runs/boot-1/overlay.qcow2"}"#, ownFilesOf: "/P/"))
        XCTAssertTrue(LeftoverReaper.names("socket,id=charmonitor,path=/P/libvirt/lib/qemu/x/monitor.sock", ownFilesOf: "/P/"))
        XCTAssertFalse(LeftoverReaper.names("file=/P/C/runs/boot-1/overlay.qcow2", ownFilesOf: "/P/"), "a nested state folder's")
        XCTAssertFalse(LeftoverReaper.names("file=/X/P/runs/boot-1/overlay.qcow2", ownFilesOf: "/P/"), "another folder's")
        XCTAssertFalse(LeftoverReaper.names("file=/P/images/a.qcow2", ownFilesOf: "/P/"), "not a run's file")
    }
}
