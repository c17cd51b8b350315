import Foundation
import ImageGateModel

/// Every block between ImageGate's facts markers on a console, each
/// judged. The guest controls every byte of ttyS0, so the markers prove
/// nothing: only a block that decodes, carries this run's nonce (given to
/// the probe by this run's user-data, never in a scenario) and follows
/// cloud-init's finished line is the probe's; the first such block holds
/// the facts. Every other block — without the nonce or with another, one
/// that does not decode, one with no end marker, a second one, one printed
/// before cloud-init finished — is the image's own and is a finding
/// (BOOT-CONSOLE).
public struct FactsBlocks: Sendable {
    /// One block: where it starts and ends on the console, and what it is.
    public struct Block: Sendable, Codable, Equatable {
        public enum Standing: String, Sendable, Codable {
            /// The probe's: this run's nonce, after cloud-init's finished line.
            case accepted
            /// This run's nonce, but no cloud-init finished line yet: held
            /// while the watch waits to see which comes first.
            case provisional
            case noNonce = "carries no nonce"
            case wrongNonce = "carries a nonce that is not this run's"
            case garbled = "does not decode as the probe's base64 JSON"
            case unterminated = "has no end marker"
            case repeated = "repeats this run's nonce after the probe's block (the probe prints once a boot)"
            case beforeCloudInit = "came before cloud-init's finished line (the probe prints only after it)"

            /// Whether the block is the image's own printing.
            public var isForeign: Bool { self != .accepted && self != .provisional }
        }

        /// The console line (1-based) of the begin marker, and of the end marker.
        public var line: Int
        public var endLine: Int?
        public var standing: Standing
        /// The begin marker's line as the console kept it.
        public var text: String
    }

    public private(set) var blocks: [Block] = []
    /// The facts of the accepted (or provisional) block.
    public private(set) var facts: GuestFacts?

    /// Most base64 one block may hold (the probe's JSON is a few KiB).
    static let payloadLimit = 256 << 10
    /// Blocks judged on one console; the rest are counted, not decoded.
    static let blockLimit = 64
    public private(set) var uncountedBlocks = 0

    /// The blocks of `console` (its kept lines, then its unfinished one).
    /// `nonce` is this run's; `complete` says the console is final, so a
    /// block still open at its end is unterminated rather than pending.
    public init(_ console: ConsoleLog, nonce: String, complete: Bool) {
        let all = console.lines + (console.partial.isEmpty ? [] : [ConsoleLog.clean(console.partial)])
        let finished = console.stages[.cloudInitFinished]?.line
        var open: (line: Int, text: String, payload: String)?

        func close(endLine: Int?, terminated: Bool) {
            guard let block = open else { return }
            open = nil
            guard blocks.count < Self.blockLimit else { uncountedBlocks += 1; return }
            var standing: Block.Standing
            var decoded: GuestFacts?
            if !terminated {
                standing = .unterminated
            // A block that does not decode is garbled: a standing, not an error.
            } else if let data = Data(base64Encoded: String(block.payload.filter { !$0.isWhitespace })),
                      let facts = try? GuestFacts.decode(data, channel: "serial console (ttyS0)") {
                decoded = facts
                switch facts.nonce {
                case nil, "": standing = .noNonce
                case nonce?:
                    if blocks.contains(where: { $0.standing == .accepted || $0.standing == .provisional }) {
                        standing = .repeated
                    } else if let finished {
                        standing = block.line > finished ? .accepted : .beforeCloudInit
                    } else {
                        standing = .provisional
                    }
                default: standing = .wrongNonce
                }
            } else {
                standing = .garbled
            }
            if standing == .accepted || standing == .provisional { facts = decoded }
            blocks.append(Block(line: block.line, endLine: endLine, standing: standing, text: block.text))
        }

        for (index, text) in all.enumerated() {
            let number = index + 1
            var rest = Substring(text)
            while !rest.isEmpty {
                if open != nil {
                    let end = rest.range(of: GuestProbe.endMarker), begin = rest.range(of: GuestProbe.beginMarker)
                    if let end, begin.map({ end.lowerBound < $0.lowerBound }) ?? true {
                        open!.payload += rest[..<end.lowerBound]
                        close(endLine: number, terminated: true)
                        rest = rest[end.upperBound...]
                    } else if let begin {
                        open!.payload += rest[..<begin.lowerBound]
                        close(endLine: nil, terminated: false)
                        rest = rest[begin.lowerBound...]
                    } else {
                        open!.payload += rest
                        if open!.payload.utf8.count > Self.payloadLimit { close(endLine: nil, terminated: false) }
                        rest = ""
                    }
                } else if let begin = rest.range(of: GuestProbe.beginMarker) {
                    open = (number, text, "")
                    rest = rest[begin.upperBound...]
                } else {
                    rest = ""
                }
            }
        }
        if complete { close(endLine: nil, terminated: false) }
        // A provisional block whose console is final and never showed
        // cloud-init's finished line (a cloud-init that prints nothing on
        // ttyS0) is the probe's: nothing came before it to contradict it.
        if complete, let index = blocks.firstIndex(where: { $0.standing == .provisional }) { blocks[index].standing = .accepted }
    }

    /// The blocks the image printed itself.
    public var foreign: [Block] { blocks.filter(\.standing.isForeign) }

    /// The accepted block's lines: ImageGate's own, never the guest's evidence.
    public var probeLines: ClosedRange<Int>? {
        blocks.first { $0.standing == .accepted || $0.standing == .provisional }.map { $0.line...($0.endLine ?? $0.line) }
    }

    /// Whether the facts wait on cloud-init's finished line still to come.
    public var isProvisional: Bool { blocks.contains { $0.standing == .provisional } }
}
