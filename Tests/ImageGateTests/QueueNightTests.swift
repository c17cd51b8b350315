import Foundation
import TestSupport
@testable import ImageGate
@testable import ImageGateQueue
import XCTest

/// What only booting queue entries have (boots at once, repeated checks,
/// the boot-time trend, a first failure's investigation), on two nights.
/// A class of its own: scripts/run-tests.sh runs it with nothing beside
/// it, as its boot-time trend compares two nights booted alike.
final class QueueNightTests: QueueTestCase {
    /// Two nights of booting entries under the one-vCPU scenario, a core
    /// per boot on this machine, two at once (`jobs` 2).
    ///
    /// The first night: a boot-defect fixture; beside it a panicking image
    /// checked three times (`repeat: 3`: one static phase, three boots),
    /// which records each check and how often each rule failed; the
    /// conformant image, which passes (its two unchecked rules waived); and
    /// another boot-defect fixture, whose failure is diagnosed from the
    /// guest's own log. The second: the first image re-uploaded as the
    /// `boot-slowed` fixture (a vendor unit holds cloud-init's last stage
    /// 90 s) and the conformant image re-uploaded with the firewalld package
    /// added and enabled. Every verdict is complete while the guests share
    /// the machine; the slowed boot's rules hold and the boot-time trend
    /// warns; the first failure is investigated: the added package and the
    /// console line where the boot parts from the good one.
    func testTwoNightsOfBootsAreRecordedRepeatedTimedAndInvestigated() async throws {
        try place("auditd-fails-to-start", as: "audit.qcow2")
        try place("init-missing", as: "panic.qcow2")
        try place("debian12-conformant", as: "web.qcow2")
        try place("cloud-init-bootcmd-fails", as: "bootcmd.qcow2")
        try "waivers:\n  - {rule: LNX-CLOUD-INIT-VENDOR, reason: Debian is not in the platform's table}\n  - {rule: LNX-MONITOR-AGENT, reason: no agent on this line}\n"
            .write(toFile: dir + "/waive-unchecked.yaml", atomically: true, encoding: .utf8)
        let scenario = "\(FixtureManifest.packageRoot)/Scenarios/one-vcpu.yaml"
        let manifest = try writeManifest("""
            defaults: {vendor: acme, scenario: \(scenario)}
            entries:
              - {image: images/audit.qcow2, product: audit}
              - {image: images/panic.qcow2, product: panic, repeat: 3}
              - {image: images/web.qcow2, product: web, profile: waive-unchecked.yaml}
              - {image: images/bootcmd.qcow2, product: bootcmd}
            """)
        let history = try QueueHistory(path: dir + "/history.sqlite")
        let host = try await LibvirtHost.connect()
        var first = QueueRunner(manifest: try QueueManifest.load(path: manifest), history: history, host: host)
        first.jobs = 2
        first.reports = dir + "/reports"
        let attempts = NumberedAttempts()
        first.beforeAttempt = { key, number in attempts.add(key, number) }
        let run1 = try await first.run(resume: false)
        let night1 = try history.entries(run: run1.runID)
        let audit = try XCTUnwrap(night1.first { $0.product == "audit" })
        XCTAssertEqual(audit.verdict, .fail, audit.problem ?? "")
        XCTAssertEqual(try history.findings(entry: audit.id).first { $0.rule == "BOOT-AUDITD" }?.outcome, "fail")
        let auditTime = try XCTUnwrap(QueueBootTime.seconds(audit), "the first night's boot reached cloud-init's finished line")
        let webGood = try XCTUnwrap(night1.first { $0.product == "web" })
        XCTAssertEqual(webGood.verdict, .pass, webGood.problem ?? "")
        let bootcmd = try XCTUnwrap(night1.first { $0.product == "bootcmd" })
        XCTAssertEqual(bootcmd.verdict, .fail, bootcmd.problem ?? "")
        let bootcmdFindings = try history.findings(entry: bootcmd.id)
        XCTAssertEqual(bootcmdFindings.first { $0.rule == "BOOT-CLOUD-INIT" }?.outcome, "fail")
        XCTAssertNil(bootcmd.flakyFirstVerdict, "bootcmd needed no second attempt")

        // The repeated entry: three checks, each recorded, each failing the same rules.
        let panic = try XCTUnwrap(night1.first { $0.product == "panic" })
        XCTAssertEqual(attempts.numbers(of: panic.key), [1, 2, 3])
        let checks = try XCTUnwrap(panic.repeatedChecks, "the repeated entry's checks are recorded")
        XCTAssertEqual(checks.verdicts, [.fail, .fail, .fail], panic.problem ?? "")
        XCTAssertEqual(checks.failures["BOOT-NO-PANIC"], 3, "\(checks.failures)")
        XCTAssertEqual(checks.failures["LNX-GRUB-CFG"], 3, "the static finding fails each check too: \(checks.failures)")
        XCTAssertEqual(panic.verdict, .fail)
        for check in 2...3 {
            let folder = QueueRunner.reportFolder(of: first.manifest.entries[1], in: dir + "/reports", check: check)
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/report.json"), "check \(check)'s report in \(folder)")
        }

        try place("boot-slowed", as: "audit.qcow2")
        try place("firewalld-enabled", as: "web.qcow2")
        _ = try writeManifest("""
            defaults: {vendor: acme, scenario: \(scenario)}
            entries:
              - {image: images/audit.qcow2, product: audit}
              - {image: images/web.qcow2, product: web, profile: waive-unchecked.yaml}
            """)
        var second = QueueRunner(manifest: try QueueManifest.load(path: manifest), history: history, host: host)
        second.jobs = 2
        second.reports = dir + "/reports"
        let events = LockedLines()
        second.progress = { events.add($0) }
        let run2 = try await second.run(resume: false)
        let lines = events.lines
        let checking = lines.indices.filter { lines[$0].hasSuffix(": checking") }
        let verdicts = lines.indices.filter { lines[$0].hasSuffix("FAIL") || lines[$0].hasSuffix("PASS") || lines[$0].hasSuffix("INCOMPLETE") }
        XCTAssertEqual(checking.count, 2, "\(lines)")
        XCTAssertLessThan(checking.sorted()[1], verdicts.min() ?? .min, "two boots ran at once: \(lines)")

        let entries = try history.entries(run: run2.runID)
        let slowed = try XCTUnwrap(entries.first { $0.product == "audit" })
        let slowedFindings = try history.findings(entry: slowed.id)
        XCTAssertEqual(slowedFindings.filter { $0.rule.hasPrefix("BOOT-") && $0.outcome == "fail" }.map(\.rule), [],
                       "slower, and no BOOT rule fails: \(slowed.problem ?? "")")
        for (name, findings) in [("slowed", slowedFindings), ("bootcmd", bootcmdFindings)] {
            let unjudged = findings.filter { $0.rule.hasPrefix("BOOT-") && $0.outcome == "could-not-check" }
            XCTAssertEqual(unjudged.map(\.rule), [], "\(name): \(unjudged.map(\.found))")
        }

        // web passed last night and fails tonight: what changed since is named,
        // the package that came with the re-upload and where its boot parted.
        let webBad = try XCTUnwrap(entries.first { $0.product == "web" })
        XCTAssertEqual(try history.findings(entry: webBad.id).first { $0.rule == "BOOT-FIREWALLD" }?.outcome, "fail")
        let investigation = try XCTUnwrap(try QueueInvestigation.investigate(history, run: run2.runID).first { $0.key == webBad.key },
                                          "the first failure is investigated")
        XCTAssertEqual(investigation.lastGoodRun, run1.runID)
        XCTAssertEqual(investigation.packages.added, ["firewalld 1.3.0-1"], "\(investigation.packages)")
        XCTAssertEqual(investigation.packages.removed, [])
        XCTAssertTrue(investigation.differences.contains { $0.hasPrefix("image sha256: ") }, "\(investigation.differences)")
        let parting = try XCTUnwrap(investigation.consoles.first, "the console parts somewhere")
        XCTAssertEqual(parting.hostname, "mkt-vm-1cpu")
        XCTAssertNotNil(parting.tonight, "tonight's line at \(parting.line) is quoted")
        let told = QueueInvestigation.text([investigation])
        XCTAssertTrue(told.contains("packages added (1): firewalld 1.3.0-1") && told.contains("parts from the last good boot at line \(parting.line)"), told)

        // The slowed boot against the first night's: the trend warns.
        let trend = try XCTUnwrap(try QueueBootTime.trend(of: slowed, in: history))
        XCTAssertEqual(trend.earlier, [auditTime])
        XCTAssertTrue(trend.slower, "\(trend.tonight) s against \(auditTime) s")
        // The other boot of the night may be slower too (its guest changed).
        let slowerKeys = try QueueBootTime.slower(in: history, run: run2.runID).map(\.key)
        XCTAssertTrue(slowerKeys.contains(slowed.key), "\(slowerKeys)")
        XCTAssertEqual(try QueueBootTime.slower(in: history, run: run1.runID).map(\.key), [], "a first night has no earlier boot to be slower than")
        XCTAssertTrue(trend.warnings(.english).contains { $0.contains("the median \(Int(auditTime)) s of 1 runs") }, "\(trend.warnings(.english))")

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
