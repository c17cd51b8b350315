import Foundation

/// `imagegate queue run`: every entry of a manifest checked (static
/// inspection, then the scenario's boots unless `boot: false`), each
/// recorded in the history the moment it is done, several at once as far
/// as the host allows. A run that was killed is continued with `resume`,
/// skipping what it recorded. An entry that ends in an infrastructure error
/// or a boot deadline is checked once more on a fresh instance; a different
/// verdict the second time is recorded as flaky, with both verdicts.
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
    /// entry's key and the attempt number (1 or 2); a thrown error is that
    /// attempt's outcome.
    public var beforeAttempt: @Sendable (String, Int) throws -> Void = { _, _ in }

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
        public var status: String
    }

    /// Runs the manifest; with `resume`, continues its last unfinished run.
    public func run(resume: Bool) async throws -> Summary {
        let runID: Int64
        var done = Set<String>()
        if resume, let unfinished = try history.unfinishedRun(of: manifest.source) {
            runID = unfinished.id
            done = Set(try history.entries(run: runID).map(\.key))
            progress("resuming run \(runID): \(done.count) of \(manifest.entries.count) entries already recorded")
        } else {
            runID = try history.startRun(manifest)
            progress("run \(runID): \(manifest.entries.count) entries, \(jobs) at a time")
        }
        let pending = manifest.entries.filter { !done.contains($0.key) }
        let id = runID, runner = self
        var checked = 0
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = pending.makeIterator()
                func admit() -> Bool {
                    guard !Task.isCancelled, let entry = next.next() else { return false }
                    group.addTask { try await runner.checkAndRecord(entry, run: id) }
                    return true
                }
                for _ in 0..<max(1, jobs) where !admit() { break }
                while try await group.next() != nil {
                    checked += 1
                    _ = admit()
                }
            }
            try Task.checkCancellation()
        } catch {
            Teardown.attempt("recording run \(runID) as interrupted") { try history.endRun(runID, status: "interrupted") }
            throw error
        }
        try history.endRun(runID, status: "finished")
        return Summary(runID: runID, checked: checked, skipped: done.count, status: "finished")
    }

    /// One entry: checked (twice where the first attempt may have been the
    /// host's fault), then recorded.
    func checkAndRecord(_ entry: QueueManifest.Entry, run: Int64) async throws {
        progress("\(entry.key): checking")
        var outcome = await attempt(entry, number: 1)
        try Task.checkCancellation()
        if outcome.retry {
            progress("\(entry.key): \(outcome.recorded.problem ?? "a boot deadline"); checking again on a fresh instance")
            let second = await attempt(entry, number: 2)
            try Task.checkCancellation()
            if second.recorded.verdict != outcome.recorded.verdict {
                var flaky = second.recorded
                flaky.flakyFirstVerdict = outcome.recorded.verdict
                let first = outcome.recorded.problem.map { " (\($0))" } ?? ""
                flaky.problem = "flaky: \(outcome.recorded.verdict)\(first) then \(second.recorded.verdict)" + (second.recorded.problem.map { " (\($0))" } ?? "")
                outcome = (flaky, false)
            } else {
                outcome = second
            }
        }
        try history.record(outcome.recorded, run: run)
        progress("\(entry.key): \(outcome.recorded.verdict.uppercased())\(outcome.recorded.flakyFirstVerdict != nil ? " (flaky)" : "")")
    }

    /// One check of an entry, never throwing: bad input is verdict `error`
    /// (exit 2); an infrastructure failure is `error` (exit 3), to retry.
    func attempt(_ entry: QueueManifest.Entry, number: Int) async -> (recorded: QueueHistory.Outcome, retry: Bool) {
        let started = ContinuousClock.now
        var outcome = QueueHistory.Outcome(entry: entry, imageSize: Self.size(of: entry.image), imageSHA256: "", profileDigest: "",
                                           scenarioDigest: "", verdict: "error", exitCode: 3, seconds: 0, timelines: [:],
                                           consoleLogs: [], findings: [])
        do {
            try beforeAttempt(entry.key, number)
            let scenario = try entry.scenario.map(Scenario.load(path:)) ?? .builtIn
            var scenarioWithPorts = scenario
            if !entry.servicePorts.isEmpty { scenarioWithPorts.servicePorts = entry.servicePorts }
            if let tier = entry.tier { scenarioWithPorts.tier = tier }
            let profilePath = entry.profile ?? scenario.profile.map { Self.relative($0, to: scenario.source) }
            var profile = try profilePath.map(PlatformProfile.load(path:)) ?? .default
            profile.fastTier = profile.fastTier || entry.tier == "fast"
            outcome.profileDigest = try Self.digest(of: profile)
            outcome.scenarioDigest = entry.scenario.map { (try? FileDigest.sha256($0)) ?? "unreadable" } ?? "built-in"
            var runner = CheckRunner(host: host, scenario: scenarioWithPorts, profile: profile)
            runner.language = language
            runner.boot = entry.boot
            let report = try await runner.run(entry.image)
            outcome.imageSHA256 = report.image.sha256
            outcome.verdict = report.verdict.rawValue
            outcome.exitCode = report.verdict == .pass ? 0 : report.verdict == .fail ? 1 : 4
            outcome.findings = report.findings
            outcome.timelines = Dictionary(report.instances.map { ($0.hostname, $0.timeline) }) { first, _ in first }
            outcome.reportPath = try write(report, for: entry)
            outcome.consoleLogs = try writeConsoles(report, for: entry)
            outcome.seconds = (ContinuousClock.now - started).seconds
            let deadline = report.instances.first { $0.endedOnDeadline }
            if let deadline { outcome.problem = "boot of \(deadline.hostname) ended on a deadline: \(deadline.end)" }
            return (outcome, deadline != nil && number == 1)
        } catch let error as InputError {
            outcome.verdict = "error"
            outcome.exitCode = 2
            outcome.problem = error.message
        } catch {
            outcome.verdict = "error"
            outcome.exitCode = 3
            outcome.problem = "infrastructure error: \(error)"
        }
        outcome.seconds = (ContinuousClock.now - started).seconds
        if outcome.imageSHA256.isEmpty { outcome.imageSHA256 = (try? FileDigest.sha256(entry.image)) ?? "" }
        return (outcome, outcome.exitCode == 3 && number == 1)
    }

    /// The entry's check report as JSON and HTML in the reports folder.
    private func write(_ report: CheckReport, for entry: QueueManifest.Entry) throws -> String? {
        guard let reports else { return nil }
        let folder = reports + "/" + Self.fileName(entry.key)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try report.json().write(toFile: folder + "/report.json", atomically: true, encoding: .utf8)
        try HTMLReport.render(report).write(toFile: folder + "/report.html", atomically: true, encoding: .utf8)
        return folder + "/report.html"
    }

    private func writeConsoles(_ report: CheckReport, for entry: QueueManifest.Entry) throws -> [String] {
        guard let reports else { return [] }
        let folder = reports + "/" + Self.fileName(entry.key)
        return try report.instances.map { instance in
            let path = folder + "/\(Self.fileName(instance.hostname))-console.log"
            try instance.consoleLog.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    /// A key as a file name: letters, digits, `-`, `_` and `.`; the rest `_`.
    static func fileName(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.map {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) ? $0 : "_"
        }))
    }

    static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func relative(_ path: String, to source: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: source).deletingLastPathComponent().path + "/" + path
    }

    /// What the profile says, whatever file it came from.
    static func digest(of profile: PlatformProfile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Digest.sha256(Array(try encoder.encode(profile)))
    }
}

/// How many entries a queue checks at once: what the host's CPUs and free
/// memory allow (read from `/proc/meminfo`, not assumed), each boot
/// reserving its vCPUs' worth of a core and its memory plus QEMU's overhead.
public enum QueueAdmission {
    public static func automaticJobs(memoryMiBPerBoot: Int = 1024, cpusPerBoot: Int = 1) -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let free = availableMemoryMiB() ?? memoryMiBPerBoot
        let byMemory = free / (memoryMiBPerBoot + 512)
        return max(1, min(cores / max(1, cpusPerBoot), byMemory))
    }

    /// `MemAvailable` in MiB.
    static func availableMemoryMiB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return kib.map { $0 / 1024 }
        }
        return nil
    }
}
