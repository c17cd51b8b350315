import Foundation
import ImageGate

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
    /// Fault injection for tests: called before each attempt with the
    /// entry's key and the attempt number (1, then 2, 3… for retries and
    /// repeated checks); a thrown error is that
    /// attempt's outcome.
    public var beforeAttempt: @Sendable (String, Int) throws -> Void = { _, _ in }
    /// Images whose static phases share one appliance (``StaticBatch``).
    public var batchSize = 8
    /// Libvirt hosts the boots are spread over (``Fleet``); nil: `host`
    /// alone. The static phases run on this machine either way.
    public var fleet: Fleet?
    /// When a boot's stopped disk is read for the guest's logs and a
    /// Diagnosis (on a fleet host too: its overlay is copied back).
    public var postMortem: FirstBoot.PostMortemWhen = .onFailure
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
        public var status: String
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
        var pending = manifest.entries.filter { !done.contains($0.key) }
        var carried = 0
        if incremental {
            let left = try await carryOver(pending, run: runID)
            carried = pending.count - left.count
            pending = left
        }
        let order = QueueOrder(manifest: manifest, expected: try history.latestCheckSeconds(before: runID))
        pending = order.sorted(pending, key: \.key)
        let timed = order.timed(pending)
        if timed > 0 {
            progress("longest first, by each entry's last check" + (timed < pending.count ? "; \(pending.count - timed) never checked go ahead" : ""))
        }
        let id = runID, runner = self
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
                            group.addTask { .prepared(await runner.staticPhase(batch)) }
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
                        ready = order.sorted(ready + prepared, key: \.entry.key)
                    case .checked:
                        checked += 1
                    }
                    admit()
                }
            }
            try Task.checkCancellation()
        } catch {
            if let fleet { let hosts = await fleet.statuses; Teardown.attempt("recording the hosts of run \(runID)") { try history.recordHosts(hosts, run: runID) } }
            Teardown.attempt("recording run \(runID) as interrupted") { try history.endRun(runID, status: "interrupted") }
            throw error
        }
        if let fleet { try history.recordHosts(await fleet.statuses, run: runID) }
        try history.endRun(runID, status: "finished")
        return Summary(runID: runID, checked: checked, skipped: done.count, carried: carried, status: "finished")
    }

    /// Records, as carried over, each of `entries` whose inputs are
    /// unchanged since its last complete check; returns the others.
    func carryOver(_ entries: [QueueManifest.Entry], run: Int64) async throws -> [QueueManifest.Entry] {
        var carryOver = QueueCarryOver(history: history, fullEveryDays: fullEveryDays)
        if let fleet {
            carryOver.fleet = Set(await fleet.statuses.map(\.uri))
        } else if entries.contains(where: \.boot) {
            // Without an accelerator no booting entry is carried over: each is checked and records why it could not boot.
            carryOver.accelerator = try? await AcceleratorProbe(host: host).chooseOnce().accelerator
            carryOver.hostVersions = await host.versions()
        }
        var left: [QueueManifest.Entry] = []
        for entry in entries {
            try Task.checkCancellation()
            // An image or scenario that cannot be read is checked, and its check records why.
            guard (try? entry.requireConfined()) != nil, let image = try? FileDigest.sha256(entry.image),
                  let (runner, profile, scenario) = try? checkRunner(for: entry),
                  let last = try carryOver.unchanged(entry, inputs: (image, profile, scenario), before: run,
                                                     waiverExpiries: runner.scenario.waivers.compactMap(\.expires)) else {
                left.append(entry)
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

    /// An entry whose image was validated and whose static phase ran in a
    /// shared appliance. Where either failed, `inspection` is nil and the
    /// entry's check does it all again on its own, which reports the error.
    struct PreparedEntry: Sendable {
        var entry: QueueManifest.Entry
        var image: ImageFile?
        var digestBefore: String?
        var digestAfterInspection: String?
        var inspection: InspectionResult?
    }

    /// The static phases of `entries` in one appliance (``StaticBatch``).
    /// The images are hashed while the appliance launches, and an entry
    /// checked statically only is hashed again the moment its inspection is
    /// over, while the appliance goes on with the next (read-only drives:
    /// the digests are what they would be before and after). An image
    /// whose digest fails is left to its entry's own check.
    func staticPhase(_ entries: [QueueManifest.Entry]) async -> [PreparedEntry] {
        var prepared = entries.map { PreparedEntry(entry: $0) }
        // Without an accelerator no batch is prepared: each entry then runs alone and records its own error.
        guard let accelerator = try? await AcceleratorProbe(host: host).chooseOnce().accelerator else { return prepared }
        var items: [StaticBatch.Item] = [], itemOwners: [Int] = []
        for (index, entry) in entries.enumerated() {
            // An entry that cannot be prepared runs alone and records its own error.
            guard (try? entry.requireConfined()) != nil, let runner = try? checkRunner(for: entry).runner,
                  let image = try? await ImageFile.validate(entry.image, limits: runner.profile.limits) else { continue }
            items.append(.init(image: image, inspector: StaticInspector(profile: runner.effectiveProfile, accelerator: accelerator)))
            itemOwners.append(index)
        }
        guard !items.isEmpty else { return prepared }
        progress("static inspection of \(items.count) image\(items.count == 1 ? "" : "s") in one appliance")
        let images = items.map(\.image), staticOnly = itemOwners.map { !entries[$0].boot }
        let digests = BackgroundDigests<DigestKey>()
        for (item, image) in images.enumerated() { await digests.start(.before(item), of: image) }
        // What a crashed run left in the scratch and run folders goes first.
        LeftoverReaper().reapProcessesAndFolders()
        var batch = StaticBatch(accelerator: accelerator)
        batch.maxDrives = max(1, items.count)
        let keys = itemOwners.map { entries[$0].key }
        let progress = self.progress
        batch.progress = { item, note in progress("\(keys[item]): \(note)") }
        batch.itemDone = { item in if staticOnly[item] { await digests.start(.after(item), of: images[item]) } }
        let results = await batch.inspect(items)
        guard !Task.isCancelled else { return prepared }
        for (item, result) in results.enumerated() {
            guard let before = await digests.digest(.before(item)), case .success(let inspection) = result else { continue }
            prepared[itemOwners[item]].image = images[item]
            prepared[itemOwners[item]].digestBefore = before
            prepared[itemOwners[item]].digestAfterInspection = await digests.digest(.after(item))
            prepared[itemOwners[item]].inspection = inspection
        }
        return prepared
    }

    private enum DigestKey: Hashable, Sendable {
        case before(Int), after(Int)
    }

    /// One entry: checked (again where an attempt may have been the host's
    /// fault), as many times as asked (``RepeatedChecks``), then recorded.
    func checkAndRecord(_ prepared: PreparedEntry, run: Int64) async throws {
        let entry = prepared.entry
        progress("\(entry.key): checking")
        var (recorded, attempts) = try await checkWithRetries(prepared)
        let checks = entry.boot ? entry.repeatCount ?? repeats : 1
        if checks > 1 {
            // Each further check boots again; the static phase already done is shared.
            var outcomes = [recorded]
            for check in 2...checks {
                progress("\(entry.key): check \(check) of \(checks)")
                attempts += 1
                if let fleet {
                    outcomes.append(try await attemptOnFleet(fleet, prepared, number: attempts, check: check).recorded)
                } else {
                    outcomes.append(await attempt(entry, number: attempts, prepared: prepared, check: check).recorded)
                }
                try Task.checkCancellation()
            }
            recorded = outcomes[RepeatedChecks.recorded(outcomes)]
            recorded.repeated = RepeatedChecks(outcomes)
            recorded.seconds = outcomes.map(\.seconds).reduce(0, +)
        }
        try history.record(recorded, run: run)
        let shown = recorded.verdict == .pass && recorded.flakyFirstVerdict != nil ? "FLAKY" : recorded.verdict.rawValue.uppercased()
        progress("\(entry.key): \(shown)" + (recorded.flakyFirstVerdict.map { " (flaky: \($0.rawValue.uppercased()) on the first check)" } ?? "")
                 + (recorded.repeated.map { " (\($0.summary))" } ?? ""))
    }

    /// The entry's check, made again on a fresh instance after an
    /// infrastructure error or a boot deadline, as often as its profile's
    /// `queue_retries` allows (1 by default). The first attempt is kept
    /// beside the last (``FirstAttempt``); a last verdict that differs
    /// from the first is flaky, with both verdicts and why. Returns that
    /// outcome and how many attempts it took.
    func checkWithRetries(_ prepared: PreparedEntry) async throws -> (QueueHistory.Outcome, attempts: Int) {
        let entry = prepared.entry
        var number = 1
        var (last, retry) = if let fleet { try await attemptOnFleet(fleet, prepared) } else { await attempt(entry, number: 1, prepared: prepared) }
        try Task.checkCancellation()
        guard retry else { return (last, 1) }
        let first = last
        // A profile that cannot be read allows the default retry; the check itself records why it is unreadable.
        let retries = (try? checkRunner(for: entry).runner.profile.queueRetries) ?? 1
        while retry, number <= retries {
            number += 1
            progress("\(entry.key): \(last.problem ?? "a boot deadline"); checking again on a fresh instance (retry \(number - 1) of \(retries))")
            // A retry checks the whole entry again: the first attempt's static phase may have been what failed.
            (last, retry) = if let fleet { try await attemptOnFleet(fleet, PreparedEntry(entry: entry), number: number) } else { await attempt(entry, number: number) }
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

    /// One attempt on the fleet's freest host. Where that host dropped
    /// mid-check (the attempt ended in an infrastructure error and the host
    /// no longer answers), the attempt does not count: the entry runs again
    /// on another host, and its record says so.
    func attemptOnFleet(_ fleet: Fleet, _ prepared: PreparedEntry, number: Int = 1, check: Int = 1) async throws -> (recorded: QueueHistory.Outcome, retry: Bool) {
        var dropped: [String] = []
        while true {
            let index: Int, host: any VirtualMachineHost
            do {
                (index, host) = try await fleet.acquire(avoiding: Set(dropped))
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // No healthy host left: this entry's record says so; the run goes on.
                let outcome = QueueHistory.Outcome(entry: prepared.entry, imageSize: Self.size(of: prepared.entry.image),
                                                   imageSHA256: prepared.digestBefore ?? "", failedWith: .infrastructure,
                                                   problem: "infrastructure error: \(error)")
                return (outcome, false)
            }
            let uri = await fleet.uri(index)
            assigned(prepared.entry.key, uri)
            progress("\(prepared.entry.key): on \(uri)")
            var outcome = await attempt(prepared.entry, number: number, prepared: prepared, host: host, check: check)
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
            progress("\(prepared.entry.key): \(uri) stopped answering; running the entry again on another host")
            dropped.append(uri)
        }
    }

    /// The check an entry asks for (its scenario, service ports, tier and
    /// profile), and the digests of that scenario and profile.
    func checkRunner(for entry: QueueManifest.Entry, host: (any VirtualMachineHost)? = nil) throws -> (runner: CheckRunner, profileDigest: String, scenarioDigest: String) {
        let host = host ?? self.host
        var scenario = try entry.scenario.map(Scenario.load(path:)) ?? .builtIn
        let profilePath = entry.profile ?? scenario.profile.map(scenario.resolve)
        if !entry.servicePorts.isEmpty { scenario.servicePorts = entry.servicePorts }
        if let tier = entry.tier { scenario.tier = tier }
        var profile = try profilePath.map(PlatformProfile.load(path:)) ?? .default
        profile.fastTier = profile.fastTier || entry.tier == "fast"
        var runner = CheckRunner(host: host, scenario: scenario, profile: profile)
        runner.language = language
        runner.boot = entry.boot
        runner.postMortem = postMortem
        runner.load = BootAdmission.loadFactor(jobs: jobs, cpusPerBoot: scenario.hardware.cpus)
        // The queue's own jobs share the machine: an entry's instances boot one after another.
        runner.instancesSideBySide = jobs == 1
        // An unreadable scenario fails the check itself, which records why.
        let scenarioDigest = entry.scenario.map { (try? FileDigest.sha256($0)) ?? "unreadable" } ?? "built-in"
        return (runner, try Self.digest(of: profile), scenarioDigest)
    }

    /// One check of an entry, never throwing: bad input is verdict `error`
    /// (exit 2); an infrastructure failure is `error` (exit 3), to retry.
    /// With a `prepared` static phase, only the boots are left to run.
    func attempt(_ entry: QueueManifest.Entry, number: Int, prepared: PreparedEntry? = nil,
                 host: (any VirtualMachineHost)? = nil, check: Int = 1) async -> (recorded: QueueHistory.Outcome, retry: Bool) {
        let started = ContinuousClock.now
        var outcome = QueueHistory.Outcome(entry: entry, imageSize: Self.size(of: entry.image), failedWith: .infrastructure)
        do {
            try beforeAttempt(entry.key, number)
            try entry.requireConfined()
            let (runner, profileDigest, scenarioDigest) = try checkRunner(for: entry, host: host)
            outcome.profileDigest = profileDigest
            outcome.scenarioDigest = scenarioDigest
            let report: CheckReport
            if let prepared, let image = prepared.image, let inspection = prepared.inspection {
                report = try await runner.run(image, inspected: inspection, digestBefore: prepared.digestBefore,
                                              digestAfterInspection: prepared.digestAfterInspection)
            } else {
                report = try await runner.run(entry.image)
            }
            outcome.imageSHA256 = report.image.sha256
            outcome.record(report.verdict)
            outcome.findings = report.findings
            outcome.timelines = Dictionary(report.instances.map { ($0.hostname, $0.timeline) }) { first, _ in first }
            if !report.instances.isEmpty {
                outcome.accelerator = report.accelerator
                outcome.hostVersions = await (host ?? self.host).versions()
            }
            outcome.software = CheckedSoftware(report)
            if !report.instances.isEmpty, let family = report.staticInspection?.facts.family,
               let budget = runner.profile.bootBudgetSeconds[family] {
                outcome.bootBudget = budget * report.accelerator.timeoutMultiplier
            }
            outcome.reportPath = try write(report, for: entry, check: check)
            outcome.consoleLogs = try writeConsoles(report, for: entry, check: check)
            outcome.seconds = (ContinuousClock.now - started).seconds
            let deadline = report.instances.first { $0.endedOnDeadline }
            if let deadline { outcome.problem = "boot of \(deadline.hostname) ended on a deadline: \(deadline.end)" }
            return (outcome, deadline != nil)
        } catch {
            let code = ImageGateError.code(of: error)
            outcome.record(code)
            outcome.problem = code == .badInput ? "\(error)" : "infrastructure error: \(error)"
        }
        outcome.seconds = (ContinuousClock.now - started).seconds
        // An unreadable image has no digest to record; the outcome says why.
        if outcome.imageSHA256.isEmpty, (try? entry.requireConfined()) != nil { outcome.imageSHA256 = (try? FileDigest.sha256(entry.image)) ?? "" }
        return (outcome, outcome.isInfrastructureError)
    }

    /// The entry's check report as JSON and HTML in the reports folder.
    private func write(_ report: CheckReport, for entry: QueueManifest.Entry, check: Int) throws -> String? {
        guard let reports else { return nil }
        return try ReportWriter.write(report, as: [.json, .html], into: Self.reportFolder(of: entry, in: reports, check: check))[.html]
    }

    private func writeConsoles(_ report: CheckReport, for entry: QueueManifest.Entry, check: Int) throws -> [String] {
        guard let reports else { return [] }
        let folder = Self.reportFolder(of: entry, in: reports, check: check)
        return try report.instances.map { instance in
            let path = folder + "/\(FileName.safe(instance.hostname))-console.log"
            try instance.consoleLog.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    /// An entry's own folder of reports: its key made a file name, and a
    /// digest of the key, so two keys the file name would merge (`a/b`,
    /// `a_b`) keep apart. A repeated entry's later checks each have a
    /// folder inside it (`check-2`, …).
    static func reportFolder(of entry: QueueManifest.Entry, in reports: String, check: Int = 1) -> String {
        reports + "/" + FileName.safe(entry.key) + "-" + Digest.sha256(entry.key).prefix(8) + (check > 1 ? "/check-\(check)" : "")
    }

    static func size(of path: String) -> Int64 {
        // A missing image has size 0; its check records why.
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// What the profile says, whatever file it came from.
    static func digest(of profile: PlatformProfile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Digest.sha256(Array(try encoder.encode(profile)))
    }
}

/// How many entries a queue checks at once: ``BootAdmission`` for the
/// largest boot among them.
public enum QueueAdmission {
    /// The jobs for a manifest: each boot reserves what its scenario's
    /// hardware asks (the largest among the entries); an entry checked
    /// statically only, one appliance (one vCPU, about 1 GiB).
    public static func automaticJobs(for manifest: QueueManifest) -> Int {
        var cpus = 1, memory = 1024
        for path in Set(manifest.entries.filter(\.boot).map(\.scenario)) {
            // A bad scenario is refused by its entry's own check; here the default hardware sizes the admission.
            let hardware = (path.flatMap { try? Scenario.load(path: $0) } ?? .builtIn).hardware
            cpus = max(cpus, hardware.cpus)
            memory = max(memory, hardware.memoryMiB)
        }
        return BootAdmission.jobs(memoryMiBPerBoot: memory, cpusPerBoot: cpus)
    }
}
