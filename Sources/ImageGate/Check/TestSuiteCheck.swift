import Foundation
import ImageGateBoot
import ImageGateInspection
import ImageGateModel

/// The whole check a vendor's own test suite makes (``GateRule``),
/// configured from the environment as `imagegate check` is from its
/// options: `IMAGEGATE_IMAGE` (default: the conformant fixture),
/// `IMAGEGATE_SCENARIO` (default: the built-in one-instance scenario),
/// `IMAGEGATE_PROFILE` (default: the scenario's, else the seller guide's),
/// `IMAGEGATE_CONNECT` (a libvirt URI; default the embedded driver),
/// `IMAGEGATE_ARTIFACTS` (where console logs go), and the report's
/// language from the locale.
public enum TestSuiteCheck {
    /// `scenario` wins over `IMAGEGATE_SCENARIO`.
    public static func check(_ path: String, scenario scenarioFile: String? = nil) async throws -> CheckReport {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let scenarioPath = scenarioFile ?? value("IMAGEGATE_SCENARIO")
        let scenario = try scenarioPath.map(Scenario.load(pathOrName:)) ?? .builtIn
        let profilePath = value("IMAGEGATE_PROFILE") ?? scenario.profile.map(scenario.resolve)
        let profile = try profilePath.map(PlatformProfile.load(path:)) ?? .default
        return try await LibvirtHost.with(value("IMAGEGATE_CONNECT")) { host in
            var runner = CheckRunner(host: host, scenario: scenario, profile: profile)
            runner.language = .fromEnvironment
            runner.options.artifacts = value("IMAGEGATE_ARTIFACTS")
            return try await runner.run(path)
        }
    }

    /// One rule of the whole gate — IMG, LNX or WIN, SEC and BOOT — as a
    /// vendor's test case names it.
    public struct Rule: Sendable, Equatable {
        public let id: String
        public let title: String
    }

    /// Every rule of the catalogue, static then boot, each once.
    public static var rules: [Rule] {
        var seen: Set<String> = []
        let rules = RuleCatalogue.all.map { Rule(id: $0.id, title: $0.title) } + BootRules.catalogue.map { Rule(id: $0.id, title: $0.title) }
        return rules.filter { seen.insert($0.id).inserted }
    }

    /// What a rule's test case says of a check.
    public enum Judgement: Sendable, Equatable {
        /// Passed, waived, or not one of this image's rules.
        case held
        /// A warning: shown, failing nothing.
        case warning(String)
        /// Failed, or an error rule that could not be checked.
        case failed(String)
    }

    /// As the verdict judges: a failed rule, or an error rule that could not
    /// be checked, fails; a warning, or a warning rule that could not be
    /// checked, warns; a waived rule holds, and so does a rule of another OS
    /// family (the check judges an image by its own family's rules only). A
    /// BOOT rule of a check whose boot phase did not run (a Windows image)
    /// warns with the reason: not run is not passed.
    public static func judgement(of rule: String, in report: CheckReport) -> Judgement {
        guard let finding = report.findings.first(where: { $0.rule == rule }) else {
            guard rules.contains(where: { $0.id == rule }) else { return .failed("\(rule): no such rule in the catalogue") }
            if rule.hasPrefix("BOOT-"), let reason = report.bootPhase {
                return .warning(TerminalText.sanitize("\(rule): not run: \(reason) (check of \(report.image.path): \(report.verdict.rawValue))"))
            }
            return .held
        }
        guard finding.waived == nil else { return .held }
        let message = failureMessage(finding, report: report)
        switch finding.outcome {
        case .pass, .info, .notApplicable: return .held
        case .warning: return .warning(message)
        case .couldNotCheck: return finding.severity == .error ? .failed(message) : .warning(message)
        case .fail: return .failed(message)
        }
    }

    /// The one check of `IMAGEGATE_IMAGE` a test process shares, per
    /// scenario file asked for: made by the first test that asks, awaited by
    /// the others. With `IMAGEGATE_ARTIFACTS` set, its JSON, JUnit (a test
    /// case per rule) and HTML reports are written there too (`check/`, or
    /// `check-SCENARIO/`).
    public static func shared(scenario: String? = nil) async throws -> CheckReport {
        try await SharedChecks.shared.report(scenario: scenario)
    }

    /// What a rule that did not hold says in a test's failure: required,
    /// found, evidence, fix, and which check.
    public static func failureMessage(_ finding: Finding, report: CheckReport) -> String {
        var text = "\(finding.rule) \(finding.title) [\(finding.outcome.rawValue)]\n  required: \(finding.required)\n  found:    \(finding.found)\n"
        text += finding.evidence.prefix(10).map { "    at \($0)\n" }.joined()
        if let fix = finding.fix { text += "  fix:      \(fix)\n" }
        text += "  (check of \(report.image.path): \(report.verdict.rawValue))"
        return TerminalText.sanitize(text)
    }
}

/// The checks of one test process, one per scenario file.
private actor SharedChecks {
    static let shared = SharedChecks()
    private var tasks: [String?: Task<CheckReport, Error>] = [:]

    func report(scenario: String?) async throws -> CheckReport {
        if let task = tasks[scenario] { return try await task.value }
        let task = Task {
            let report = try await TestSuiteCheck.check(TestSuiteBoot.imagePath, scenario: scenario)
            if let folder = ProcessInfo.processInfo.environment["IMAGEGATE_ARTIFACTS"], !folder.isEmpty {
                let name = scenario.map { "check-" + URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "check"
                try ReportWriter.write(report, as: [.json, .junit, .html], into: folder + "/" + name)
            }
            return report
        }
        tasks[scenario] = task
        return try await task.value
    }
}
