import Foundation
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// `imagegate check`: static inspection of the pristine image with the
/// scenario's instances booting beside it (as many at once as the host
/// admits; kept only if the image is one to boot), then the rest of them,
/// then the rules only several boots or declared ports can judge; one
/// combined verdict.
public struct CheckRunner: Sendable {
    public var host: any VirtualMachineHost
    public var scenario: Scenario
    public var profile: PlatformProfile
    public var language: Language = .english
    /// What each boot keeps and reads after its verdict.
    public var options = BootOptions()
    /// false: static inspection only; every BOOT rule is "could not check".
    public var boot = true
    /// How much slower than alone each boot may run because of the load
    /// the caller itself puts on the host (``BootAdmission/loadFactor(jobs:cpusPerBoot:besideAnAppliance:cores:)``):
    /// every boot deadline is stretched by it.
    public var load = 1.0
    /// Boot the scenario's instances side by side where ``BootAdmission``
    /// allows; false where the caller already runs several checks at once.
    public var instancesSideBySide = true
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
        var notBooted: String?
        var boots: [Int: BootResult] = [:]
        let admission = boot ? try await admitted() : (atOnce: 1, besideTheAppliance: 0)
        let atOnce = max(1, admission.atOnce), count = boot ? scenario.instances.count : 0
        // The instances in the groups that boot side by side.
        let batches = stride(from: 0, to: count, by: atOnce).map { Array($0..<min($0 + atOnce, count)) }
        if inspected == nil {
            // What a crashed run left in the scratch and run folders goes first.
            LeftoverReaper().reapProcessesAndFolders()
        }
        // Of the first batch, what fits beside the static phase's appliance
        // (one vCPU, 1 GiB) boots while that phase runs, each boot cleared
        // to finish once the phase finds an image to boot; the rest of the
        // batch as soon as it ends.
        let firstBatch = batches.first ?? []
        let beside = inspected == nil ? Array(firstBatch.prefix(admission.besideTheAppliance)) : []
        let inspection = try await withThrowingTaskGroup(of: (Int, BootResult).self, returning: InspectionResult.self) { group in
            var clearances: [BootClearance] = []
            for index in beside {
                var request = bootRequest(index, profile: profile, sharing: beside.count, besideTheAppliance: true)
                let clearance = BootClearance()
                request.clearance = clearance
                clearances.append(clearance)
                group.addTask { [host] in (index, try await request.run(image, on: host, accelerator: accelerator)) }
            }
            var inspection: InspectionResult
            do {
                if let inspected {
                    inspection = inspected
                } else {
                    progress("static", .note("inspecting \(image.path) read-only"))
                    inspection = try await StaticInspector(profile: profile, accelerator: accelerator).inspect(image)
                }
            } catch {
                clearances.forEach { $0.abandon() }
                throw error
            }
            inspection.findings = inspection.findings.map { Self.checkOSFamily($0, declared: scenario.osFamily, found: inspection.facts) }
            notBooted = notBootedReason(inspection)
            if notBooted != nil {
                clearances.forEach { $0.abandon() }
                group.cancelAll()
                // What a boot that should not have begun threw is not the check's.
                for _ in clearances { _ = try? await group.next() }
                return inspection
            }
            clearances.forEach { $0.clear() }
            for index in firstBatch.dropFirst(beside.count) {
                let request = bootRequest(index, profile: profile, sharing: firstBatch.count)
                group.addTask { [host] in (index, try await request.run(image, on: host, accelerator: accelerator)) }
            }
            for try await (index, result) in group { boots[index] = result }
            return inspection
        }
        for batch in batches.dropFirst() where notBooted == nil {
            try await withThrowingTaskGroup(of: (Int, BootResult).self) { group in
                for index in batch {
                    let request = bootRequest(index, profile: profile, sharing: batch.count)
                    group.addTask { [host] in (index, try await request.run(image, on: host, accelerator: accelerator)) }
                }
                for try await (index, result) in group { boots[index] = result }
            }
        }
        let windows = inspection.facts.family == "windows"

        var findings = inspection.findings
        // The BOOT rules judge a Linux guest's first boot: a Windows image
        // gets none of them (its boot-only rule is WIN-NO-DYNAMIC-ID).
        let ordered = boots.sorted { $0.key < $1.key }.map(\.value)
        if !windows {
            findings = BootRules.judge(ordered, staticFindings: findings, notBooted: notBooted ?? "no instance was booted",
                                       declaredPorts: scenario.servicePorts)
        }
        findings = findings.map { Self.waive($0, profile.waivers) }
        findings = language.localize(findings, chinese: RuleCatalogue.chineseWithBoot)
        let localizedInspection = inspection.localized(language)

        let instances = ordered.map { CheckReport.Instance(boot: $0, language: language) }
        var report = CheckReport(
            generatedAt: ISO8601DateFormatter().string(from: Date()), language: language.rawValue,
            image: .init(path: image.path, format: image.format, virtualSize: image.virtualSize, sha256: "", sha256After: ""),
            scenario: .init(name: scenario.name, description: scenario.description, source: scenario.source),
            accelerator: accelerator, verdict: GateVerdict(findings), staticInspection: localizedInspection,
            instances: instances, findings: findings, seconds: (ContinuousClock.now - started).seconds)
        report.bootPhase = notBooted
        return report
    }

    /// Why the image is not booted, if it is not: only an image that holds
    /// one OS ImageGate has boot rules for is.
    private func notBootedReason(_ inspection: InspectionResult) -> String? {
        let os = inspection.findings.first { $0.rule == ImageRules.operatingSystem.id }
        if !boot { return "not booted: static inspection only was asked for" }
        if let os, os.outcome != .pass { return "not booted: \(os.rule) \(os.outcome.rawValue): \(os.found)" }
        if inspection.facts.family == "windows" { return language.label(.windowsNotBooted) }
        return nil
    }

    /// How many instances boot at once, alone and beside the static
    /// phase's appliance (one vCPU and 1 GiB held for it; none beside it
    /// when the memory is not there): as ``BootAdmission`` lets this
    /// machine run them, a remote host as its capacity allows; one (or
    /// none beside) unless side by side.
    private func admitted() async throws -> (atOnce: Int, besideTheAppliance: Int) {
        let hardware = scenario.hardware
        guard LibvirtHost.isEmbedded(host.uri) else {
            let capacity = instancesSideBySide ? try await host.bootCapacity() : 1
            return (capacity, capacity)
        }
        let alone = BootAdmission.jobs(memoryMiBPerBoot: hardware.memoryMiB, cpusPerBoot: hardware.cpus)
        let beside = BootAdmission.jobs(memoryMiBPerBoot: hardware.memoryMiB, cpusPerBoot: hardware.cpus, besideAnAppliance: true)
        return instancesSideBySide ? (alone, beside) : (1, min(beside, 1))
    }

    /// Instance `index`'s boot, as this check asks for it, its deadlines
    /// stretched for `sharing` boots on the host at once, and the static
    /// phase's appliance if it boots beside it.
    private func bootRequest(_ index: Int, profile: PlatformProfile, sharing: Int, besideTheAppliance: Bool = false) -> BootRequest {
        var request = BootRequest(scenario, instance: index)
        request.options = options
        request.limits = profile.limits
        request.load = load * BootAdmission.loadFactor(jobs: sharing, cpusPerBoot: scenario.hardware.cpus, besideAnAppliance: besideTheAppliance)
        let label = scenario.instances[index].hostname
        request.progress = { progress(label, $0) }
        return request
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
