import Foundation
import ImageGate

/// The first check of an entry that was checked again (an infrastructure
/// error, or a boot that ended on a deadline): kept beside the verdict the
/// second check gave, so a retry is never invisible. An entry that failed
/// and then passed is FLAKY, never PASS (``QueueHistory/Entry/isFlaky``).
public struct FirstAttempt: Sendable, Codable, Equatable {
    public var verdict: QueueVerdict
    /// Why it was checked again.
    public var problem: String?
    /// Its failed rules (not waived), each with what was found.
    public var failed: [Failed]

    public struct Failed: Sendable, Codable, Equatable {
        public var rule: String
        public var found: String
    }

    init(_ outcome: QueueHistory.Outcome) {
        verdict = outcome.verdict
        problem = outcome.problem
        failed = outcome.findings.filter(\.isFailure).map { Failed(rule: $0.rule, found: $0.found) }
    }
}

extension QueueHistory.Entry {
    /// The first attempt, when the entry was checked twice.
    public var firstAttemptRecord: FirstAttempt? {
        // The history wrote this JSON itself; a damaged row shows no first attempt.
        firstAttempt.flatMap { try? JSONDecoder().decode(FirstAttempt.self, from: Data($0.utf8)) }
    }

    /// Passed only on its second check, having failed (or not been
    /// checked) on its first: shown as FLAKY, never as PASS.
    public var isFlaky: Bool { verdict == .pass && flakyFirstVerdict.map { $0 != .pass } == true }

    /// The verdict as shown: FLAKY for a flaky pass, else the verdict.
    public var shownVerdict: String { isFlaky ? "flaky" : verdict.rawValue }
}
