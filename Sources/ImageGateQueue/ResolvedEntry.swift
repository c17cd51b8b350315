import Foundation
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// A queue entry with what it names read once, when its run starts: the
/// scenario and profile (the entry's own service ports and tier applied),
/// the check they make, and their digests for carry-over. An entry whose
/// scenario or profile cannot be read keeps that error, and each of its
/// attempts records it.
struct ResolvedEntry: Sendable {
    var entry: QueueManifest.Entry
    var resolved: Result<Check, ImageGateError>

    struct Check: Sendable {
        /// The check on the run's own host (a fleet attempt changes the host only).
        var runner: CheckRunner
        var profileDigest: String
        var scenarioDigest: String
    }

    /// How the run checks each entry: its host, language and post-mortem,
    /// and how many entries it checks at once.
    struct Settings: Sendable {
        var host: any VirtualMachineHost
        var language: Language = .english
        var postMortem: BootOptions.PostMortemWhen = .onFailure
        var jobs = 1
    }

    init(_ entry: QueueManifest.Entry, _ settings: Settings) {
        self.entry = entry
        do {
            resolved = .success(try Self.check(entry, settings))
        } catch {
            resolved = .failure(error as? ImageGateError ?? ImageGateError(ImageGateError.code(of: error), "\(error)"))
        }
    }

    /// The check, or the error that stops it.
    func check() throws -> Check { try resolved.get() }

    /// The profile's retries for this entry; an entry whose profile cannot
    /// be read gets the default, and its check records why.
    var queueRetries: Int { (try? resolved.get())?.runner.profile.queueRetries ?? PlatformProfile.default.queueRetries }

    private static func check(_ entry: QueueManifest.Entry, _ settings: Settings) throws -> Check {
        var scenario = try entry.scenario.map(Scenario.load(path:)) ?? .builtIn
        let profilePath = entry.profile ?? scenario.profile.map(scenario.resolve)
        if !entry.servicePorts.isEmpty { scenario.servicePorts = entry.servicePorts }
        if let tier = entry.tier { scenario.tier = tier }
        var profile = try profilePath.map(PlatformProfile.load(path:)) ?? .default
        profile.fastTier = profile.fastTier || entry.tier == "fast"
        var runner = CheckRunner(host: settings.host, scenario: scenario, profile: profile)
        runner.language = settings.language
        runner.boot = entry.boot
        runner.options.postMortem = settings.postMortem
        runner.load = BootAdmission.loadFactor(jobs: settings.jobs, cpusPerBoot: scenario.hardware.cpus)
        // The queue's own jobs share the machine: an entry's instances boot one after another.
        runner.instancesSideBySide = settings.jobs == 1
        let scenarioDigest = try entry.scenario.map(FileDigest.sha256) ?? "built-in"
        return Check(runner: runner, profileDigest: try digest(of: profile), scenarioDigest: scenarioDigest)
    }

    /// What the profile says, whatever file it came from.
    static func digest(of profile: PlatformProfile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Digest.sha256(Array(try encoder.encode(profile)))
    }
}
