import Foundation
import ImageGateModel

/// A replayed check against the one a bundle recorded: rule by rule, the
/// outcomes that differ, and per instance the first console line where the
/// two consoles part (kernel timestamps and line endings aside: the same
/// boot is never timed alike).
public struct ReplayComparison: Sendable, Equatable {
    public struct RuleChange: Sendable, Equatable {
        public var rule: String
        /// nil: the rule was not in that report.
        public var recorded: Outcome?
        public var replayed: Outcome?
    }

    public struct ConsoleParting: Sendable, Equatable {
        public var hostname: String
        /// 1-based, in the normalized consoles.
        public var line: Int
        /// nil: that console ended before.
        public var recorded: String?
        public var replayed: String?
    }

    public var recordedVerdict: GateVerdict
    public var replayedVerdict: GateVerdict
    public var changes: [RuleChange]
    public var consoles: [ConsoleParting]

    public var isIdentical: Bool { recordedVerdict == replayedVerdict && changes.isEmpty }

    public init(recorded: CheckReport, replayed: CheckReport) {
        recordedVerdict = recorded.verdict
        replayedVerdict = replayed.verdict
        let before = Dictionary(recorded.findings.map { ($0.rule, $0.outcome) }) { first, _ in first }
        let after = Dictionary(replayed.findings.map { ($0.rule, $0.outcome) }) { first, _ in first }
        var order = recorded.findings.map(\.rule)
        order += replayed.findings.map(\.rule).filter { before[$0] == nil }
        changes = order.filter { before[$0] != after[$0] }.map { RuleChange(rule: $0, recorded: before[$0], replayed: after[$0]) }
        consoles = zip(recorded.instances, replayed.instances).compactMap { old, new in
            Self.parting(old.consoleLog, new.consoleLog).map { ConsoleParting(hostname: old.hostname, line: $0.line, recorded: $0.old, replayed: $0.new) }
        }
    }

    /// A console line without its kernel timestamp (`[   12.345678] `) and
    /// its carriage return.
    package static func normalized(_ line: Substring) -> Substring {
        var line = line
        if line.last == "\r" { line = line.dropLast() }
        if line.first == "[", let close = line.firstIndex(of: "]"),
           line[line.index(after: line.startIndex)..<close].allSatisfy({ $0 == " " || $0 == "." || $0.isNumber }) {
            line = line[line.index(after: close)...].drop { $0 == " " }
        }
        return line
    }

    static func parting(_ old: String, _ new: String) -> (line: Int, old: String?, new: String?)? {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(normalized)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(normalized)
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? a[index] : nil, right = index < b.count ? b[index] : nil
            if left != right { return (index + 1, left.map(String.init), right.map(String.init)) }
        }
        return nil
    }

    /// For a terminal: the verdicts, what changed, where the consoles part.
    public var text: String {
        var out = "Recorded verdict: \(recordedVerdict.rawValue.uppercased()); replayed: \(replayedVerdict.rawValue.uppercased())\n"
        if changes.isEmpty {
            out += "Every rule has the outcome it had when recorded.\n"
        } else {
            out += "Rules whose outcome differs (\(changes.count)):\n"
            for change in changes {
                out += "  \(change.rule): \(change.recorded?.rawValue ?? "absent") → \(change.replayed?.rawValue ?? "absent")\n"
            }
        }
        for console in consoles {
            out += "Console of \(console.hostname) parts at line \(console.line):\n"
            out += "  recorded: \(console.recorded.map { String($0.prefix(300)) } ?? "(ended)")\n"
            out += "  replayed: \(console.replayed.map { String($0.prefix(300)) } ?? "(ended)")\n"
        }
        return TerminalText.sanitize(out)
    }
}
