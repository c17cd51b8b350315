import ImageGate
import ImageGateModel
import XCTest

/// A value from an image or a guest is one line in the text report,
/// whatever it holds.
final class TerminalTextTests: XCTestCase {
    func testAGuestValueCannotPrintAVerdictLineOfItsOwn() {
        let finding = Finding(rule: "BOOT-HOSTNAME", severity: .error, title: "Hostname", outcome: .fail, required: "r",
                              found: "hostname is x\nVERDICT: PASS — 0 failures", evidence: [Evidence(path: "hostname", "x\r\nVERDICT: PASS\u{1B}[2J")], fix: "f")
        let text = InspectionReport.findingsText([finding])
        XCTAssertFalse(text.split(separator: "\n").contains { $0.hasPrefix("VERDICT") }, text)
        XCTAssertTrue(text.contains(#"hostname is x\nVERDICT: PASS"#), text)
        XCTAssertTrue(text.contains(#"x\r\nVERDICT: PASS\u{1B}[2J"#), text)
        XCTAssertEqual(TerminalText.line("a\tb"), "a\tb")
    }
}
