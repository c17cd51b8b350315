import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel

/// `imagegate queue run`: every entry of a manifest checked (static
/// inspection, then the scenario's boots unless `boot: false`), each
/// recorded in the history the moment it is done, several at once as far
/// as the host allows. A run that was killed is continued with `resume`,
/// skipping what it recorded. An entry that ends in an infrastructure error
/// or a boot deadline is checked again on a fresh instance (as often as its
/// profile's `queue_retries` says); a different verdict then is recorded as
/// flaky, with both verdicts.
public struct QueueRunner: Sendable {
    public var manifest: QueueManifest
    public var history: QueueHistory
    public var host: any VirtualMachineHost
    /// How many entries are checked at once (``QueueAdmission``).
    public var jobs = 1
    /// Where each entry's check report (JSON and HTML) is written.
    public var reports: String?
    public var language: Language = .english
    public var progress: @Sendable (String) -> Void = { _ in }
    /// What each attempt runs (``EntryCheck``): the real check, or a test's.
    var check: EntryCheck.Function = EntryCheck.real
    /// Images whose static phases share one appliance (``StaticBatch``).
    public var batchSize = 8
    /// Libvirt hosts the boots are spread over (``Fleet``); nil: `host`
    /// alone. The static phases run on this machine either way.
    public var fleet: Fleet?
    /// When a boot's stopped disk is read for the guest's logs and a
    /// Diagnosis (on a fleet host too: its overlay is copied back).
    public var postMortem: BootOptions.PostMortemWhen = .onFailure
    /// Carry over, without a check, each entry whose inputs are unchanged
    /// since its last complete check (``QueueCarryOver``).
    public var incremental = false
    /// With `incremental`: check in full an entry whose full check is this many days old.
    public var fullEveryDays: Int?
    /// How many times each booting entry is checked, unless the entry says
    /// (``QueueManifest/Entry/repeatCount``, ``RepeatedChecks``).
    public var repeats = 1
    /// Test hook: told which host an entry's attempt went to.
    public var assigned: @Sendable (String, String) -> Void = { _, _ in }

    public init(manifest: QueueManifest, history: QueueHistory, host: any VirtualMachineHost) {
        self.manifest = manifest
        self.history = history
        self.host = host
    }

    /// What a run did.
    public struct Summary: Sendable {
        public var runID: Int64
        public var checked: Int
        public var skipped: Int
        /// Carried over unchanged (`incremental`).
        public var carried: Int
        public var status: QueueRunStatus
    }

    /// Runs the manifest; with `resume`, continues its last unfinished run
    /// (of the same manifest, unchanged). One run at a time uses a history:
    /// a second (an overlapping timer) is refused in one line rather than
    /// taking the same run and marking it interrupted.
    public func run(resume: Bool) async throws -> Summary {
        guard let lock = try FileLock.tryExclusive(history.path + ".lock") else {
            throw ImageGateError.badInput("\(history.path): another queue run is using this history (it holds \(history.path).lock); wait for it to end")
        }
        defer { close(lock) }
        let runID: Int64
        var done = Set<String>()
        if resume, let unfinished = try history.unfinishedRun(of: manifest.source) {
            guard unfinished.manifestDigest == manifest.digest else {
                throw ImageGateError.badInput("\(manifest.source): changed since run \(unfinished.id) began (sha256 \(unfinished.manifestDigest.prefix(12))… then, \(manifest.digest.prefix(12))… now); start a new run without --resume")
            }
            runID = unfinished.id
            done = Set(try history.entries(run: runID).map(\.key))
            progress("resuming run \(runID): \(done.count) of \(manifest.entries.count) entries already recorded")
        } else {
            runID = try history.startRun(manifest)
            progress("run \(runID): \(manifest.entries.count) entries, \(jobs) at a time")
        }
        var pending = resolve(manifest.entries.filter { !done.contains($0.key) })
        var carried = 0
        if incremental {
            let left = try await carryOver(pending, run: runID)
            carried = pending.count - left.count
            pending = left
        }
        let order = QueueOrder(manifest: manifest, expected: try history.latestCheckSeconds(before: runID))
        pending = order.sorted(pending, key: \.entry.key)
        let timed = order.timed(pending.map(\.entry))
        if timed > 0 {
            progress("longest first, by each entry's last check" + (timed < pending.count ? "; \(pending.count - timed) never checked go ahead" : ""))
        }
        let id = runID, runner = self, staticPhase = QueueStaticPhase(host: host, progress: progress)
        var checked = 0
        do {
            // Work is admitted as slots free up, longest first
            // (``QueueOrder``): an entry whose static phase is done first
            // (its boots, one slot), else a batch of static phases (one
            // appliance, one slot).
            try await withThrowingTaskGroup(of: Work.self) { group in
                var unbatched = pending[...]
                var ready: [PreparedEntry] = []
                var running = 0
                func admit() {
                    while running < max(1, jobs), !Task.isCancelled {
                        if !ready.isEmpty {
                            let next = ready.removeFirst()
                            group.addTask { try await runner.checkAndRecord(next, run: id); return .checked }
                        } else if !unbatched.isEmpty {
                            // Shared fairly among the free slots, up to the batch size.
                            let fair = (unbatched.count + max(1, jobs) - running - 1) / max(1, jobs - running)
                            let batch = Array(unbatched.prefix(max(1, min(batchSize, fair))))
                            unbatched = unbatched.dropFirst(batch.count)
                            group.addTask { .prepared(await staticPhase.prepare(batch)) }
                        } else {
                            return
                        }
                        running += 1
                    }
                }
                admit()
                while let work = try await group.next() {
                    running -= 1
                    switch work {
                    case .prepared(let prepared):
                        ready = order.sorted(ready + prepared, key: \.entry.entry.key)
                    case .checked:
                        checked += 1
                    }
                    admit()
                }
            }
            try Task.checkCancellation()
        } catch {
            if let fleet { let hosts = await fleet.statuses; Teardown.attempt("recording the hosts of run \(runID)") { try history.recordHosts(hosts, run: runID) } }
            Teardown.attempt("recording run \(runID) as interrupted") { try history.endRun(runID, status: .interrupted) }
            throw error
        }
        if let fleet { try history.recordHosts(await fleet.statuses, run: runID) }
        try history.endRun(runID, status: .finished)
        return Summary(runID: runID, checked: checked, skipped: done.count, carried: carried, status: .finished)
    }

