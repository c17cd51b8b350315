import Foundation
import ImageGate
import ImageGateInspection
import ImageGateModel

/// `queue run --incremental`: an entry whose every input is what it was at
/// its last complete check — the image's digest, the profile, the
/// scenario, the rule catalogue, ImageGate, and, for an entry that boots,
/// the accelerator, the host and its versions — is carried over without a check,
/// marked "unchanged since run N" (N: the run that checked it in full).
/// Never carried: an entry whose last check was an error or a known
/// failure, one FLAKY in its last ``flakyMemory`` checks, or one whose full
/// check is older than `fullEveryDays`.
struct QueueCarryOver: Sendable {
    /// How many of an entry's last checks are searched for a FLAKY one.
    static let flakyMemory = 30

    var history: QueueHistory
    /// Days after which an entry is checked in full again; nil: never forced.
    var fullEveryDays: Int?
    /// For entries that boot: the accelerator this run would use (nil: a
    /// fleet's, which each host chooses), and the fleet's host URIs (nil:
    /// the run's one host, which an entry records as no host).
    var accelerator: Accelerator?
    var fleet: Set<String>?
    /// The run's one host's versions (``VirtualMachineHost/versions()``).
    var hostVersions: String?

    /// The earlier entry `entry` may be carried over from, if every input
    /// is unchanged and no waiver it was checked under (`waiverExpiries`,
    /// its scenario's) has expired since: a waived rule counts again.
    func unchanged(_ entry: QueueManifest.Entry, inputs: (image: String, profile: String, scenario: String), before run: Int64,
                   waiverExpiries: [Date] = [], now: Date = Date()) throws -> QueueHistory.Entry? {
        let recent = try history.earlierEntries(key: entry.key, before: run, limit: Self.flakyMemory)
        guard let last = recent.first, last.verdict != .error, !recent.contains(where: { $0.flakyFirstVerdict != nil }),
              try history.knownFailure(of: last) == nil,
              last.imageSHA256 == inputs.image, last.profileDigest == inputs.profile, last.scenarioDigest == inputs.scenario,
              let lastRun = try history.run(last.runID), lastRun.catalogueDigest == RuleCatalogue.digest,
              lastRun.imagegateVersion == ImageGateVersion.current else { return nil }
        if entry.boot {
            if let fleet {
                guard let host = last.host, fleet.contains(host) else { return nil }
            } else if last.host != nil || last.accelerator != accelerator?.rawValue || last.hostVersions != hostVersions {
                return nil
            }
        }
        let fullRunID = last.carriedFrom ?? last.runID
        if let full = try history.run(fullRunID), let checked = ISO8601DateFormatter().date(from: full.startedAt),
           waiverExpiries.contains(where: { checked <= $0 && $0 < now }) {
            return nil
        }
        if let days = fullEveryDays, let full = try history.run(fullRunID),
           let checked = ISO8601DateFormatter().date(from: full.startedAt), now.timeIntervalSince(checked) >= Double(days) * 86400 {
            return nil
        }
        return last
    }
}
