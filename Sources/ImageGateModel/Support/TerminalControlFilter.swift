/// Passes a guest's console bytes to a person's terminal with the control
/// strings that reach beyond the screen taken out: OSC (window titles,
/// hyperlinks, the clipboard through OSC 52), DCS, SOS, PM, APC and screen's
/// `ESC k` titles, in their 7-bit (`ESC ]`…), UTF-8 C1 (`U+009D`…) and raw
/// 8-bit C1 (a lone `0x9D`…) forms, each up to its terminator (BEL or ST)
/// or a length cap; any other raw 8-bit C1 control is dropped. Everything
/// else — text, colours, cursor movement (7-bit CSI) — passes, so a login
/// prompt and a shell work. It keeps state across chunks: a sequence may
/// arrive split.
public struct TerminalControlFilter: Sendable {
    private enum State: Sendable, Equatable { case text, lead(UInt8), string, stringEscape }
    private var state = State.text
    private var dropped = 0
    /// UTF-8 continuation bytes still due after a lead byte that passed.
    private var continuation = 0
    /// Longest control string swallowed before the filter gives up on its
    /// terminator and passes text again.
    package static let stringLimit = 4096
    /// The bytes that open a control string after each lead byte: ESC ]
    /// ESC P ESC X ESC ^ ESC _ ESC k, and UTF-8's C2 before U+009D OSC,
    /// U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC.
    static let openers: [UInt8: Set<UInt8>] = [0x1B: [0x5D, 0x50, 0x58, 0x5E, 0x5F, 0x6B], 0xC2: [0x9D, 0x90, 0x98, 0x9E, 0x9F]]
    /// Raw 8-bit C1 controls that open a control string.
    static let rawStringOpeners: Set<UInt8> = [0x9D, 0x90, 0x98, 0x9E, 0x9F]
    /// What puts a terminal back after a session: attributes off, the
    /// cursor shown, the main screen, the whole screen scrolling.
    public static let terminalReset: [UInt8] = Array("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l\u{1B}[r".utf8)

    public init() {}

    public mutating func filter(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            switch state {
            case .text:
                if continuation > 0, byte & 0xC0 == 0x80 {
                    continuation -= 1
                    out.append(byte)
                    continue
                }
                continuation = 0
                if Self.openers[byte] != nil {
                    state = .lead(byte)
                } else if (0x80...0x9F).contains(byte) {
                    // A C1 control on its own (not inside a UTF-8 character).
                    if Self.rawStringOpeners.contains(byte) { state = .string; dropped = 0 }
                } else {
                    out.append(byte)
                    continuation = Self.continuationBytes(after: byte)
                }
            case let .lead(lead):
                if Self.openers[lead]!.contains(byte) {
                    state = .string
                    dropped = 0
                } else if Self.openers[byte] != nil {
                    // ESC ESC ]: the second ESC may open a string itself.
                    out.append(lead)
                    state = .lead(byte)
                } else {
                    out += [lead, byte]
                    state = .text
                    continuation = lead == 0xC2 ? 0 : Self.continuationBytes(after: byte)
                }
            case .string, .stringEscape:
                dropped += 1
                if byte == 0x07 || (state == .stringEscape && byte == 0x5C) || dropped > Self.stringLimit {
                    state = .text
                } else if byte == 0xC2 {
                    state = .string  // U+009C (ST) follows as 0x9C: ends below
                } else if byte == 0x9C {
                    state = .text
                } else {
                    state = byte == 0x1B ? .stringEscape : .string
                }
            }
        }
        return out
    }

    /// How many continuation bytes a UTF-8 lead byte announces.
    static func continuationBytes(after byte: UInt8) -> Int {
        switch byte {
        case 0xC2...0xDF: return 1
        case 0xE0...0xEF: return 2
        case 0xF0...0xF4: return 3
        default: return 0
        }
    }
}
