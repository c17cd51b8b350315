import ImageGate
import ImageGateModel
import XCTest

/// What reaches a person's terminal from a guest: screen titles and raw
/// 8-bit C1 controls are dropped, UTF-8 text (whose continuation bytes
/// share C1's values) passes whole.
final class TerminalControlFilterTests: XCTestCase {
    func testScreenTitlesAndRawC1ControlsAreDropped() {
        var filter = TerminalControlFilter()
        var out = filter.filter(Array("a\u{1B}kpwned\u{1B}\\b".utf8))
        out += filter.filter([0x9D] + Array("52;c;ZXZpbA==".utf8) + [0x07] + Array("c".utf8))
        out += filter.filter([0x9B] + Array("31md".utf8))
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "ab" + "c" + "31md")
        XCTAssertFalse(out.contains(0x1B) || out.contains(0x9D) || out.contains(0x9B))
    }

    func testUTF8WhoseBytesLookLikeC1PassesEvenWhenSplit() {
        var filter = TerminalControlFilter()
        // ŝ is C5 9D, € is E2 82 AC, 审 is E5 AE A1, 😀 is F0 9F 98 80.
        let text = "ŝ€审😀 ok"
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        for byte in bytes { out += filter.filter([byte]) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), text)
    }

    func testTheResetShowsTheCursorAndLeavesTheAlternateScreen() {
        let reset = String(decoding: TerminalControlFilter.terminalReset, as: UTF8.self)
        XCTAssertTrue(reset.contains("\u{1B}[?25h") && reset.contains("\u{1B}[?1049l") && reset.hasPrefix("\u{1B}[0m"))
    }
}
