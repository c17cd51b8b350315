import Foundation
import ImageGate

/// An entry checked several times in one run (`queue run --repeat N`, or
/// the entry's `repeat: N`): how each check ended and, per rule, in how
/// many checks it failed. The entry is recorded with its worst check, so a
/// rule that fails once in three boots fails the entry, and these counts
/// say how often: a rule that fails only sometimes is measured, not hidden
/// by a lucky boot.
///
/// A check that ended in an error (no verdict: the infrastructure, or bad
/// input) counts among the checks, not among those a rule could fail in:
/// ``judged`` is the denominator of every ratio.
public struct RepeatedChecks: Sendable, Codable, Equatable {
    /// Each check's verdict, in the order they ran.
    public var verdicts: [QueueVerdict]
    /// Each rule that failed (not waived) in at least one check: in how many.
    public var failures: [String: Int]

    public var checks: Int { verdicts.count }
    /// The checks that gave a verdict.
    public var judged: Int { verdicts.filter { $0 != .error }.count }

    /// The rules that failed in some judged checks and held in others.
    public var intermittent: [String] { failures.filter { $0.value < judged }.keys.sorted() }

    init(_ outcomes: [QueueHistory.Outcome]) {
        verdicts = outcomes.map(\.verdict)
        var failures: [String: Int] = [:]
        for outcome in outcomes where outcome.verdict != .error {
            for rule in Set(outcome.findings.filter(\.isFailure).map(\.rule)) { failures[rule, default: 0] += 1 }
        }
        self.failures = failures
    }

    /// Which of `outcomes` the entry is recorded with: the worst verdict
    /// among the checks that gave one (the first of equals), or the first
    /// check when none did.
    static func recorded(_ outcomes: [QueueHistory.Outcome]) -> Int {
        let judged = outcomes.indices.filter { outcomes[$0].verdict != .error }
        // max(by:) keeps the first of equals.
        return judged.max { outcomes[$0].verdict < outcomes[$1].verdict } ?? 0
    }

    /// Each failed rule as `RULE n/judged`, most often failed first.
    public var ratios: [String] {
        failures.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)/\(judged)" }
    }

    /// One line: how many checks, their verdicts, and each failed rule's count.
    public var summary: String {
        "checked \(checks) times: " + verdicts.map { $0.rawValue.uppercased() }.joined(separator: " ")
            + (failures.isEmpty ? "" : "; failed: " + ratios.joined(separator: ", "))
    }
}

extension QueueHistory.Entry {
    /// How the entry's repeated checks ended, when it was checked more than once.
    public var repeatedChecks: RepeatedChecks? {
        // The history wrote this JSON itself; a damaged row shows no repeats.
        repeated.flatMap { try? JSONDecoder().decode(RepeatedChecks.self, from: Data($0.utf8)) }
    }
}
