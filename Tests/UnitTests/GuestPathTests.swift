import Foundation
@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// Paths from a guest are split where its kernel splits them, at `/`
/// bytes: a `/` followed by a combining mark is one Swift character, and
/// splitting on characters would keep a `..` after it (what the fuzzer
/// found in the bundle's post-mortem paths).
final class GuestPathTests: XCTestCase {
    func testAComposedSlashHidesNoParentComponent() {
        let hidden = "/../\u{301}etc/passwd"
        XCTAssertEqual(FileName.components(hidden), ["..", "\u{301}etc", "passwd"])
        XCTAssertEqual(FileName.inside(hidden), "/\u{301}etc/passwd")
        XCTAssertFalse(FileName.inside(hidden).utf8.split(separator: UInt8(ascii: "/")).contains { $0.elementsEqual("..".utf8) })
        XCTAssertEqual(GuestPath.join("/etc/ssh", "../\u{301}x"), "/etc/\u{301}x")
        XCTAssertEqual(GuestPath.join("/etc", "../../../x"), "/x", "never above the root")
        XCTAssertEqual(GuestPath.directory(of: "/etc/\u{301}x"), "/etc")
        XCTAssertEqual(GuestPath.name(of: "/etc/\u{301}x"), "\u{301}x")
        XCTAssertEqual(FileName.safe(".\u{301}"), "._")
        XCTAssertEqual(FileName.safe(".."), "_")
    }

    /// sshd's `Include` glob, as glob(3) reads it: a name whose first byte
    /// is `.` is hidden even when a combining mark follows that dot.
    func testAnIncludeGlobSkipsEveryNameStartingWithADotByte() async throws {
        let fs = InMemoryFilesystem(files: ["/etc/ssh/sshd_config.d/a.conf": "", "/etc/ssh/sshd_config.d/.\u{301}b.conf": ""])
        let found = try await SSHDConfig.expand("/etc/ssh/sshd_config.d/*.conf", fs: fs)
        XCTAssertEqual(found, ["/etc/ssh/sshd_config.d/a.conf"])
    }
}
