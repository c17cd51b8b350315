import Foundation
import ImageGateInspection
import ImageGateModel

/// Human and JSON renderings of an ``InspectionResult``.
public enum InspectionReport {
    /// The JSON schema version; bumped on any incompatible change.
    public static let schemaVersion = 1

    /// Documented, stable JSON (docs/rules.md).
    public static func json(_ result: InspectionResult) throws -> String {
        struct Document: Encodable {
            var schema: String
            var schemaVersion: Int
            var tool: String
            var commit: String
            var catalogueDigest: String
            var verdict: String
            var summary: [String: Int]
            var result: InspectionResult
        }
        var summary: [String: Int] = [:]
        for finding in result.findings { summary[finding.outcome.rawValue, default: 0] += 1 }
        let document = Document(schema: "imagegate-inspection", schemaVersion: schemaVersion,
                                tool: "imagegate \(ImageGateVersion.current)", commit: ImageGateVersion.commit,
                                catalogueDigest: RuleCatalogue.digest, verdict: result.verdict.rawValue,
                                summary: summary, result: result)
        return String(decoding: try JSONEncoder.report.encode(document), as: UTF8.self)
    }

    /// Findings for a terminal: failures (errors), warnings, each with what
    /// was required, what was found, where, and the fix; then what could not
    /// be checked; then the rules that passed.
    public static func findingsText(_ findings: [Finding], language: Language = .english) -> String {
        let l = language
        var out = ""
        func block(_ finding: Finding, mark: String) {
            out += "\(mark) \(finding.rule) [\(finding.severity.rawValue)] \(finding.title)\n"
            out += "    \(l.label(.required)): \(finding.required)\n"
            // What was found and where are the image's or the guest's text: one line each.
            out += "    \(l.label(.found)): \(TerminalText.line(finding.found))\n"
            for evidence in finding.evidence.prefix(12) { out += "      at \(TerminalText.line(evidence.description))\n" }
            if finding.evidence.count > 12 { out += "      … \(finding.evidence.count - 12) more\n" }
            if let fix = finding.fix { out += "    \(l.label(.fix)): \(fix)\n" }
            if let waived = finding.waived { out += "    \(l.label(.waived)): \(waived)\n" }
        }
        let failures = findings.filter { $0.outcome == .fail }
        let warnings = findings.filter { $0.outcome == .warning }
        let infos = findings.filter { $0.outcome == .info }
        let unchecked = findings.filter { $0.outcome == .couldNotCheck }
        if !failures.isEmpty { out += "\(l.label(.failures)) (\(failures.count))\n"; failures.forEach { block($0, mark: "✗") }; out += "\n" }
        if !warnings.isEmpty { out += "\(l.label(.warnings)) (\(warnings.count))\n"; warnings.forEach { block($0, mark: "!") }; out += "\n" }
        if !infos.isEmpty { out += "\(l.label(.info)) (\(infos.count))\n"; infos.forEach { block($0, mark: "i") }; out += "\n" }
        if !unchecked.isEmpty {
            out += "\(l.label(.couldNotCheck)) (\(unchecked.count))\n"
            for finding in unchecked {
                out += "? \(finding.rule) [\(finding.severity.rawValue)] \(finding.title): \(TerminalText.line(finding.found))\n"
                if let waived = finding.waived { out += "    \(l.label(.waived)): \(waived)\n" }
            }
            out += "\n"
        }
        let passed = findings.filter { $0.outcome == .pass }.map(\.rule)
        let notApplicable = findings.filter { $0.outcome == .notApplicable }.map(\.rule)
        out += "\(l.label(.passed)) (\(passed.count)): \(passed.joined(separator: " "))\n"
        if !notApplicable.isEmpty { out += "\(l.label(.notApplicable)) (\(notApplicable.count)): \(notApplicable.joined(separator: " "))\n" }
        return out
    }

    /// Text for a terminal: failures first (errors, then warnings), each with
    /// what was required, what was found, where, and the fix; then what
    /// could not be checked; then a count of the rest.
    public static func text(_ result: InspectionResult, language: Language = .english) -> String {
        var out = ""
        let facts = result.facts
        out += "\(language.label(.image)): \(result.image.path) (\(result.image.format), \(DiskRules.formatGiB(result.image.virtualSize)))\n"
        out += "OS: \(facts.osName) (\(facts.productName); \(facts.family), \(facts.packageFormat) packages)\n"
        out += "Kernel: \(facts.kernels.joined(separator: ", "))\n\n"
        out += findingsText(result.findings, language: language)
        out += "\n" + verdictLine(result.findings, language: language) + " (\(result.seconds) s, \(result.accelerator.rawValue))\n"
        return out
    }

    /// `VERDICT: …` with the counts behind it; for INCOMPLETE, each error
    /// rule that could not be checked, with why.
    public static func verdictLine(_ findings: [Finding], language l: Language = .english) -> String {
        let verdict = GateVerdict(findings)
        let failures = findings.filter(\.isFailure).count
        let warnings = findings.filter { $0.outcome == .warning && $0.waived == nil }.count
        let unchecked = findings.filter(\.isUncheckedError)
        var line = "\(l.label(.verdict).uppercased()): \(l.label(verdict)) — \(failures) \(l.label(.failures).lowercased()), \(warnings) \(l.label(.warnings).lowercased())"
        if !unchecked.isEmpty {
            line += "; \(unchecked.count) \(l.label(.uncheckedErrors)): "
            line += unchecked.map { "\($0.rule) (\(TerminalText.line($0.found)))" }.joined(separator: "; ")
        }
        return line
    }
}
