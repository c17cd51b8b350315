import Foundation
import ImageGate
import ImageGateModel

/// Rules whose outcome flipped from one run to the next while nothing the
/// history records changed — the image's digest, the profile, the
/// scenario, the rule catalogue, ImageGate — over a queue's last runs:
/// a flaky rule, or a flaky image, measured. Two runs of an entry are
/// compared only when both were checked (no error) and both judged the
/// rule; a waived outcome counts as a pass, as in ``QueueDiff``.
public struct QueueFlips: Sendable, Codable, Equatable {
    public struct Flip: Sendable, Codable, Equatable {
        public var key: String
        public var rule: String
        /// The rule's outcome in each run of the window that judged it, oldest first.
        public var outcomes: [String]
        /// Runs after which the next one, with the same inputs, gave another outcome.
        public var flips: Int
        /// Consecutive runs with the same inputs that both judged the rule.
        public var compared: Int
        public var rate: Double { compared == 0 ? 0 : Double(flips) / Double(compared) }
    }

    /// How many runs are looked at: the run and those before it.
    public static let window = 30

    /// The runs looked at, oldest first.
    public var runs: [Int64]
    /// Every rule that flipped, the highest rate first.
    public var flips: [Flip]

    /// The flips over `run` and the finished runs of its manifest before it.
    public static func find(in history: QueueHistory, run: Int64) throws -> QueueFlips {
        guard let record = try history.run(run) else { throw ImageGateError.badInput("run \(run): no such run in \(history.path)") }
        let earlier = try history.runs(of: record.manifest).filter { $0.id < run && $0.status == .finished }.prefix(window - 1)
        let runs = ([record] + earlier).reversed()
        /// One entry's check in one run: its inputs and its rules' outcomes.
        struct Check { var inputs: [String]; var outcomes: [String: (rank: Int, outcome: String)] }
        var checks: [String: [Check]] = [:]
        for run in runs {
            // An error judged nothing; a carried-over entry is its full check's copy.
            for entry in try history.entries(run: run.id) where entry.verdict != .error && entry.carriedFrom == nil {
                let findings = try history.findings(entry: entry.id)
                let outcomes = Dictionary(findings.map { ($0.rule, (QueueDiff.rank($0), $0.waived == nil ? $0.outcome : "waived")) }) { first, _ in first }
                let inputs = [entry.imageSHA256, entry.profileDigest, entry.scenarioDigest, run.catalogueDigest, run.imagegateVersion]
                checks[entry.key, default: []].append(Check(inputs: inputs, outcomes: outcomes))
            }
        }
        var flips: [Flip] = []
        for (key, chain) in checks {
            for rule in Set(chain.flatMap(\.outcomes.keys)) {
                var flip = Flip(key: key, rule: rule, outcomes: chain.compactMap { $0.outcomes[rule]?.outcome }, flips: 0, compared: 0)
                for (before, after) in zip(chain, chain.dropFirst()) where before.inputs == after.inputs {
                    guard let was = before.outcomes[rule], let now = after.outcomes[rule] else { continue }
                    flip.compared += 1
                    if was.rank != now.rank { flip.flips += 1 }
                }
                if flip.flips > 0 { flips.append(flip) }
            }
        }
        flips.sort { ($1.rate, $0.key, $0.rule) < ($0.rate, $1.key, $1.rule) }
        return QueueFlips(runs: runs.map(\.id), flips: flips)
    }
}
