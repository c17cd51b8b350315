import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// The queue's attempt policy for one entry: checked again on a fresh
/// instance after an infrastructure error or a boot deadline (as often as
/// its profile's `queue_retries` says), moved to another fleet host when
/// its host stopped answering mid-check, and checked as often as asked
/// (``RepeatedChecks``). A last verdict that differs from the first is
/// FLAKY, with both. Whose fault an error was comes from its
/// ``ImageGateError/Code``: a candidate written during its check is the
/// candidate's doing, recorded as such and never retried.
struct QueueAttempts: Sendable {
    var host: any VirtualMachineHost
    var fleet: Fleet?
    /// How many times a booting entry is checked unless it says.
    var repeats = 1
    var check: EntryCheck.Function = EntryCheck.real
    var files = QueueReportFiles()
    var progress: @Sendable (String) -> Void = { _ in }
    /// Told which host an entry's attempt went to.
    var assigned: @Sendable (String, String) -> Void = { _, _ in }

    /// The outcome to record for `prepared`: retried, repeated and flaky as the policy says.
    func outcome(of prepared: PreparedEntry) async throws -> QueueHistory.Outcome {
        let entry = prepared.entry.entry
        var (recorded, attempts) = try await withRetries(prepared)
        let checks = entry.boot ? entry.repeatCount ?? repeats : 1
        guard checks > 1 else { return recorded }
        // Each further check boots again; the static phase already done is shared.
        var outcomes = [recorded]
        for check in 2...checks {
            progress("\(entry.key): check \(check) of \(checks)")
            attempts += 1
            outcomes.append(try await attempt(prepared, number: attempts, check: check).recorded)
            try Task.checkCancellation()
        }
        recorded = outcomes[RepeatedChecks.recorded(outcomes)]
        recorded.repeated = RepeatedChecks(outcomes)
        recorded.seconds = outcomes.map(\.seconds).reduce(0, +)
        return recorded
    }

    /// The first attempt, and further ones while they may have been the
    /// host's fault; returns the outcome and how many attempts it took.
    func withRetries(_ prepared: PreparedEntry) async throws -> (QueueHistory.Outcome, attempts: Int) {
        let entry = prepared.entry
        var number = 1
        var (last, retry) = try await attempt(prepared, number: 1)
        try Task.checkCancellation()
        guard retry else { return (last, 1) }
        let first = last
        let retries = entry.queueRetries
        while retry, number <= retries {
            number += 1
            progress("\(entry.entry.key): \(last.problem ?? "a boot deadline"); checking again on a fresh instance (retry \(number - 1) of \(retries))")
            // A retry checks the whole entry again: the first attempt's static phase may have been what failed.
            (last, retry) = try await attempt(PreparedEntry(entry: entry), number: number)
            try Task.checkCancellation()
        }
        guard number > 1 else { return (first, 1) }
        var recorded = last
        if last.verdict != first.verdict {
            recorded.flakyFirstVerdict = first.verdict
            recorded.problem = "flaky: \(first.verdict)" + (first.problem.map { " (\($0))" } ?? "") + " then \(last.verdict)"
                + (number > 2 ? " after \(number - 1) retries" : "") + (last.problem.map { " (\($0))" } ?? "")
        }
        recorded.firstAttempt = FirstAttempt(first)
        return (recorded, number)
    }

