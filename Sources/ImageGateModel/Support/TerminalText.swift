/// Text from an image or a guest made safe to print on a reviewer's
/// terminal: escape-sequence injection (a guest's os-release with `ESC ]`,
/// a console line that retitles the window or hides the rest of the
/// output) and bidirectional overrides (text that reads one way and is
/// another) are removed.
public enum TerminalText {
    /// Drops C0 controls but newline and tab, DEL, C1 controls, and the
    /// bidirectional embedding, override and isolate controls.
    public static func sanitize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where isPrintable(scalar) { out.append(scalar) }
        return String(out)
    }

    /// One line whatever the text holds: line breaks and every other
    /// control but tab shown as escapes (`\n`, `\r`, `\u{1B}`), so a value
    /// from an image or a guest can neither start a line of its own (a fake
    /// `VERDICT: PASS`) nor act on the terminal.
    public static func line(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if isPrintable(scalar) { out.unicodeScalars.append(scalar) } else { out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" }
            }
        }
        return out
    }

    package static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return true
        case 0x00...0x1F, 0x7F...0x9F: return false
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C: return false
        default: return true
        }
    }
}
