import Foundation
import ImageGate
import ImageGateModel

/// Everything the CLI prints goes through here: a guest's text (an
/// os-release name, a console line, a file path inside the image) reaches
/// the reviewer's terminal only with its controls removed
/// (``TerminalText/sanitize(_:)``).
func say(_ text: String = "", terminator: String = "\n") {
    print(TerminalText.sanitize(text), terminator: terminator)
}

/// One line on stderr, controls and line breaks removed.
func complain(_ text: String) {
    let line = TerminalText.sanitize(text).replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data("imagegate: \(line)\n".utf8))
}
