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
    public var artifacts: String?
    public var progress: @Sendable (String, FirstBoot.Event) -> Void = { _, _ in }
    public var today = Date()

    public init(host: any VirtualMachineHost, scenario: Scenario, profile: PlatformProfile) {
        self.host = host
        self.scenario = scenario
        self.profile = profile
    }

    public func run(_ path: String) async throws -> CheckReport {
        let started = ContinuousClock.now
        let image = try ImageFile.validate(path)
        let accelerator = try await AcceleratorProbe(host: host).chooseOnce().accelerator

        // Waivers: the profile's, plus the scenario's that have not expired.
        var profile = self.profile
        profile.fastTier = profile.fastTier || scenario.tier == "fast"
        let active = scenario.waivers.filter { $0.isActive(on: today) }
        profile.waivers += active.map { PlatformProfile.Waiver(rule: $0.rule, reason: $0.reason + ($0.expires.map { " (until \(Scenario.dateFormat.string(from: $0)))" } ?? "")) }

        progress("static", .note("inspecting \(image.path) read-only"))
        let inspection = try await StaticInspector(profile: profile, accelerator: accelerator).inspect(image)

        var boots: [BootResult] = []
        for (index, instance) in scenario.instances.enumerated() {
            var boot = FirstBoot(host: host)
            boot.keep = keep
            boot.artifacts = artifacts
            boot.servicePorts = scenario.servicePorts
            let label = instance.hostname
            boot.progress = { progress(label, $0) }
            let hardware = scenario.hardware, disk = Int64(scenario.dataDiskGiB[index]) << 30, timeout = scenario.bootTimeout
            boots.append(try await boot.run(image, instance: instance, accelerator: accelerator) { plan in
                plan.cpus = hardware.cpus
                plan.memoryMiB = hardware.memoryMiB
                plan.dataDiskBytes = disk
                if let timeout { plan.deadlines.cap(timeout * accelerator.timeoutMultiplier) }
            })
        }

        var findings = inspection.findings
        findings += Self.merge(boots)
        findings.append(Self.servicePorts(boots, declared: scenario.servicePorts))
        findings.append(Self.reinstance(boots))
        findings = findings.map { Self.waive($0, profile.waivers) }
        findings = language.localize(findings)
        let staticFindings = language.localize(inspection.findings)
        var localizedInspection = inspection
        localizedInspection.findings = staticFindings

        let instances = boots.map { boot -> CheckReport.Instance in
            let o = boot.observation
            // The offending lines: those cited by failures and warnings.
            let cited = Set(boot.findings.filter { $0.outcome == .fail || $0.outcome == .warning }
                .flatMap(\.evidence).filter { $0.path == BootRules.console }.compactMap(\.line))
            return CheckReport.Instance(
                hostname: o.instance.hostname, mac: o.instance.mac,
                address: o.instance.dhcp ? "dhcp" : "\(o.instance.ip)/\(o.instance.prefix) via \(o.instance.gateway)",
                findings: language.localize(boot.findings),
                timeline: Dictionary(uniqueKeysWithValues: o.console.stages.map { ($0.key.rawValue, $0.value.seconds) }),
                end: "\(o.end)", endedAt: o.endedAt, factsChannel: o.facts?.channel, servicePorts: boot.servicePorts,
                consoleLog: o.console.text, highlightedLines: cited.sorted())
        }
        let failed = findings.contains { $0.isFailure }
        return CheckReport(
            generatedAt: ISO8601DateFormatter().string(from: Date()), language: language.rawValue,
            image: .init(path: image.path, format: image.format, virtualSize: image.virtualSize, sha256: try Self.sha256(image.path)),
            scenario: .init(name: scenario.name, description: scenario.description, source: scenario.source),
            accelerator: accelerator, verdict: failed ? "fail" : "pass", staticInspection: localizedInspection,
            instances: instances, findings: findings, seconds: (ContinuousClock.now - started).seconds)
    }

    static func waive(_ finding: Finding, _ waivers: [PlatformProfile.Waiver]) -> Finding {
        var finding = finding
        if finding.waived == nil, finding.outcome == .fail || finding.outcome == .warning,
           let waiver = waivers.first(where: { $0.rule == finding.rule }) {
            finding.waived = waiver.reason
        }
        return finding
    }

    /// A boot rule fails if it fails on any instance (evidence tagged with
    /// the instance), is could-not-check if any instance could not check it.
    static func merge(_ boots: [BootResult]) -> [Finding] {
        BootRules.catalogue.map { rule in
            let per = boots.compactMap { boot in boot.finding(rule.id).map { (boot.plan.instance.hostname, $0) } }
            guard var merged = per.first?.1 else {
                return Finding(rule: rule.id, severity: .error, title: rule.title, outcome: .couldNotCheck, required: rule.required,
                               found: "no instance was booted", evidence: [])
            }
            if per.count == 1 { return merged }
            let worst = per.first { $0.1.outcome == .fail } ?? per.first { $0.1.outcome == .couldNotCheck } ?? per[0]
            merged = worst.1
            merged.found = per.map { "[\($0.0)] \($0.1.outcome.rawValue): \($0.1.found)" }.joined(separator: "; ")
            merged.evidence = per.flatMap { host, finding in
                finding.evidence.map { var e = $0; e.text = "[\(host)] " + e.text; return e }
            }
            return merged
        }
    }

    static let reinstanceRule = (
        title: "A second instance works too",
        required: "a second instance of the same image, with another hostname, IP and MAC, passes every boot rule; instances do not share SSH host keys or machine-id",
        fix: "Remove everything that ties the image to one instance: SSH host keys, /etc/machine-id, MAC-pinned or static network profiles, hostname pins (see the failing rules).")

    static func reinstance(_ boots: [BootResult]) -> Finding {
        func finding(_ outcome: Outcome, _ found: String, _ evidence: [Evidence] = []) -> Finding {
            Finding(rule: "BOOT-REINSTANCE", severity: .error, title: reinstanceRule.title, outcome: outcome,
                    required: reinstanceRule.required, found: found, evidence: evidence, fix: outcome == .fail ? reinstanceRule.fix : nil)
        }
        guard boots.count >= 2 else { return finding(.notApplicable, "the scenario boots one instance (Scenarios/reinstance.yaml boots two)") }
        var problems: [Evidence] = []
        for boot in boots {
            for f in boot.findings where f.outcome == .fail {
                problems.append(Evidence(path: boot.plan.instance.hostname, "\(f.rule) fails: \(f.found)"))
            }
        }
        let facts = boots.compactMap { boot in boot.observation.facts.map { (boot.plan.instance.hostname, $0) } }
        guard facts.count == boots.count else {
            return problems.isEmpty ? finding(.couldNotCheck, "not every instance reported its facts") : finding(.fail, "\(problems.count) boot rule failure(s)", problems)
        }
        for (field, key) in [("SSH host keys", \GuestFacts.hostKeys), ("machine-id", \GuestFacts.machineID)] {
            let values = facts.map { $0.1[keyPath: key] }
            if values.contains(where: \.isEmpty) {
                problems.append(Evidence("\(field): not readable on every instance"))
            } else if Set(values).count < values.count {
                problems.append(Evidence("\(field) shared by \(facts.map(\.0).joined(separator: " and ")): \(values[0].prefix(16))…"))
            }
        }
        let evidence = facts.map { Evidence(path: $0.0, "machine-id \($0.1.machineID.prefix(12))…, host keys \($0.1.hostKeys.prefix(12))…") }
        return problems.isEmpty ? finding(.pass, "\(boots.count) instances each passed, with their own host keys and machine-id", evidence)
            : finding(.fail, "\(problems.count) problem(s) across \(boots.count) instances", problems + evidence)
    }

    static let servicePortsRule = (
        title: "Declared service ports answer",
        required: "every service port the product declares accepts connections after first boot",
        fix: "Enable the product's services at boot (systemctl enable …), make them listen on all addresses, and open the ports in any firewall the image runs.")

    static func servicePorts(_ boots: [BootResult], declared: [Int]) -> Finding {
        func finding(_ outcome: Outcome, _ found: String, _ evidence: [Evidence] = []) -> Finding {
            Finding(rule: "BOOT-SERVICE-PORTS", severity: .error, title: servicePortsRule.title, outcome: outcome,
                    required: servicePortsRule.required, found: found, evidence: evidence, fix: outcome == .fail ? servicePortsRule.fix : nil)
        }
        guard !declared.isEmpty else { return finding(.notApplicable, "the scenario declares no service ports") }
        var evidence: [Evidence] = []
        var closed = 0, unprobed = 0
        for boot in boots {
            if boot.servicePorts.isEmpty { unprobed += 1 }
            for port in boot.servicePorts {
                if !port.accepted { closed += 1 }
                evidence.append(Evidence(path: boot.plan.instance.hostname, "port \(port.guestPort) (127.0.0.1:\(port.hostPort)): \(port.detail)"))
            }
        }
        if closed > 0 { return finding(.fail, "\(closed) declared port(s) did not accept connections", evidence) }
        if unprobed > 0 { return finding(.couldNotCheck, "the guest never came up far enough to probe its ports", evidence) }
        return finding(.pass, "ports \(declared.map(String.init).joined(separator: ", ")) accept connections", evidence)
    }

    static func sha256(_ path: String) throws -> String {
        let result = try Subprocess.run("sha256sum", [path])
        guard result.status == 0, let digest = result.stdout.split(separator: " ").first else {
            throw BootError.infrastructure("sha256sum \(path) failed")
        }
        return String(digest)
    }
}
