import Foundation
import ImageGateBoot
import ImageGateModel

/// JUnit XML (as Jenkins and GitLab read it): a test suite for the static
/// inspection, one per booted instance, and one for the rules judged across
/// instances; a test case per rule; failures carry the finding's evidence
/// and fix; each boot suite carries its console log as system-out.
public enum JUnitReport {
    public static func render(_ report: CheckReport) -> String {
        let l = Language(rawValue: report.language) ?? .english
        var suites: [String] = []
        if let inspection = report.staticInspection {
            suites.append(suite(name: "static", classname: "imagegate.static", findings: inspection.findings,
                                seconds: inspection.seconds, systemOut: InspectionReport.findingsText(inspection.findings), l))
        }
        for instance in report.instances {
            suites.append(suite(name: "boot \(instance.hostname)", classname: "imagegate.boot.\(instance.hostname)",
                                findings: instance.findings, seconds: instance.endedAt, systemOut: instance.consoleLog, l))
        }
        let acrossIDs = Set(BootRules.acrossInstances.map(\.id))
        let across = report.findings.filter { acrossIDs.contains($0.rule) }
        var all = (report.staticInspection?.findings ?? []) + report.instances.flatMap(\.findings)
        if report.staticInspection == nil && report.instances.isEmpty {
            // A report of findings alone (a boot's rules): one suite of them.
            suites.append(suite(name: report.scenario.name, classname: "imagegate.\(report.scenario.name)", findings: report.findings,
                                seconds: report.seconds, systemOut: nil, l))
            all = report.findings
        } else if !across.isEmpty {
            suites.append(suite(name: "across instances", classname: "imagegate.instances", findings: across, seconds: 0, systemOut: nil, l))
            all += across
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="imagegate \(x(report.scenario.name)) \(x(URL(fileURLWithPath: report.image.path).lastPathComponent))" \
            tests="\(all.count)" failures="\(all.filter(isFailure).count)" errors="\(all.filter(\.isUncheckedError).count)" skipped="\(all.filter(isSkipped).count)" \
            time="\(String(format: "%.3f", report.seconds))">
            \(suites.joined(separator: "\n"))
            </testsuites>

            """
    }

    static func isFailure(_ f: Finding) -> Bool { f.isFailure }
    /// Not applicable, or could not be checked where that does not stop a
    /// PASS (a warning or info rule, or a waived one): an error rule that
    /// could not be checked is an `<error>`.
    static func isSkipped(_ f: Finding) -> Bool { (f.outcome == .couldNotCheck && !f.isUncheckedError) || f.outcome == .notApplicable }

    static func suite(name: String, classname: String, findings: [Finding], seconds: Double, systemOut: String?, _ l: Language) -> String {
        var out = """
              <testsuite name="\(x(name))" tests="\(findings.count)" failures="\(findings.filter(isFailure).count)" errors="\(findings.filter(\.isUncheckedError).count)" \
            skipped="\(findings.filter(isSkipped).count)" time="\(String(format: "%.3f", seconds))">

            """
        for finding in findings {
            out += "    <testcase name=\"\(x(finding.rule)) \(x(finding.title))\" classname=\"\(x(classname))\" time=\"0\">\n"
            let body = details(finding, l)
            switch finding.outcome {
            case .fail where finding.waived == nil:
                out += "      <failure message=\"\(x(finding.found))\" type=\"\(x(finding.severity.rawValue))\">\(x(body))</failure>\n"
            case .couldNotCheck where finding.isUncheckedError:
                out += "      <error message=\"\(x(l.label(.couldNotCheck))): \(x(finding.found))\" type=\"could-not-check\">\(x(body))</error>\n"
            case .couldNotCheck:
                out += "      <skipped message=\"\(x(l.label(.couldNotCheck))): \(x(finding.found))\"/>\n"
            case .notApplicable:
                out += "      <skipped message=\"\(x(l.label(.notApplicable))): \(x(finding.found))\"/>\n"
            case .warning, .info, .fail:
                out += "      <system-out>\(x(body))</system-out>\n"
            case .pass:
                break
            }
            out += "    </testcase>\n"
        }
        if let systemOut { out += "    <system-out>\(x(systemOut))</system-out>\n" }
        out += "  </testsuite>"
        return out
    }

    static func details(_ f: Finding, _ l: Language) -> String {
        var text = "\(f.rule) [\(f.severity.rawValue)] \(f.title)\n\(l.label(.required)): \(f.required)\n\(l.label(.found)): \(f.found)\n"
        text += f.evidence.map { "  \($0)\n" }.joined()
        if let fix = f.fix { text += "\(l.label(.fix)): \(fix)\n" }
        if let waived = f.waived { text += "\(l.label(.waived)): \(waived)\n" }
        return text
    }

    /// XML text (``XML/escape(_:)`` drops what XML 1.0 cannot carry).
    static func x(_ text: String) -> String { XML.escape(text) }
}
