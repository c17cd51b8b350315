import Foundation
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// One `imagegate check`: static inspection, each instance's first boot,
/// and the combined verdict. Every report (JSON, JUnit, HTML) is rendered
/// from this one model.
public struct CheckReport: Sendable, Codable {
    public struct Image: Sendable, Codable {
        public var path: String
        public var format: String
        public var virtualSize: Int64
        /// Taken before anything opened the candidate.
        public var sha256: String
        /// Taken after everything: equal, or the check ended in an error.
        public var sha256After: String
    }

    public struct ScenarioInfo: Sendable, Codable {
        public var name: String
        public var description: String
        public var source: String
    }

    /// One instance's boot.
    public struct Instance: Sendable, Codable {
        public var hostname: String
        public var mac: String
        public var address: String
        public var findings: [Finding]
        /// Seconds from VM start at which each stage was first seen.
        public var timeline: [String: Double]
        public var end: String
        /// The watch ended on a deadline (a stage not reached in time):
        /// the queue retries such a boot once.
        public var endedOnDeadline: Bool
        public var endedAt: Double
        public var factsChannel: String?
        public var servicePorts: [ServicePortProbe.Result]
        public var consoleLog: String
        /// Console lines (1-based) that evidence cites.
        public var highlightedLines: [Int]
        /// What the guest wrote, read from its disk after it stopped.
        public var postMortem: PostMortem?
        /// Per BOOT rule that did not pass, the guest's lines that explain it.
        public var diagnosis: [Diagnosis]?
        /// The failure classes the console showed, the one that ended the boot first.
        public var failures: [BootFailure]?
        /// What the probe reported, over whichever channel.
        public var facts: GuestFacts?
        /// The live domain XML libvirt ran, and the seed's files: the plan
        /// as it was, for a bundle.
        public var domainXML: String?
        public var seedFiles: [String: String]?
        public var instanceID: String?
        /// The boot after the scenario's reboot step: why its watch ended,
        /// and when each stage was seen (seconds from the reboot).
        public var afterReboot: Reboot?
        /// The VM left running for support (`--keep-running`).
        public var keptRun: KeptRun?

        public struct Reboot: Sendable, Codable {
            public var end: String
            public var factsChannel: String?
            public var timeline: [String: Double]
        }

        public init(boot: BootResult, language: Language) {
            let o = boot.observation
            hostname = o.instance.hostname
            mac = o.instance.mac
            address = o.instance.dhcp ? "dhcp" : "\(o.instance.ip)/\(o.instance.prefix) via \(o.instance.gateway)"
            findings = language.localize(boot.findings, chinese: RuleCatalogue.chineseWithBoot)
            timeline = Dictionary(uniqueKeysWithValues: o.console.stages.map { ($0.key.rawValue, $0.value.seconds) })
            end = "\(o.end)"
            switch o.end {
            case .deadline, .overallTimeout, .noFacts, .cloudInitSilent: endedOnDeadline = true
            default: endedOnDeadline = false
            }
            endedAt = o.endedAt
            factsChannel = o.facts?.channel
            servicePorts = boot.servicePorts
            consoleLog = boot.consoleText
            if let again = boot.afterReboot {
                afterReboot = Reboot(end: "\(again.end)", factsChannel: again.facts?.channel,
                                     timeline: Dictionary(uniqueKeysWithValues: again.console.stages.map { ($0.key.rawValue, $0.value.seconds) }))
            }
            keptRun = boot.keptRun
            postMortem = boot.postMortem
            diagnosis = boot.postMortem.map { Diagnosis.diagnose(boot.findings, from: $0) }
            let named = BootFailure.named(in: o.console, end: o.end)
            failures = named.isEmpty ? nil : named
            facts = o.facts
            domainXML = boot.domainXML
            seedFiles = boot.seedFiles
            instanceID = o.instance.instanceID
            // The offending lines: those cited by failures and warnings.
            highlightedLines = Set(boot.findings.filter { $0.outcome == .fail || $0.outcome == .warning }
                .flatMap(\.evidence).filter { $0.path == BootRules.console }.compactMap(\.line)).sorted()
        }
    }

    public var schema = "imagegate-check"
    public var schemaVersion = 1
    public var tool = "imagegate \(ImageGateVersion.current)"
    /// The git commit ImageGate was built from (``ImageGateVersion/commit``);
    /// nil in a report written before reports carried it.
    public var commit: String? = ImageGateVersion.commit
    /// The rule catalogue the verdict was judged by (``RuleCatalogue/digest``);
    /// nil in a report written before reports carried it.
    public var catalogueDigest: String? = RuleCatalogue.digest
    public var generatedAt: String
    public var language: String
    public var image: Image
    public var scenario: ScenarioInfo
    public var accelerator: Accelerator
    public var verdict: GateVerdict
    public var staticInspection: InspectionResult?
    public var instances: [Instance]
    /// Why the boot phase did not run; nil when it ran.
    public var bootPhase: String?
    /// Every rule's combined result: static rules, then boot rules merged
    /// across instances, BOOT-SERVICE-PORTS and BOOT-REINSTANCE.
    public var findings: [Finding]
    public var seconds: Double

    public var failed: Bool { verdict == .fail }

    /// The report of a static inspection alone (`imagegate inspect`).
    public static func inspection(_ result: InspectionResult, language: Language) -> CheckReport {
        let localized = result.localized(language)
        return CheckReport(
            generatedAt: ISO8601DateFormatter().string(from: Date()), language: language.rawValue,
            image: .init(path: result.image.path, format: result.image.format, virtualSize: result.image.virtualSize,
                         sha256: result.digest?.before ?? "", sha256After: result.digest?.after ?? ""),
            scenario: .init(name: "inspect", description: "static inspection, no boot", source: "imagegate inspect"),
            accelerator: result.accelerator, verdict: GateVerdict(result.findings), staticInspection: localized,
            instances: [], findings: localized.findings, seconds: result.seconds)
    }

    /// The report of one first boot alone (`imagegate boot`).
    public static func boot(_ result: BootResult, digest: CandidateDigest?, accelerator: Accelerator, language: Language) -> CheckReport {
        let findings = language.localize(result.findings, chinese: RuleCatalogue.chineseWithBoot)
        let image = result.plan.image
        return CheckReport(
            generatedAt: ISO8601DateFormatter().string(from: Date()), language: language.rawValue,
            image: .init(path: image.path, format: image.format, virtualSize: image.virtualSize,
                         sha256: digest?.before ?? "", sha256After: digest?.after ?? ""),
            scenario: .init(name: "boot", description: "one first boot as a new instance", source: "imagegate boot"),
            accelerator: accelerator, verdict: GateVerdict(result.findings), staticInspection: nil,
            instances: [Instance(boot: result, language: language)], findings: findings, seconds: result.observation.endedAt)
    }

    public func json() throws -> String {
        String(decoding: try JSONEncoder.report.encode(self), as: UTF8.self)
    }
}
