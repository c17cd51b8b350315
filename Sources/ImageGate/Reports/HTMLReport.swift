import Foundation
import ImageGateBoot
import ImageGateModel

/// One self-contained HTML file for a reviewer: the verdict at the top,
/// failures first with their fix, then warnings and what could not be
/// checked, each boot's timeline, and its console log with the lines the
/// evidence cites highlighted (evidence links to them).
public enum HTMLReport {
    public static func render(_ report: CheckReport) -> String {
        let l = Language(rawValue: report.language) ?? .english
        let failures = report.findings.filter { $0.outcome == .fail }
        let warnings = report.findings.filter { $0.outcome == .warning }
        let infos = report.findings.filter { $0.outcome == .info }
        let unchecked = report.findings.filter { $0.outcome == .couldNotCheck }
        let passed = report.findings.filter { $0.outcome == .pass }
        let notApplicable = report.findings.filter { $0.outcome == .notApplicable }
        let verdict = l.label(report.verdict)
        let uncheckedErrors = unchecked.filter(\.isUncheckedError)

        var body = """
            <header class="\(report.verdict.rawValue)">
              <h1 id="verdict">\(l.label(.verdict)): \(h(verdict))</h1>
              <p>\(failures.filter { $0.waived == nil }.count) \(h(l.label(.failures))) · \(warnings.count) \(h(l.label(.warnings))) · \(unchecked.count) \(h(l.label(.couldNotCheck))) · \(passed.count) \(h(l.label(.passed)))</p>
              \(uncheckedErrors.isEmpty ? "" : "<p>\(uncheckedErrors.count) \(h(l.label(.uncheckedErrors))): \(uncheckedErrors.map { "<a href=\"#rule-\(h($0.rule))\">\(h($0.rule))</a>" }.joined(separator: " "))</p>")
            </header>
            <table class="meta">
              <tr><th>\(l.label(.image))</th><td>\(h(report.image.path)) (\(h(report.image.format)), sha256 \(h(report.image.sha256)))</td></tr>
              <tr><th>\(l.label(.scenario))</th><td>\(h(report.scenario.name)) — \(h(report.scenario.description))</td></tr>
              <tr><th>\(l.label(.accelerator))</th><td>\(h(report.accelerator.rawValue))</td></tr>
              <tr><th>\(l.label(.duration))</th><td>\(String(format: "%.1f", report.seconds)) s · \(h(report.tool))\(report.commit.map { ", commit \(h(String($0.prefix(12))))" } ?? "")\(report.catalogueDigest.map { " (rule catalogue \(h(String($0.prefix(12)))))" } ?? "") · \(h(report.generatedAt))</td></tr>
            </table>

            """
        func section(_ title: String, _ findings: [Finding], _ css: String) {
            guard !findings.isEmpty else { return }
            body += "<h2>\(h(title)) (\(findings.count))</h2>\n"
            for f in findings { body += card(f, css, report, l) }
        }
        section(l.label(.failures), failures, "fail")
        section(l.label(.warnings), warnings, "warn")
        section(l.label(.couldNotCheck), unchecked, "unknown")
        section(l.label(.info), infos, "info")
        body += "<h2>\(h(l.label(.passed))) (\(passed.count))</h2>\n<p class=\"ids\">"
        body += passed.map { "<span title=\"\(h($0.title)): \(h($0.found))\">\(h($0.rule))</span>" }.joined(separator: " ")
        body += "</p>\n"
        if !notApplicable.isEmpty {
            body += "<h2>\(h(l.label(.notApplicable))) (\(notApplicable.count))</h2>\n<p class=\"ids\">"
            body += notApplicable.map { "<span title=\"\(h($0.found))\">\(h($0.rule))</span>" }.joined(separator: " ") + "</p>\n"
        }
        if let notRun = report.bootPhase {
            body += "<h2>\(h(l.label(.bootPhase)))</h2>\n<p class=\"boot-phase\">\(h(notRun))</p>\n"
        }
        for (index, instance) in report.instances.enumerated() { body += instanceSection(instance, index: index, l) }
        return page(title: "ImageGate: \(verdict) — \(URL(fileURLWithPath: report.image.path).lastPathComponent)", language: l, body: body)
    }

