import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateQueue
import TestSupport
import XCTest

/// A night of booting queue entries: real images' boot verdicts, judged
/// while two guests share the machine. What the queue does with verdicts
/// (retries, FLAKY, repeats, fleet moves, trends, investigations) is
/// driven by fake checks in `QueueAttemptTests`.
final class QueueNightTests: QueueTestCase {
    /// Four boot-defect fixtures under the one-vCPU scenario, a core per
    /// boot on this machine, two at once (`jobs` 2): auditd that fails to
    /// start; firewalld installed and enabled; a cloud-init `bootcmd` that
    /// fails, diagnosed from the guest's own log; and a vendor unit that
    /// holds cloud-init's last stage 90 s, whose rules all hold. Every
    /// verdict is complete while the guests share the machine.
    func testANightOfBootsIsJudgedTwoAtATime() async throws {
        try place("auditd-fails-to-start", as: "audit.qcow2")
        try place("firewalld-enabled", as: "web.qcow2")
        try place("cloud-init-bootcmd-fails", as: "bootcmd.qcow2")
        try place("boot-slowed", as: "slowed.qcow2")
        try "waivers:\n  - {rule: LNX-CLOUD-INIT-VENDOR, reason: Debian is not in the platform's table}\n  - {rule: LNX-MONITOR-AGENT, reason: no agent on this line}\n"
            .write(toFile: dir + "/waive-unchecked.yaml", atomically: true, encoding: .utf8)
        let scenario = "\(FixtureManifest.packageRoot)/Scenarios/one-vcpu.yaml"
        let manifest = try writeManifest("""
            defaults: {vendor: acme, scenario: \(scenario), profile: waive-unchecked.yaml}
            entries:
              - {image: images/audit.qcow2, product: audit}
              - {image: images/web.qcow2, product: web}
              - {image: images/bootcmd.qcow2, product: bootcmd}
              - {image: images/slowed.qcow2, product: slowed}
            """)
        let history = try QueueHistory(path: dir + "/history.sqlite")
        var runner = QueueRunner(manifest: try QueueManifest.load(path: manifest), history: history, host: try await LibvirtHost.connect())
        runner.jobs = 2
        runner.reports = dir + "/reports"
        let events = LockedLines()
        runner.progress = { events.add($0) }
        let run = try await runner.run(resume: false)
        let lines = events.lines
        let checking = lines.indices.filter { lines[$0].hasSuffix(": checking") }
        let verdicts = lines.indices.filter { lines[$0].hasSuffix("FAIL") || lines[$0].hasSuffix("PASS") || lines[$0].hasSuffix("INCOMPLETE") }
        XCTAssertEqual(checking.count, 4, "\(lines)")
        XCTAssertLessThan(checking.sorted()[1], verdicts.min() ?? .min, "two boots ran at once: \(lines)")

        let night = Dictionary(uniqueKeysWithValues: try history.entries(run: run.runID).map { ($0.product, $0) })
        var findings: [String: [QueueHistory.StoredFinding]] = [:]
        for (product, entry) in night { findings[product] = try history.findings(entry: entry.id) }
        for (product, rule) in [("audit", "BOOT-AUDITD"), ("web", "BOOT-FIREWALLD"), ("bootcmd", "BOOT-CLOUD-INIT")] {
            let entry = try XCTUnwrap(night[product])
            XCTAssertEqual(entry.verdict, .fail, "\(product): \(entry.problem ?? "")")
            XCTAssertEqual(findings[product]?.first { $0.rule == rule }?.outcome, "fail", "\(product)")
            XCTAssertNil(entry.flakyFirstVerdict, "\(product) needed no second attempt")
        }
        let slowed = try XCTUnwrap(night["slowed"])
        XCTAssertEqual(slowed.verdict, .pass, slowed.problem ?? "")
        XCTAssertNotNil(QueueBootTime.seconds(slowed), "the slowed boot reached cloud-init's finished line")
        for product in ["slowed", "bootcmd"] {
            let unjudged = findings[product]?.filter { $0.rule.hasPrefix("BOOT-") && $0.outcome == "could-not-check" } ?? []
            XCTAssertEqual(unjudged.map(\.rule), [], "\(product): \(unjudged.map(\.found))")
        }
        let bootcmd = try XCTUnwrap(night["bootcmd"])

        // The failed boot's Diagnosis, from the guest's own cloud-init.log:
        // the failing module named, the traceback quoted with its lines.
        let report = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(bootcmd.reportPath)
            .replacingOccurrences(of: "report.html", with: "report.json"))))
        let diagnosis = try XCTUnwrap(report.instances.first?.diagnosis?.first { $0.rule == "BOOT-CLOUD-INIT" }, "\(String(describing: report.instances.first?.postMortem?.problems))")
        let log = diagnosis.excerpts.filter { $0.source == "/var/log/cloud-init.log" }
        XCTAssertTrue(log.contains { $0.text.contains("[WARNING]") && $0.text.contains("bootcmd") }, "\(log)")
        let traceback = try XCTUnwrap(log.firstIndex { $0.text.contains("Traceback (most recent call last)") }, "\(log)")
        XCTAssertTrue(log[traceback...].contains { $0.text.contains("ProcessExecutionError") }, "the exception is quoted: \(log)")
        XCTAssertEqual(log[traceback + 1].line, log[traceback].line + 1, "a traceback is quoted line by line")
        let html = try String(contentsOfFile: try XCTUnwrap(bootcmd.reportPath), encoding: .utf8)
        XCTAssertTrue(html.contains("<h3>Diagnosis</h3>") && html.contains("<i>/var/log/cloud-init.log:\(log[traceback].line)</i>"), "the HTML report's Diagnosis")
        let text = Diagnosis.text(report.instances, language: .chinese)
        // How the boot failed, named from the console, comes first; then the guest's own logs.
        XCTAssertTrue(text.hasPrefix("启动失败的原因") && text.contains("cloud-init-failure"), text)
        XCTAssertTrue(text.contains("诊断") && text.contains("/var/log/cloud-init.log:\(log[traceback].line): "), text)
    }
}
