import Foundation
import ImageGate
import ImageGateModel

/// A queue run's reports: JUnit with a suite per image (one line per image
/// and rule in Jenkins or GitLab), and JSON with every entry and the
/// comparison with the previous run.
public enum QueueReport {
    public static func junit(_ history: QueueHistory, run: Int64) throws -> String {
        let x = XML.escape
        var suites = ""
        var totals = (tests: 0, failures: 0, errors: 0, skipped: 0)
        for entry in try history.entries(run: run) {
            let findings = try history.findings(entry: entry.id)
            var cases = ""
            var counts = (failures: 0, errors: 0, skipped: 0)
            if entry.verdict == .error {
                counts.errors += 1
                cases += "    <testcase classname=\"\(x(entry.key))\" name=\"check\"><error message=\"\(x(entry.problem ?? "error"))\"/></testcase>\n"
            }
            for finding in findings {
                cases += "    <testcase classname=\"\(x(entry.key))\" name=\"\(x(finding.rule))\">"
                switch Outcome(rawValue: finding.outcome) {
                case .fail? where finding.waived == nil:
                    counts.failures += 1
                    cases += "<failure message=\"\(x(finding.found))\">\(x(evidenceText(finding)))</failure>"
                case .couldNotCheck? where finding.waived == nil:
                    counts.skipped += 1
                    cases += "<skipped message=\"could not check: \(x(finding.found))\"/>"
                default:
                    break
                }
                cases += "</testcase>\n"
            }
            let tests = findings.count + (entry.verdict == .error ? 1 : 0)
            totals.tests += tests
            totals.failures += counts.failures
            totals.errors += counts.errors
            totals.skipped += counts.skipped
            suites += "  <testsuite name=\"\(x(entry.key))\" tests=\"\(tests)\" failures=\"\(counts.failures)\" errors=\"\(counts.errors)\" skipped=\"\(counts.skipped)\" time=\"\(entry.seconds)\">\n"
            suites += "    <properties><property name=\"verdict\" value=\"\(x(entry.shownVerdict))\"/><property name=\"sha256\" value=\"\(x(entry.imageSHA256))\"/>"
                + (entry.repeatedChecks.map { "<property name=\"repeated\" value=\"\(x($0.summary))\"/>" } ?? "") + "</properties>\n"
            suites += cases + "  </testsuite>\n"
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="imagegate queue run \(run)" tests="\(totals.tests)" failures="\(totals.failures)" errors="\(totals.errors)" skipped="\(totals.skipped)">
            \(suites)</testsuites>

            """
    }

    static func evidenceText(_ finding: QueueHistory.StoredFinding) -> String {
        // The history wrote this JSON itself; a damaged row shows no evidence.
        let lines = (try? JSONDecoder().decode([String].self, from: Data(finding.evidence.utf8))) ?? []
        return lines.joined(separator: "\n")
    }

    /// The run, its entries with their findings, and the comparison.
    public static func json(_ history: QueueHistory, run: Int64, diff: QueueDiff) throws -> String {
        struct Entry: Encodable {
            var entry: QueueHistory.Entry
            var findings: [QueueHistory.StoredFinding]
            /// The labels that make every failure of the entry known.
            var known: [FailureLabel]?
            /// The verdict as shown: `flaky` for a pass on the second check.
            var shownVerdict: String
            /// The first check of an entry checked twice.
            var firstAttempt: FirstAttempt?
            /// Each check of an entry checked several times (`--repeat`).
            var repeated: RepeatedChecks?
        }
        struct Document: Encodable {
            var schema = "imagegate-queue"
            var schemaVersion = 1
            var tool = "imagegate \(ImageGateVersion.current)"
            var commit = ImageGateVersion.commit
            var run: QueueHistory.Run
            var entries: [Entry]
            var diff: QueueDiff
            var flips: QueueFlips
            var investigations: [QueueInvestigation]
        }
        guard let record = try history.run(run) else { throw ImageGateError.badInput("run \(run): no such run") }
        let entries = try history.entries(run: run).map {
            Entry(entry: $0, findings: try history.findings(entry: $0.id), known: try history.knownFailure(of: $0), shownVerdict: $0.shownVerdict,
                  firstAttempt: $0.firstAttemptRecord, repeated: $0.repeatedChecks)
        }
        return String(decoding: try JSONEncoder.report.encode(Document(run: record, entries: entries, diff: diff, flips: try QueueFlips.find(in: history, run: run),
                                                                          investigations: try QueueInvestigation.investigate(history, run: run))), as: UTF8.self)
    }

    /// The entries of `run` whose every failure is known, with their
    /// labels, for a terminal; empty when there is none.
    public static func knownText(_ history: QueueHistory, run: Int64) throws -> String {
        var out = ""
        var count = 0
        for entry in try history.entries(run: run) {
            guard let labels = try history.knownFailure(of: entry) else { continue }
            count += 1
            out += "  \(entry.key): \(entry.verdict.rawValue.uppercased())\n"
            for label in labels {
                out += "    \(label.signature) \(label.rule): \(label.note)\(label.link.map { " \($0)" } ?? "")\(label.until.map { " (until \($0))" } ?? "")\n"
            }
        }
        return count == 0 ? "" : "\nKNOWN (\(count))\n" + out
    }

    /// The entries of `run` checked more than once, each with its checks'
    /// verdicts and how often each rule failed, for a terminal; empty when
    /// there is none.
    public static func repeatedText(_ history: QueueHistory, run: Int64) throws -> String {
        let repeated = try history.entries(run: run).compactMap { entry in entry.repeatedChecks.map { (entry, $0) } }
        guard !repeated.isEmpty else { return "" }
        return "\nCHECKED MORE THAN ONCE (\(repeated.count))\n"
            + repeated.map { entry, checks in "  \(entry.key): \(entry.verdict.rawValue.uppercased()), \(checks.summary)\n" }.joined()
    }

    /// The rules that flipped with nothing changed, for a terminal; empty
    /// when none did.
    public static func flipsText(_ flips: QueueFlips) -> String {
        guard !flips.flips.isEmpty else { return "" }
        var out = "\nFLIPPED WITH NOTHING CHANGED (\(flips.flips.count), runs \(flips.runs.first ?? 0)–\(flips.runs.last ?? 0))\n"
        for flip in flips.flips {
            out += "  \(flip.key) \(flip.rule): \(flip.flips) of \(flip.compared) (\(Int((flip.rate * 100).rounded()))%): \(flip.outcomes.joined(separator: " "))\n"
        }
        return out
    }

    /// The comparison as text for a terminal.
    public static func text(_ diff: QueueDiff) -> String {
        var out = "Run \(diff.after) compared with \(diff.before.map { "run \($0)" } ?? "nothing (the first run)")\n"
        for change in [QueueDiff.Change.regressed, .fixed, .new, .removed] {
            let entries = diff.entries(change)
            guard !entries.isEmpty else { continue }
            out += "\n\(change.rawValue.uppercased()) (\(entries.count))\n"
            for entry in entries {
                out += "  \(entry.key): \(entry.verdictBefore?.rawValue ?? "—") → \(entry.verdictAfter?.rawValue ?? "—")\n"
                for rule in entry.rules where rule.change == .regressed || rule.change == .fixed {
                    out += "    \(rule.rule): \(rule.before ?? "—") → \(rule.after ?? "—")\n"
                }
                for reason in entry.reasons { out += "    why: \(reason)\n" }
                if let flaky = entry.flaky { out += "    \(flaky)\n" }
            }
        }
        out += "\nUnchanged: \(diff.entries(.unchanged).count)\n"
        return out
    }
}
