import Foundation
import ImageGate
import ImageGateModel

/// The night's HTML dashboard, one self-contained page: tonight's
/// regressions first (with why), then the other new failures by vendor,
/// then the known ones (every failure labelled: ``FailureLabel``), then
/// the rest; per image the rules that failed (each with its signature) or
/// could not be checked, with what was found, a strip of its last verdicts
/// and a link to tonight's full check report. Every text from an image is escaped (``XML/escape(_:)``).
public enum QueueDashboard {
    /// How many past verdicts each image's strip shows.
    static let strip = 10
    /// How many rules a row names, and how much of each one's found text.
    static let rulesShown = 8
    static let foundShown = 160

    /// The rules of an entry's check that keep it from passing: failed,
    /// then could not be checked (waived ones count for nothing).
    static func blockingRules(_ findings: [QueueHistory.StoredFinding]) -> [QueueHistory.StoredFinding] {
        let open = findings.filter { $0.waived == nil }
        return open.filter { $0.outcome == Outcome.fail.rawValue }
            + open.filter { $0.outcome == Outcome.couldNotCheck.rawValue && $0.severity == Severity.error.rawValue }
    }

    /// The rules that flipped with nothing changed, the highest rate first.
    static func flipped(_ flips: QueueFlips, language: Language) -> String {
        guard !flips.flips.isEmpty, let first = flips.runs.first, let last = flips.runs.last else { return "" }
        let h = XML.escape
        func t(_ phrase: Phrase) -> String { language.label(phrase) }
        var out = "<h2>\(t(.queueFlipped)) (\(flips.flips.count))</h2>\n<p>\(t(.queueFlippedWhere)) \(first)–\(last)</p>\n"
            + "<table><tr><th>\(t(.queueImage))</th><th>\(t(.queueRule))</th><th>\(t(.queueFlipRate))</th><th>\(t(.queueOutcomes))</th></tr>\n"
        for flip in flips.flips {
            let strip = flip.outcomes.map { "<span class=\"v \(h($0))\" title=\"\(h($0))\"></span>" }.joined()
            out += "<tr><td class=\"path\">\(h(flip.key))</td><td>\(h(flip.rule))</td>"
                + "<td>\(flip.flips) / \(flip.compared) (\(Int((flip.rate * 100).rounded()))%)</td><td>\(strip)</td></tr>\n"
        }
        return out + "</table>\n"
    }