    /// One attempt: on this machine's host, or on the fleet's freest host.
    /// Where that host dropped mid-check (an infrastructure error, and the
    /// host no longer answers), the attempt does not count: the entry runs
    /// again on another host, and its record says so.
    func attempt(_ prepared: PreparedEntry, number: Int, check: Int = 1) async throws -> (recorded: QueueHistory.Outcome, retry: Bool) {
        guard let fleet else { return await attempt(prepared, number: number, host: nil, check: check) }
        let key = prepared.entry.entry.key
        var dropped: [String] = []
        while true {
            let index: Int, host: any VirtualMachineHost
            do {
                (index, host) = try await fleet.acquire(avoiding: Set(dropped))
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // No healthy host left: this entry's record says so; the run goes on.
                let outcome = QueueHistory.Outcome(entry: prepared.entry.entry, imageSize: Self.size(of: prepared.entry.entry.image),
                                                   imageSHA256: prepared.digestBefore ?? "", failedWith: .infrastructure,
                                                   problem: "infrastructure error: \(error)")
                return (outcome, false)
            }
            let uri = await fleet.uri(index)
            assigned(key, uri)
            progress("\(key): on \(uri)")
            var outcome = await attempt(prepared, number: number, host: host, check: check)
            outcome.recorded.host = uri
            let hostDropped = outcome.recorded.isInfrastructureError ? !(await fleet.stillHealthy(index)) : false
            await fleet.release(index, checked: !hostDropped)
            guard hostDropped else {
                if !dropped.isEmpty {
                    let note = "re-run on \(uri): \(dropped.joined(separator: ", ")) stopped answering mid-check"
                    outcome.recorded.problem = outcome.recorded.problem.map { "\(note); \($0)" } ?? note
                }
                return outcome
            }
            progress("\(key): \(uri) stopped answering; running the entry again on another host")
            dropped.append(uri)
        }
    }

    /// One check of an entry on `host` (nil: the run's own), never
    /// throwing: its error is the outcome, `error` with its code; only the
    /// host's fault or a boot deadline asks for a retry.
    private func attempt(_ prepared: PreparedEntry, number: Int, host: (any VirtualMachineHost)?,
                         check: Int) async -> (recorded: QueueHistory.Outcome, retry: Bool) {
        let started = ContinuousClock.now
        let entry = prepared.entry.entry
        var outcome = QueueHistory.Outcome(entry: entry, imageSize: Self.size(of: entry.image), failedWith: .infrastructure)
        do {
            try entry.requireConfined()
            let resolved = try prepared.entry.check()
            var runner = resolved.runner
            if let host { runner.host = host }
            outcome.profileDigest = resolved.profileDigest
            outcome.scenarioDigest = resolved.scenarioDigest
            let report = try await self.check(EntryCheck(entry: entry, runner: runner, prepared: prepared, attempt: number))
            outcome.imageSHA256 = report.image.sha256
            outcome.record(report.verdict)
            outcome.findings = report.findings
            outcome.timelines = Dictionary(report.instances.map { ($0.hostname, $0.timeline) }) { first, _ in first }
            if !report.instances.isEmpty {
                outcome.accelerator = report.accelerator
                outcome.hostVersions = await runner.host.versions()
            }
            outcome.software = CheckedSoftware(report)
            if !report.instances.isEmpty, let family = report.staticInspection?.facts.family,
               let budget = runner.profile.bootBudgetSeconds[family] {
                outcome.bootBudget = budget * report.accelerator.timeoutMultiplier
            }
            outcome.reportPath = try files.write(report, for: entry, check: check)
            outcome.consoleLogs = try files.writeConsoles(report, for: entry, check: check)
            outcome.seconds = (ContinuousClock.now - started).seconds
            let deadline = report.instances.first { $0.endedOnDeadline }
            if let deadline { outcome.problem = "boot of \(deadline.hostname) ended on a deadline: \(deadline.end)" }
            return (outcome, deadline != nil)
        } catch {
            let code = ImageGateError.code(of: error)
            outcome.record(code)
            outcome.problem = switch code {
            case .infrastructure: "infrastructure error: \(error)"
            case .interrupted: "interrupted: \(error)"
            case .badInput, .candidateChanged: "\(error)"
            }
        }
        outcome.seconds = (ContinuousClock.now - started).seconds
        // An unreadable image has no digest to record; the outcome says why.
        if outcome.imageSHA256.isEmpty, (try? entry.requireConfined()) != nil { outcome.imageSHA256 = (try? FileDigest.sha256(entry.image)) ?? "" }
        return (outcome, outcome.isInfrastructureError)
    }

    static func size(of path: String) -> Int64 {
        // A missing image has size 0; its check records why.
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