    /// Records, as carried over, each of `entries` whose inputs are
    /// unchanged since its last complete check; returns the others.
    func carryOver(_ entries: [ResolvedEntry], run: Int64) async throws -> [ResolvedEntry] {
        var carryOver = QueueCarryOver(history: history, fullEveryDays: fullEveryDays)
        if let fleet {
            carryOver.fleet = Set(await fleet.statuses.map(\.uri))
        } else if entries.contains(where: \.entry.boot) {
            // Without an accelerator no booting entry is carried over: each is checked and records why it could not boot.
            carryOver.accelerator = try? await AcceleratorProbe(host: host).chooseOnce().accelerator
            carryOver.hostVersions = await host.versions()
        }
        var left: [ResolvedEntry] = []
        for resolved in entries {
            try Task.checkCancellation()
            let entry = resolved.entry
            // An image, scenario or profile that cannot be read is checked, and its check records why.
            guard (try? entry.requireConfined()) != nil, let image = try? FileDigest.sha256(entry.image),
                  let check = try? resolved.check(),
                  let last = try carryOver.unchanged(entry, inputs: (image, check.profileDigest, check.scenarioDigest), before: run,
                                                     waiverExpiries: check.runner.scenario.waivers.compactMap(\.expires)) else {
                left.append(resolved)
                continue
            }
            try history.recordCarriedOver(last, run: run)
            progress("\(entry.key): unchanged since run \(last.carriedFrom ?? last.runID): \(last.shownVerdict.uppercased())")
        }
        return left
    }

    /// What a slot of the run finished.
    private enum Work: Sendable {
        case prepared([PreparedEntry])
        case checked
    }

    /// One entry checked as the attempt policy says, then recorded.
    func checkAndRecord(_ prepared: PreparedEntry, run: Int64) async throws {
        let key = prepared.entry.entry.key
        progress("\(key): checking")
        let recorded = try await attempts.outcome(of: prepared)
        try history.record(recorded, run: run)
        let shown = recorded.verdict == .pass && recorded.flakyFirstVerdict != nil ? "FLAKY" : recorded.verdict.rawValue.uppercased()
        progress("\(key): \(shown)" + (recorded.flakyFirstVerdict.map { " (flaky: \($0.rawValue.uppercased()) on the first check)" } ?? "")
                 + (recorded.repeated.map { " (\($0.summary))" } ?? ""))
    }

    /// The entries of this run, each read once.
    func resolve(_ entries: [QueueManifest.Entry]) -> [ResolvedEntry] {
        let settings = ResolvedEntry.Settings(host: host, language: language, postMortem: postMortem, jobs: jobs)
        return entries.map { ResolvedEntry($0, settings) }
    }

    /// The attempt policy with this run's settings.
    var attempts: QueueAttempts {
        var attempts = QueueAttempts(host: host, fleet: fleet, repeats: repeats, check: check)
        attempts.files = QueueReportFiles(folder: reports)
        attempts.progress = progress
        attempts.assigned = assigned
        return attempts
    }
}
