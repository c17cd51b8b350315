import Foundation

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
        let scenario = try scenarioPath.map(Scenario.load(path:)) ?? .builtIn
        let profilePath = value("IMAGEGATE_PROFILE") ?? scenario.profile.map(scenario.resolve)
        let profile = try profilePath.map(PlatformProfile.load(path:)) ?? .default
        return try await LibvirtHost.with(value("IMAGEGATE_CONNECT")) { host in
            var runner = CheckRunner(host: host, scenario: scenario, profile: profile)
            runner.language = .fromEnvironment
            runner.artifacts = value("IMAGEGATE_ARTIFACTS")
            return try await runner.run(path)
        }
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
