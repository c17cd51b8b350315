import Foundation
import ImageGate
import ImageGateModel

/// A failure as it recurs: the failing rule and its evidence, with what
/// differs between two boots of the same defect made alike — IP and MAC
/// addresses, memory addresses, hostnames, instance IDs, timestamps,
/// durations, PIDs and line numbers. Two entries (or two nights) whose
/// failures have one signature failed the same way; a label set on one
/// (``FailureLabel``) is carried to the other.
public struct FailureSignature: Sendable, Hashable, Codable {
    public var rule: String
    /// The evidence, normalised, a line each.
    public var text: String
    /// The first 12 hexadecimal digits of the SHA-256 of rule and text:
    /// what a reviewer types to label it.
    public var id: String

    /// `hostnames`: the instance names the check gave (each is `<host>`).
    public init(rule: String, evidence: [String], found: String, hostnames: [String] = []) {
        self.rule = rule
        // Without evidence the finding's own words are what recurs.
        let lines = (evidence.isEmpty ? [found] : evidence).map { Self.normalise($0, hostnames: hostnames) }
        text = lines.joined(separator: "\n")
        id = String(Digest.sha256(rule + "\n" + text).prefix(12))
    }

    /// The signature of a failed finding as the history stored it.
    init(_ finding: QueueHistory.StoredFinding, hostnames: [String]) {
        // The history wrote this JSON itself; a damaged row counts as no evidence.
        let evidence = (try? JSONDecoder().decode([String].self, from: Data(finding.evidence.utf8))) ?? []
        self.init(rule: finding.rule, evidence: evidence, found: finding.found, hostnames: hostnames)
    }

    /// Whether `text` is a signature's ID as ``id`` spells it.
    public static func isID(_ text: String) -> Bool {
        text.count == 12 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// `line` with its volatile parts replaced by placeholders. Hostnames
    /// first (a hostname may hold digits the later patterns would take),
    /// then the patterns in order: a MAC before a time or an IPv6 address
    /// (`52:54:00` reads as a time), a date and time before a time alone.
    static func normalise(_ line: String, hostnames: [String]) -> String {
        var text = line
        for host in hostnames.filter({ !$0.isEmpty }).sorted(by: { $0.count > $1.count }) {
            text = text.replacing(host, with: "<host>")
        }
        for (pattern, placeholder) in volatile {
            text = pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: placeholder)
        }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Each volatile part: the pattern, and the template that stands for it.
    private static let volatile: [(NSRegularExpression, String)] = [
        // `ttyS0:464:` or `/var/log/cloud-init.log:12:` at an evidence line's start.
        (#"^(\S+?):\d+:"#, "$1:<line>:"),
        // The kernel's `[   12.345678]`.
        (#"\[\s*\d+\.\d+\]"#, "[<t>]"),
        (#"(?i)\b(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b"#, "<mac>"),
        (#"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"#, "<time>"),
        (#"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"#, "<date>"),
        (#"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2}\b"#, "<date>"),
        (#"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?[+-]\d{4})?\b"#, "<time>"),
        (#"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"#, "<uuid>"),
        (#"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b"#, "<ip>"),
        (#"(?i)(?<![\w:])(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}(?:/\d{1,3})?(?![\w:])"#, "<ip>"),
        (#"(?i)(?<![\w:])(?:[0-9a-f]{1,4}:)*:(?::?[0-9a-f]{1,4})+(?:/\d{1,3})?(?![\w:])"#, "<ip>"),
        (#"(?i)\b0x[0-9a-f]+\b|\b[0-9a-f]{16}\b"#, "<addr>"),
        // `cloud-init[276]:`, `pid 1234`, `PID: 1234`, `pid=1234`.
        (#"(\w)\[\d+\]"#, "$1[<pid>]"),
        (#"(?i)\b(pid)([:= ]+)\d+\b"#, "$1$2<pid>"),
        (#"\b\d+(?:\.\d+)? ?(?:s|ms|sec|seconds)\b"#, "<duration>"),
    ].map { (try! NSRegularExpression(pattern: $0.0, options: [.anchorsMatchLines]), $0.1) }
}
