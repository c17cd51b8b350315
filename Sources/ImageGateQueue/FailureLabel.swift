import Foundation
import ImageGate
import GRDB
import ImageGateModel

/// A reviewer's note on a known failure (kola's denylist, openQA's
/// carry-over): set once on a ``FailureSignature``, carried without a step
/// to every entry, tonight's or a later night's, that fails the same way,
/// until its last day. A label never changes a verdict: the entry still
/// fails; the dashboard lists it after the new failures, as KNOWN.
public struct FailureLabel: Sendable, Equatable, Codable, FetchableRecord {
    public var signature: String
    public var rule: String
    /// The signature's normalised evidence, for a reviewer to read.
    public var text: String
    public var note: String
    public var link: String?
    /// The last day (YYYY-MM-DD, UTC) it is shown; nil: no end.
    public var until: String?
    public var createdAt: String

    /// Whether it applies to a run started on `day` (YYYY-MM-DD).
    public func applies(on day: String) -> Bool { until.map { day <= $0 } ?? true }

    /// A label's last day as given: a real date, YYYY-MM-DD.
    public static func validDay(_ text: String) -> Bool {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return text.count == 10 && formatter.date(from: text).map { formatter.string(from: $0) == text } == true
    }

    /// A link the dashboard can show as one: http or https, no spaces or
    /// quotes (an escaped `javascript:` would still run when clicked).
    public static func validLink(_ text: String) -> Bool {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else { return false }
        return !text.contains { $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "<" || $0 == ">" }
    }
}

extension QueueHistory {
    /// Sets (or replaces) the label on `signature`.
    public func setLabel(_ signature: FailureSignature, note: String, link: String?, until: String?) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO label (signature, rule, text, note, link, until, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [signature.id, signature.rule, signature.text, note, link, until, Self.now()])
        }
    }

    /// Every label, by rule then signature.
    public func labels() throws -> [FailureLabel] {
        try database.read { db in try FailureLabel.fetchAll(db, sql: "SELECT * FROM label ORDER BY rule, signature") }
    }

    /// The hostnames `entry`'s check gave its instances (its timelines' keys).
    static func hostnames(of entry: Entry) -> [String] {
        // The history wrote this JSON itself; a damaged row names no host.
        let timelines = (try? JSONDecoder().decode([String: [String: Double]].self, from: Data(entry.timelines.utf8))) ?? [:]
        return Array(timelines.keys)
    }

    /// The signatures of `entry`'s failed rules (waived ones are no failure).
    public func failureSignatures(of entry: Entry) throws -> [FailureSignature] {
        let hostnames = Self.hostnames(of: entry)
        return try findings(entry: entry.id).filter { $0.outcome == ImageGateModel.Outcome.fail.rawValue && $0.waived == nil }
            .map { FailureSignature($0, hostnames: hostnames) }
    }

    /// The labels that cover every failed rule of `entry` on the night of
    /// its run; nil when it failed no rule, or one of its failures is new
    /// (no label, or the label's last day has passed).
    public func knownFailure(of entry: Entry) throws -> [FailureLabel]? {
        let signatures = try failureSignatures(of: entry)
        guard !signatures.isEmpty, let run = try run(entry.runID) else { return nil }
        let day = String(run.startedAt.prefix(10))
        let labels = Dictionary(try self.labels().map { ($0.signature, $0) }) { first, _ in first }
        let matched = signatures.compactMap { labels[$0.id] }.filter { $0.applies(on: day) }
        guard matched.count == signatures.count else { return nil }
        var seen = Set<String>()
        return matched.filter { seen.insert($0.signature).inserted }
    }

    /// How many of the latest runs are searched for a signature's failures.
    static let signatureSearchRuns = 60

    /// Failures whose signature is `id` in the latest
    /// ``signatureSearchRuns`` runs, newest first, at most `limit`.
    public func failures(withSignature id: String, limit: Int = 10) throws -> [(Entry, FailureSignature)] {
        let failing = try database.read { db in
            try Entry.fetchAll(db, sql: """
                SELECT DISTINCT entry.* FROM entry JOIN finding ON finding.entryID = entry.id
                WHERE finding.outcome = 'fail' AND finding.waived IS NULL
                  AND entry.runID IN (SELECT id FROM run ORDER BY id DESC LIMIT ?)
                ORDER BY entry.runID DESC, entry.key
                """, arguments: [Self.signatureSearchRuns])
        }
        var found: [(Entry, FailureSignature)] = []
        for entry in failing where found.count < limit {
            if let signature = try failureSignatures(of: entry).first(where: { $0.id == id }) { found.append((entry, signature)) }
        }
        return found
    }
}