    /// One booted instance: how it ended, its timeline, its console log
    /// (evidence lines highlighted) and its Diagnosis.
    static func instanceSection(_ instance: CheckReport.Instance, index: Int, _ l: Language) -> String {
        var body = ""
        body += "<h2>\(h(l.label(.instance))) \(h(instance.hostname)) — \(h(instance.mac)), \(h(instance.address))</h2>\n"
        body += "<p>\(h(instance.end)) · \(String(format: "%.1f", instance.endedAt)) s</p>\n"
        if let again = instance.afterReboot { body += "<p>\(h(l.label(.afterReboot))): \(h(again.end))</p>\n" }
        if let kept = instance.keptRun {
            body += "<p class=\"kept\">\(h(l.label(.keptRunning))): <code>imagegate console \(h(kept.id))</code> · <code>imagegate ssh \(h(kept.id))</code> · <code>imagegate stop \(h(kept.id))</code></p>\n"
        }
        body += "<h3>\(h(l.label(.timeline)))</h3>\n<table class=\"timeline\"><tr><th>\(h(l.label(.stage)))</th><th>\(h(l.label(.seconds)))</th>"
        body += instance.afterReboot == nil ? "</tr>\n" : "<th>\(h(l.label(.afterReboot)))</th></tr>\n"
        func seconds(_ timeline: [String: Double], _ stage: ConsoleLog.Stage) -> String {
            timeline[stage.rawValue].map { String(format: "%.1f", $0) } ?? "—"
        }
        for stage in ConsoleLog.Stage.allCases {
            body += "<tr><td>\(h(stage.rawValue))</td><td>\(seconds(instance.timeline, stage))</td>"
            body += instance.afterReboot.map { "<td>\(seconds($0.timeline, stage))</td></tr>\n" } ?? "</tr>\n"
        }
        body += "</table>\n<h3>\(h(l.label(.console)))</h3>\n<pre class=\"console\">"
        let highlighted = Set(instance.highlightedLines)
        for (offset, line) in instance.consoleLog.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let css = highlighted.contains(number) ? " class=\"hit\"" : ""
            body += "<span id=\"i\(index)-L\(number)\"\(css)><i>\(number)</i>\(h(String(line)))</span>\n"
        }
        body += "</pre>\n"
        if let failures = instance.failures {
            body += "<h3>\(h(l.label(.bootFailure)))</h3>\n<pre class=\"diagnosis\">"
            body += failures.flatMap { $0.text(l) }.map(h).joined(separator: "\n") + "</pre>\n"
        }
        if let postMortem = instance.postMortem {
            body += "<h3>\(h(l.label(.diagnosis)))</h3>\n<p>\(h(l.label(.diagnosisIntro)))</p>\n"
            for diagnosis in instance.diagnosis ?? [] {
                body += "<h4>\(h(diagnosis.rule))</h4>\n<pre class=\"diagnosis\">"
                body += diagnosis.excerpts.map { "<i>\(h($0.location))</i> \(h($0.text))" }.joined(separator: "\n") + "</pre>\n"
            }
            if !postMortem.problems.isEmpty {
                body += "<p>\(h(l.label(.postMortemProblems))):</p>\n<ul>" + postMortem.problems.map { "<li>\(h($0))</li>" }.joined() + "</ul>\n"
            }
        }
        return body
    }

    /// A whole page around `body`, styled for screen and print.
    static func page(title: String, language l: Language, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(l == .chinese ? "zh-CN" : "en")">
        <head>
        <meta charset="utf-8">
        <title>\(h(title))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    static let style = """
        body { font: 15px/1.45 system-ui, "Noto Sans CJK SC", "PingFang SC", sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1em 3em; color: #1d2125; }
        header { padding: .6em 1em; border-radius: 6px; color: white; margin-top: 1em; }
        header.pass { background: #1f7a3a; } header.fail { background: #b3261e; } header.incomplete { background: #8a5a00; }
        header a { color: white; }
        header h1 { margin: .2em 0; }
        table { border-collapse: collapse; margin: .5em 0; } th, td { text-align: left; padding: .2em .8em .2em 0; vertical-align: top; }
        .card { border-left: 5px solid #999; background: #f6f7f8; padding: .5em 1em; margin: .7em 0; border-radius: 4px; }
        .card.fail { border-color: #b3261e; } .card.warn { border-color: #c77700; } .card.unknown { border-color: #5f6b7a; } .card.info { border-color: #2f6fb3; }
        .card h3 { margin: .1em 0 .3em; font-size: 1.05em; } .card .rule { font-family: monospace; }
        .card .fix { background: #fff; border: 1px solid #dde; padding: .3em .6em; border-radius: 4px; }
        .card ul { margin: .2em 0; padding-left: 1.2em; font-family: monospace; font-size: .9em; }
        .waived { color: #5f6b7a; font-style: italic; }
        .ids span { font-family: monospace; background: #e7f3ea; border-radius: 3px; padding: 0 .3em; margin: .1em; display: inline-block; }
        pre.console { background: #111; color: #ddd; padding: .6em; overflow-x: auto; font-size: 12px; line-height: 1.3; max-height: 40em; }
        pre.console i { color: #777; display: inline-block; width: 4em; font-style: normal; user-select: none; }
        pre.console .hit { background: #7a1f1a; color: #fff; display: inline-block; min-width: 100%; }
        """

    static func card(_ f: Finding, _ css: String, _ report: CheckReport, _ l: Language) -> String {
        var out = "<div class=\"card \(css)\" id=\"rule-\(h(f.rule))\">\n"
        out += "<h3><span class=\"rule\">\(h(f.rule))</span> [\(h(f.severity.rawValue))] \(h(f.title))</h3>\n"
        out += "<div><b>\(h(l.label(.required))):</b> \(h(f.required))</div>\n<div><b>\(h(l.label(.found))):</b> \(h(f.found))</div>\n"
        if !f.evidence.isEmpty {
            out += "<ul>\n"
            for e in f.evidence.prefix(20) {
                out += "<li>" + link(e, report) + "</li>\n"
            }
            out += "</ul>\n"
        }
        if let fix = f.fix { out += "<div class=\"fix\"><b>\(h(l.label(.fix))):</b> \(h(fix))</div>\n" }
        if let waived = f.waived { out += "<div class=\"waived\">\(h(l.label(.waived))): \(h(waived))</div>\n" }
        return out + "</div>\n"
    }

    /// Evidence text; a console line links to it in the first instance
    /// whose boot cited it.
    static func link(_ e: Evidence, _ report: CheckReport) -> String {
        guard e.path == BootRules.console, let line = e.line,
              let index = report.instances.firstIndex(where: { $0.highlightedLines.contains(line) }) else { return h(e.description) }
        return "<a href=\"#i\(index)-L\(line)\">\(h(e.description))</a>"
    }

    static func h(_ text: String) -> String { XML.escape(text) }
}
