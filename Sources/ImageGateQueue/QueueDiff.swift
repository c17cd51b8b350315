import Foundation
import ImageGate
import ImageGateModel

/// Two runs of a queue compared entry by entry and rule by rule: what
/// regressed, what was fixed, which images are new or gone — and why, where
/// the reason is visible in what was recorded (the image's digest, the
/// profile, the scenario, the rule catalogue, ImageGate's version).
public struct QueueDiff: Sendable, Codable {
    public enum Change: String, Sendable, Codable {
        case regressed, fixed, new, removed, unchanged
    }

    public struct RuleChange: Sendable, Codable, Equatable {
        public var rule: String
        public var before: String?
        public var after: String?
        public var change: Change
    }

    public struct EntryChange: Sendable, Codable {
        public var key: String
        public var vendor: String
        public var change: Change
        public var verdictBefore: QueueVerdict?
        public var verdictAfter: QueueVerdict?
        /// Rules whose outcome changed.
        public var rules: [RuleChange]
        /// What changed between the two checks, as far as recorded.
        public var reasons: [String]
        public var flaky: String?
    }

    public var before: Int64?
    public var after: Int64
    public var entries: [EntryChange]

    public func entries(_ change: Change) -> [EntryChange] { entries.filter { $0.change == change } }

    /// True when tonight is worse: a regression, or a new image that does not pass.
    public var hasRegressions: Bool {
        entries.contains { $0.change == .regressed || ($0.change == .new && $0.verdictAfter != .pass) }
    }

    /// Compares run `after` with `before` (default: the previous run of the
    /// same manifest, finished or not).
    public static func compare(_ history: QueueHistory, before: Int64? = nil, after: Int64) throws -> QueueDiff {
        guard let afterRun = try history.run(after) else { throw ImageGateError.badInput("run \(after): no such run in \(history.path)") }
        let beforeID = try before ?? history.runs(of: afterRun.manifest).first { $0.id < after }?.id
        let beforeRun = try beforeID.flatMap { try history.run($0) }
        if let beforeID, beforeRun == nil { throw ImageGateError.badInput("run \(beforeID): no such run in \(history.path)") }
        let old = Dictionary(try beforeRun.map { try history.entries(run: $0.id) }?.map { ($0.key, $0) } ?? []) { first, _ in first }
        let new = Dictionary(try history.entries(run: after).map { ($0.key, $0) }) { first, _ in first }

        var changes: [EntryChange] = []
        for key in Set(old.keys).union(new.keys).sorted() {
            switch (old[key], new[key]) {
            case let (nil, entry?):
                changes.append(EntryChange(key: key, vendor: entry.vendor, change: .new, verdictBefore: nil, verdictAfter: entry.verdict,
                                           rules: [], reasons: ["not in run \(beforeRun.map { String($0.id) } ?? "(none)")"],
                                           flaky: entry.flakyFirstVerdict.map { _ in entry.problem ?? "" }))
            case let (entry?, nil):
                changes.append(EntryChange(key: key, vendor: entry.vendor, change: .removed, verdictBefore: entry.verdict, verdictAfter: nil,
                                           rules: [], reasons: ["not in run \(after)"], flaky: nil))
            case let (was?, now?):
                let rules = try ruleChanges(history.findings(entry: was.id), history.findings(entry: now.id))
                let change: Change
                if now.verdict > was.verdict || (now.verdict == was.verdict && rules.contains { $0.change == .regressed }) {
                    change = .regressed
                } else if now.verdict < was.verdict || (now.verdict == was.verdict && rules.contains { $0.change == .fixed }) {
                    change = .fixed
                } else {
                    change = .unchanged
                }
                let reasons = change == .unchanged ? [] : Self.reasons(was, now, beforeRun!, afterRun)
                changes.append(EntryChange(key: key, vendor: now.vendor, change: change, verdictBefore: was.verdict,
                                           verdictAfter: now.verdict, rules: rules, reasons: reasons,
                                           flaky: now.flakyFirstVerdict.map { _ in now.problem ?? "" }))
            case (nil, nil):
                break
            }
        }
        return QueueDiff(before: beforeRun?.id, after: after, entries: changes)
    }

    /// A rule's outcome from best to worst; a waived one counts as passed.
    static func rank(_ finding: QueueHistory.StoredFinding) -> Int {
        if finding.waived != nil { return 0 }
        switch Outcome(rawValue: finding.outcome) {
        case .pass?, .notApplicable?, .info?: return 0
        case .warning?: return 1
        case .couldNotCheck?: return 2
        default: return 3
        }
    }

    static func ruleChanges(_ before: [QueueHistory.StoredFinding], _ after: [QueueHistory.StoredFinding]) -> [RuleChange] {
        let old = Dictionary(before.map { ($0.rule, $0) }) { first, _ in first }
        let new = Dictionary(after.map { ($0.rule, $0) }) { first, _ in first }
        var changes: [RuleChange] = []
        for rule in Set(old.keys).union(new.keys).sorted() {
            let was = old[rule], now = new[rule]
            let delta = (now.map(rank) ?? 0) - (was.map(rank) ?? 0)
            guard delta != 0 || (was == nil) != (now == nil) else { continue }
            let change: Change = was == nil ? .new : now == nil ? .removed : delta > 0 ? .regressed : .fixed
            changes.append(RuleChange(rule: rule, before: was?.outcome, after: now?.outcome, change: change))
        }
        return changes
    }

    /// What differs between the two checks, in the order a reviewer asks.
    static func reasons(_ was: QueueHistory.Entry, _ now: QueueHistory.Entry, _ before: QueueHistory.Run,
                        _ after: QueueHistory.Run) -> [String] {
        var reasons: [String] = []
        if was.imageSHA256 != now.imageSHA256 {
            reasons.append("the image changed (a re-upload): sha256 \(was.imageSHA256.prefix(12))… → \(now.imageSHA256.prefix(12))…")
        }
        if before.catalogueDigest != after.catalogueDigest { reasons.append("the rule catalogue changed") }
        if was.profileDigest != now.profileDigest { reasons.append("the platform profile changed") }
        if was.scenarioDigest != now.scenarioDigest { reasons.append("the scenario changed") }
        if before.imagegateVersion != after.imagegateVersion {
            reasons.append("ImageGate changed: \(before.imagegateVersion) → \(after.imagegateVersion)")
        }
        if reasons.isEmpty { reasons.append("nothing recorded changed: the image, profile, scenario, rules and ImageGate are the same") }
        return reasons
    }
}