    /// The page for `run`; links to reports under `folder` (where the page
    /// is written) are relative, so the folder can be moved or served.
    public static func render(_ history: QueueHistory, run: Int64, diff: QueueDiff, language: Language,
                              linksFrom folder: String) throws -> String {
        let h = XML.escape
        let zh = language == .chinese
        func t(_ phrase: Phrase) -> String { language.label(phrase) }
        guard let record = try history.run(run) else { throw ImageGateError.badInput("run \(run): no such run") }
        let entries = try history.entries(run: run)
        let changes = Dictionary(diff.entries.map { ($0.key, $0) }) { first, _ in first }
        let reportFolder = URL(fileURLWithPath: folder).standardizedFileURL.path

        let investigations = Dictionary(try QueueInvestigation.investigate(history, run: run).map { ($0.key, $0) }) { first, _ in first }
        var known: [String: [FailureLabel]] = [:]
        for entry in entries where entry.verdict != .pass { known[entry.key] = try history.knownFailure(of: entry) }

        func row(_ entry: QueueHistory.Entry) throws -> String {
            let past = try history.history(image: entry.imagePath).filter { $0.1.key == entry.key }.prefix(strip).reversed()
            let strip = past.map { "<span class=\"v \(h($0.1.shownVerdict))\" title=\"\(t(.queueRunWord)) \($0.0.id) \(h($0.0.startedAt)): \(h($0.1.shownVerdict))\"></span>" }.joined()
            let link = entry.reportPath.map { path -> String in
                let relative = path.hasPrefix(reportFolder + "/") ? String(path.dropFirst(reportFolder.count + 1)) : path
                return "<a href=\"\(h(relative.hasPrefix("/") ? "file://" + relative : relative))\">\(t(.queueReport))</a>"
            } ?? ""
            var why = ""
            if let change = changes[entry.key], change.change == .regressed || change.change == .fixed {
                let rules = change.rules.filter { $0.change == .regressed || $0.change == .fixed }
                    .map { "\(h($0.rule)): \(h($0.before ?? "—")) → \(h($0.after ?? "—"))" }
                why = "<div class=\"why\">" + (rules + change.reasons.map { t(.queueWhy) + h($0) }).joined(separator: "<br>") + "</div>"
            }
            let flaky = entry.flakyFirstVerdict.map { " <span class=\"flaky\">\(t(.queueFlaky)): \(h($0.rawValue)) → \(h(entry.verdict.rawValue))</span>" } ?? ""
            let firstCheck = entry.firstAttemptRecord.map { first in
                "<div class=\"first\">\(t(.queueFirstCheck)): \(h(first.verdict.rawValue.uppercased()))" + (first.problem.map { " — \(h($0))" } ?? "")
                    + first.failed.prefix(Self.rulesShown).map { "<br>✗ <b>\(h($0.rule))</b> \(h(String($0.found.prefix(Self.foundShown))))" }.joined() + "</div>"
            } ?? ""
            let repeated = entry.repeatedChecks.map { checks in
                "<div class=\"repeat\">\(t(.queueRepeatedChecks)) \(checks.checks): " + checks.verdicts.map { h($0.rawValue.uppercased()) }.joined(separator: " ")
                    + (checks.failures.isEmpty ? "" : " — \(t(.queueFailedIn)): " + checks.ratios.map(h).joined(separator: ", ")) + "</div>"
            } ?? ""
            let ranOn = (entry.host.map { "<div class=\"host\">\(t(.queueHost)): \(h($0))</div>" } ?? "")
                + (entry.carriedFrom.map { "<div class=\"host\">\(t(.queueUnchangedSince)) \($0)</div>" } ?? "")
            let blocking = Self.blockingRules(try history.findings(entry: entry.id))
            let hostnames = QueueHistory.hostnames(of: entry)
            var rules: String = blocking.prefix(Self.rulesShown).map { finding -> String in
                let found = finding.found.count > Self.foundShown ? String(finding.found.prefix(Self.foundShown)) + "…" : finding.found
                guard finding.outcome == Outcome.fail.rawValue else { return "<li class=\"\(h(finding.outcome))\">? <b>\(h(finding.rule))</b> \(h(found))</li>" }
                let signature = FailureSignature(finding, hostnames: hostnames).id
                return "<li class=\"fail\">✗ <b>\(h(finding.rule))</b> \(h(found)) <code class=\"sig\" title=\"\(t(.queueSignature))\">\(h(signature))</code></li>"
            }.joined()
            if blocking.count > Self.rulesShown { rules += "<li>… +\(blocking.count - Self.rulesShown)</li>" }
            if let problem = entry.problem, blocking.isEmpty { rules += "<li class=\"error\">\(h(problem))</li>" }
            let ruleList = rules.isEmpty ? "" : "<ul class=\"rules\">\(rules)</ul>"
            let bootTime = try QueueBootTime.trend(of: entry, in: history)
            let slower = (bootTime?.warnings(language) ?? []).map { "<div class=\"slower\">\(h($0))</div>" }.joined()
            let spark = bootTime?.sparkline ?? ""
            let labels = known[entry.key]
            let knownNote = labels.map { labels in
                "<div class=\"known\">" + labels.map { label in
                    "\(t(.queueKnownWord)) <code class=\"sig\">\(h(label.signature))</code> \(h(label.rule)): \(h(label.note))"
                        + (label.link.map { " <a href=\"\(h($0))\">\(h($0))</a>" } ?? "") + (label.until.map { " (\(t(.queueUntil)) \(h($0)))" } ?? "")
                }.joined(separator: "<br>") + "</div>"
            } ?? ""
            let knownMark = labels == nil ? "" : " <span class=\"knownmark\">\(t(.queueKnownWord))</span>"
            let investigation = investigations[entry.key].map { found -> String in
                let lines = found.differences + found.packageLines + found.consoleLines
                return "<details class=\"investigation\"><summary>\(t(.queueInvestigation)) \(found.lastGoodRun)</summary><ul>"
                    + (lines.isEmpty ? "<li>\(t(.queueNothingDiffers))</li>" : lines.map { "<li>\(h($0))</li>" }.joined()) + "</ul></details>"
            } ?? ""
            return "<tr><td>\(h(entry.vendor))</td><td>\(h(entry.product)) \(h(entry.version))</td><td class=\"path\">\(h(entry.imagePath))\(ranOn)\(why)\(ruleList)\(investigation)\(knownNote)\(firstCheck)\(repeated)\(slower)</td>"
                + "<td class=\"\(h(entry.shownVerdict))\">\(h(entry.shownVerdict.uppercased()))\(knownMark)\(flaky)</td><td>\(strip)\(spark)</td><td>\(link)</td></tr>\n"
        }
        func table(_ title: String, _ rows: [QueueHistory.Entry]) throws -> String {
            guard !rows.isEmpty else { return "" }
            var out = "<h2>\(title) (\(rows.count))</h2>\n<table><tr><th>\(t(.queueVendor))</th><th>\(t(.queueProduct))</th>"
                + "<th>\(t(.queueImage))</th><th>\(t(.queueVerdict))</th><th>\(t(.queueHistory))</th><th></th></tr>\n"
            for entry in rows { out += try row(entry) }
            return out + "</table>\n"
        }
        let regressed = Set(diff.entries(.regressed).map(\.key))
        let isKnown = { (entry: QueueHistory.Entry) in known[entry.key] != nil }
        let tonight = entries.filter { regressed.contains($0.key) && !isKnown($0) }
        let failing = entries.filter { !regressed.contains($0.key) && $0.verdict != .pass && !isKnown($0) }
            .sorted { ($0.vendor, $0.key) < ($1.vendor, $1.key) }
        let knownFailing = entries.filter(isKnown).sorted { ($0.vendor, $0.key) < ($1.vendor, $1.key) }
        let flaky = entries.filter { !regressed.contains($0.key) && $0.isFlaky }
        let passing = entries.filter { !regressed.contains($0.key) && $0.verdict == .pass && !$0.isFlaky }
        let removed = diff.entries(.removed)

        var body = "<h1>ImageGate — \(t(.queueReviewQueue)) \(h(record.manifest))</h1>\n"
        body += "<p>\(t(.queueRun)) \(run), \(h(record.startedAt)) – \(h(record.endedAt ?? "…")) (\(h(record.status.rawValue))); "
            + "\(t(.queueComparedWith)) \(diff.before.map { t(.queueRunWord) + " " + String($0) } ?? t(.queueNothingTheFirstRun)); "
            + "imagegate \(h(record.imagegateVersion))</p>\n"
        body += "<p class=\"summary\">\(t(.queueRegressed)): \(tonight.count) · \(t(.queueNotPassing)): \(failing.count) · "
            + "\(t(.queueKnownFailures)): \(knownFailing.count) · \(t(.queueFlakyTitle)): \(flaky.count) · "
            + "\(t(.queuePassing)): \(passing.count) · \(t(.queueNew)): \(diff.entries(.new).count) · \(t(.queueRemoved)): \(removed.count)</p>\n"
        let hosts = record.hostStatuses.sorted { !$0.healthy && $1.healthy }
        if !hosts.isEmpty {
            body += "<h2>\(t(.queueHosts)) (\(hosts.count))</h2>\n<table><tr><th>URI</th><th>\(t(.queueState))</th><th>\(t(.queueCapacity))</th><th>\(t(.queueChecked))</th></tr>\n"
            for host in hosts {
                let state = host.healthy ? "<td class=\"pass\">\(t(.queueHealthy))</td>"
                    : "<td class=\"unhealthy\">\(t(.queueUnhealthy)): \(h(host.problem ?? ""))</td>"
                body += "<tr><td class=\"path\">\(h(host.uri))</td>\(state)<td>\(host.capacity)</td><td>\(host.checked)</td></tr>\n"
            }
            body += "</table>\n"
        }
        body += try table(t(.queueRegressedTonight), tonight)
        body += try table(t(.queueNotPassingByVendor), failing)
        body += try table(t(.queueKnownFailures), knownFailing)
        body += try table(t(.queueFlakyTitle), flaky)
        body += try table(t(.queuePassing), passing)
        body += try flipped(QueueFlips.find(in: history, run: run), language: language)
        if !removed.isEmpty {
            body += "<h2>\(t(.queueRemovedFromTheQueue)) (\(removed.count))</h2>\n<ul>"
                + removed.map { "<li>\(h($0.key)) (\(h($0.verdictBefore?.rawValue ?? "")))</li>" }.joined() + "</ul>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="\(zh ? "zh" : "en")"><head><meta charset="utf-8"><title>ImageGate \(t(.queueQueue)) \(run)</title>
            <style>
            body { font-family: sans-serif; margin: 1.5em; } table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
            td, th { border-bottom: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
            .path { font-family: monospace; font-size: 90%; } .why { color: #7a1f1a; font-family: sans-serif; margin-top: .3em; }
            td.fail, td.error { color: #b00; font-weight: bold; } td.incomplete { color: #a60; font-weight: bold; } td.pass { color: #070; font-weight: bold; }
            .v { display: inline-block; width: .8em; height: 1.2em; margin-right: 2px; background: #999; }
            .v.pass { background: #2a2; } .v.fail, .v.error { background: #c22; } .v.incomplete, .v.could-not-check, .v.warning { background: #d90; }
            .flaky { color: #a60; font-weight: normal; } td.flaky { color: #a60; font-weight: bold; } .v.flaky { background: #e0b000; }
            .first, .repeat { color: #a60; font-family: sans-serif; margin-top: .3em; }
            details.investigation { font-family: sans-serif; font-size: 90%; margin-top: .3em; } details.investigation ul { margin: .2em 0; }
            .known { color: #555; font-family: sans-serif; margin-top: .3em; } .knownmark { color: #555; font-weight: normal; }
            code.sig { color: #555; font-size: 85%; }
            .slower { color: #a60; font-family: sans-serif; margin-top: .3em; } svg.spark { display: block; margin-top: .2em; }
            ul.rules { margin: .3em 0 0 0; padding-left: 1em; font-family: sans-serif; font-size: 90%; list-style: none; }
            ul.rules li.fail b, ul.rules li.error { color: #b00; } ul.rules li.could-not-check b { color: #a60; }
            td.unhealthy { color: #b00; } .host { color: #555; font-size: 85%; margin-top: .2em; }
            </style></head><body>
            \(body)</body></html>

            """
    }
}
