import Foundation

/// `imagegate check`: static inspection of the pristine image first, then
/// each scenario instance's first boot, then the rules only several boots
/// or declared ports can judge; one combined verdict.
public struct CheckRunner: Sendable {
    public var host: any VirtualMachineHost
    public var scenario: Scenario
    public var profile: PlatformProfile
    public var language: Language = .english
    public var keep = false
    /// Leave each booted VM running after the verdict (``KeptRun``).
    public var keepRunning = false
    /// When each boot's stopped disk is read for a Diagnosis.
    public var postMortem: FirstBoot.PostMortemWhen = .onFailure
    /// false: static inspection only; every BOOT rule is "could not check".
    public var boot = true
    public var artifacts: String?
    /// How much slower than alone each boot may run because of the load
    /// the caller itself puts on the host (``QueueAdmission/loadFactor(jobs:cpusPerBoot:cores:)``):
    /// every boot deadline is stretched by it.
    public var load = 1.0
    public var progress: @Sendable (String, FirstBoot.Event) -> Void = { _, _ in }
    public var today = Date()

    public init(host: any VirtualMachineHost, scenario: Scenario, profile: PlatformProfile) {
        self.host = host
        self.scenario = scenario
        self.profile = profile
    }

    /// The whole check between two digests of the candidate: a candidate
    /// that changed meanwhile ends the run (``CandidateDigest``).
    public func run(_ path: String) async throws -> CheckReport {
        for (index, gib) in scenario.dataDiskGiB.enumerated() where Int64(gib) << 30 > profile.limits.dataDiskBytes {
            throw ImageGateError.badInput("\(scenario.source): instance \(index + 1): data disk of \(gib) GiB is above the limit of \(GateLimits.describe(profile.limits.dataDiskBytes)) (profile limits: max_data_disk_gib)")
        }
        return try await run(try await ImageFile.validate(path, limits: profile.limits))
    }

    /// The check of an image already validated. `inspected` is its static
    /// phase where it was done already (``StaticBatch``, with this runner's
    /// profile), `digestBefore` the candidate's digest taken before it and
    /// `digestAfterInspection` after it: the closing digest where nothing
    /// was booted (nothing read the candidate since).
    public func run(_ image: ImageFile, inspected: InspectionResult? = nil, digestBefore: String? = nil,
                    digestAfterInspection: String? = nil) async throws -> CheckReport {
        var (report, digest) = try await CandidateDigest.verifying(image, before: digestBefore, after: { $0.instances.isEmpty ? digestAfterInspection : nil }) {
            try await runUnverified(image, inspected: inspected)
        }
        report.image.sha256 = digest.before
        report.image.sha256After = digest.after
        return report
    }

    /// The profile with the scenario's tier and its active waivers.
    public var effectiveProfile: PlatformProfile {
        var profile = self.profile
        profile.fastTier = profile.fastTier || scenario.tier == "fast"
        let active = scenario.waivers.filter { $0.isActive(on: today) }
        profile.waivers += active.map { PlatformProfile.Waiver(rule: $0.rule, reason: $0.reason + ($0.expires.map { " (until \(Scenario.dateFormat.string(from: $0)))" } ?? "")) }
        return profile
    }

    private func runUnverified(_ image: ImageFile, inspected: InspectionResult?) async throws -> CheckReport {
        let started = ContinuousClock.now
        let accelerator = try await AcceleratorProbe(host: host).chooseOnce().accelerator

        // Waivers: the profile's, plus the scenario's that have not expired.
        let profile = effectiveProfile
        var inspection: InspectionResult
        if let inspected {
            inspection = inspected
        } else {
            progress("static", .note("inspecting \(image.path) read-only"))
            // What a crashed run left in the scratch and run folders goes first.
            LeftoverReaper().reapProcessesAndFolders()
            inspection = try await StaticInspector(profile: profile, accelerator: accelerator).inspect(image)
        }
        inspection.findings = inspection.findings.map { Self.checkOSFamily($0, declared: scenario.osFamily, found: inspection.facts) }
        // Only an image that holds one OS ImageGate has boot rules for is booted.
        let os = inspection.findings.first { $0.rule == ImageRules.operatingSystem.id }
        let windows = inspection.facts.family == "windows"
        let notBooted: String?
        if !boot {
            notBooted = "not booted: static inspection only was asked for"
        } else if let os, os.outcome != .pass {
            notBooted = "not booted: \(os.rule) \(os.outcome.rawValue): \(os.found)"
        } else if windows {
            notBooted = language.label(.windowsNotBooted)
        } else {
            notBooted = nil
        }

        var boots: [BootResult] = []
        for (index, instance) in scenario.instances.enumerated() where notBooted == nil {
            var request = BootRequest(scenario, instance: index)
            request.keep = keep
            request.keepRunning = keepRunning
            request.postMortem = postMortem
            request.artifacts = artifacts
            request.limits = profile.limits
            request.load = load
            let label = instance.hostname
            request.progress = { progress(label, $0) }
            boots.append(try await request.run(image, on: host, accelerator: accelerator))
        }

        var findings = inspection.findings
        // The BOOT rules judge a Linux guest's first boot: a Windows image
        // gets none of them (its boot-only rule is WIN-NO-DYNAMIC-ID).
        if !windows {
            findings = BootRules.judge(boots, staticFindings: findings, notBooted: notBooted ?? "no instance was booted",
                                       declaredPorts: scenario.servicePorts)
        }
        findings = findings.map { Self.waive($0, profile.waivers) }
        findings = language.localize(findings, chinese: RuleCatalogue.chineseWithBoot)
        let localizedInspection = inspection.localized(language)

        let instances = boots.map { CheckReport.Instance(boot: $0, language: language) }
        var report = CheckReport(
            generatedAt: ISO8601DateFormatter().string(from: Date()), language: language.rawValue,
            image: .init(path: image.path, format: image.format, virtualSize: image.virtualSize, sha256: "", sha256After: ""),
            scenario: .init(name: scenario.name, description: scenario.description, source: scenario.source),
            accelerator: accelerator, verdict: GateVerdict(findings), staticInspection: localizedInspection,
            instances: instances, findings: findings, seconds: (ContinuousClock.now - started).seconds)
        report.bootPhase = notBooted
        return report
    }

    /// IMG-OS also fails when the scenario declares another OS family than
    /// the image holds.
    static func checkOSFamily(_ finding: Finding, declared: String, found facts: OSFacts) -> Finding {
        guard finding.rule == ImageRules.operatingSystem.id, facts.family != declared, finding.outcome != .fail else { return finding }
        var changed = finding
        changed.outcome = .fail
        changed.found = "the scenario declares os_family \(declared), but the image holds \(facts.family) (\(facts.productName))"
        changed.fix = ImageRules.operatingSystem.fix
        return changed
    }

    static func waive(_ finding: Finding, _ waivers: [PlatformProfile.Waiver]) -> Finding {
        var finding = finding
        if finding.waived == nil, finding.outcome.isWaivable,
           let waiver = waivers.first(where: { $0.rule == finding.rule }) {
            finding.waived = waiver.reason
        }
        return finding
    }

}
