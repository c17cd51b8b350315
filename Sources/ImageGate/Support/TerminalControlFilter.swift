/// Passes a guest's console bytes to a person's terminal with the control
/// strings that reach beyond the screen taken out: OSC (window titles,
/// hyperlinks, the clipboard through OSC 52), DCS, SOS, PM and APC, in
/// their 7-bit (`ESC ]`…) and UTF-8 C1 (`U+009D`…) forms, each up to its
/// terminator (BEL or ST) or a length cap. Everything else — text, colours,
/// cursor movement (CSI) — passes, so a login prompt and a shell work. It
/// keeps state across chunks: a sequence may arrive split.
public struct TerminalControlFilter: Sendable {
    private enum State: Sendable, Equatable { case text, lead(UInt8), string, stringEscape }
    private var state = State.text
    private var dropped = 0
    /// Longest control string swallowed before the filter gives up on its
    /// terminator and passes text again.
    static let stringLimit = 4096
    /// The bytes that open a control string after each lead byte: ESC ]
    /// ESC P ESC X ESC ^ ESC _, and UTF-8's C2 before U+009D OSC, U+0090
    /// DCS, U+0098 SOS, U+009E PM, U+009F APC.
    static let openers: [UInt8: Set<UInt8>] = [0x1B: [0x5D, 0x50, 0x58, 0x5E, 0x5F], 0xC2: [0x9D, 0x90, 0x98, 0x9E, 0x9F]]

    public init() {}

    public mutating func filter(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            switch state {
            case .text:
                if Self.openers[byte] != nil { state = .lead(byte) } else { out.append(byte) }
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
}
