import Foundation
import TestSupport
@testable import ImageGate
@testable import ImageGateQueue
import XCTest

/// The review queue on fixture images: the history, comparison, retry and
/// resume on static inspections only (`boot: false`: each is the same
/// whether an entry boots or not), and what only booting entries have
/// (boots at once, repeated checks, the boot-time trend) on two nights.
final class QueueTests: XCTestCase {
    private var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "queue-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A standalone copy of a fixture at `images/NAME`.
    private func place(_ fixture: String, as name: String) throws {
        let target = dir + "/images/" + name
        try? FileManager.default.removeItem(atPath: target)
        let convert = try Shell.run("qemu-img", ["convert", "-U", "-O", "qcow2", try FixtureManifest.image(fixture), target])
        XCTAssertEqual(convert.status, 0, convert.stderr)
    }

    private func writeManifest(_ text: String) throws -> String {
        let path = dir + "/queue.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Two runs of one manifest: between them an image is re-uploaded with
    /// a defect, another's profile gains a waiver, one is removed and one
    /// added. The history holds both runs; the comparison names each change
    /// and why. In the first run, an injected infrastructure fault makes one
    /// entry's first attempt fail: it is retried and recorded as flaky, with
    /// both verdicts.
    func testTwoRunsAreComparedWithReasonsAndAFaultIsRetriedAsFlaky() async throws {
        try place("debian12-conformant", as: "web.qcow2")
        try place("swap-in-fstab", as: "db.qcow2")
        try place("debian12-conformant", as: "app.qcow2")
        try "waivers:\n  - {rule: LNX-NO-SWAP, reason: the platform accepts swap for this product}\n"
            .write(toFile: dir + "/waive-swap.yaml", atomically: true, encoding: .utf8)
        let manifest = try writeManifest("""
            defaults:
              boot: false
            entries:
              - {image: images/web.qcow2, vendor: acme, product: web, version: "1.0"}
              - {image: images/db.qcow2, vendor: globex, product: db}
              - {image: images/app.qcow2, vendor: acme, product: app}
            """)
        let history = try QueueHistory(path: dir + "/history.sqlite")
        let host = try await LibvirtHost.connect()

        var first = QueueRunner(manifest: try QueueManifest.load(path: manifest), history: history, host: host)
        let app = first.manifest.entries[2].key
        first.beforeAttempt = { key, attempt in
            if key == app, attempt == 1 { throw ImageGateError.infrastructure("injected: the host dropped the appliance") }
        }
        let run1 = try await first.run(resume: false)
        let entries1 = try history.entries(run: run1.runID)
        XCTAssertEqual(entries1.map(\.verdict), [.incomplete, .incomplete, .fail], entries1.map(\.key).description)
        let flaky = try XCTUnwrap(entries1.first { $0.key == app })
        XCTAssertEqual(flaky.flakyFirstVerdict, .error, "the first attempt's verdict is kept")
        XCTAssertEqual(flaky.firstAttemptRecord?.verdict, .error, "and the first attempt itself")
        XCTAssertTrue(flaky.firstAttemptRecord?.problem?.contains("injected: the host dropped the appliance") ?? false,
                      "\(String(describing: flaky.firstAttemptRecord))")
        XCTAssertTrue(flaky.problem?.contains("injected: the host dropped the appliance") ?? false, "\(String(describing: flaky.problem))")
        XCTAssertEqual(try history.run(run1.runID)?.status, "finished")
        // The three static phases shared one appliance; each report reads as
        // if its image had been the only disk.
        for entry in entries1 {
            let os = try history.findings(entry: entry.id).first { $0.rule == "IMG-OS" }
            XCTAssertTrue(os?.evidence.contains("on /dev/sda1") ?? false, "\(entry.key): \(String(describing: os?.evidence))")
        }
        // What each check found installed is kept for a later investigation.
        for entry in entries1 {
            XCTAssertNotNil(entry.checkedSoftware?.packages["cloud-init"], "\(entry.key): \(String(describing: entry.software?.prefix(200)))")
        }
        let dbFindings = try history.findings(entry: try XCTUnwrap(entries1.first { $0.vendor == "globex" }).id)
        XCTAssertEqual(dbFindings.first { $0.rule == "LNX-NO-SWAP" }?.outcome, "fail")
        XCTAssertTrue(dbFindings.first { $0.rule == "LNX-NO-SWAP" }?.evidence.contains("/etc/fstab") ?? false)

        // Tonight: web re-uploaded with swap in its fstab, db judged under a
        // profile that waives swap, app gone, a new image from initech.
        try place("swap-in-fstab", as: "web.qcow2")
        try place("debian12-conformant", as: "new.qcow2")
        _ = try writeManifest("""
            defaults:
              boot: false
            entries:
              - {image: images/web.qcow2, vendor: acme, product: web, version: "1.1"}
              - {image: images/db.qcow2, vendor: globex, product: db, profile: waive-swap.yaml}
              - {image: images/new.qcow2, vendor: initech, product: crm}
            """)
        var second = QueueRunner(manifest: try QueueManifest.load(path: manifest), history: history, host: host)
        second.jobs = 2
        second.reports = dir + "/site/entries"
        let run2 = try await second.run(resume: false)
        let diff = try QueueDiff.compare(history, after: run2.runID)
        XCTAssertEqual(diff.before, run1.runID)
        // Each candidate's digests, before its static phase and after it
        // (taken while the shared appliance went on), are its file's.
        for entry in try history.entries(run: run2.runID) {
            let report = try XCTUnwrap(entry.reportPath).replacingOccurrences(of: "report.html", with: "report.json")
            let image = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])["image"] as? [String: Any]
            let file = try FileDigest.sha256(entry.imagePath)
            XCTAssertEqual(entry.imageSHA256, file, entry.key)
            XCTAssertEqual(image?["sha256"] as? String, file, entry.key)
            XCTAssertEqual(image?["sha256After"] as? String, file, entry.key)
        }

        let web = try XCTUnwrap(diff.entries.first { $0.key.hasPrefix("acme/web/") })
        XCTAssertEqual(web.change, .regressed)
        XCTAssertEqual(web.rules.first { $0.rule == "LNX-NO-SWAP" }?.change, .regressed)
        XCTAssertTrue(web.reasons.contains { $0.hasPrefix("the image changed (a re-upload)") }, "\(web.reasons)")
        let db = try XCTUnwrap(diff.entries.first { $0.key.hasPrefix("globex/db/") })
        XCTAssertEqual(db.change, .fixed)
        XCTAssertEqual(db.reasons, ["the platform profile changed"])
        XCTAssertEqual(diff.entries(.removed).map(\.vendor), ["acme"])
        XCTAssertEqual(diff.entries(.new).map(\.vendor), ["initech"])
        XCTAssertTrue(diff.hasRegressions)
        let text = QueueReport.text(diff)
        XCTAssertTrue(text.contains("REGRESSED (1)") && text.contains("why: the platform profile changed"), text)

        // The history of an image, and of a vendor.
        XCTAssertEqual(try history.history(image: dir + "/images/web.qcow2").map(\.1.verdict), [.fail, .incomplete])
        XCTAssertEqual(try history.history(vendor: "acme").count, 3)

        // JUnit: a suite per image, valid against the schema.
        let junit = dir + "/queue.xml"
        try QueueReport.junit(history, run: run2.runID).write(toFile: junit, atomically: true, encoding: .utf8)
        let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", junit])
        XCTAssertEqual(lint.status, 0, lint.stderr)
        XCTAssertEqual(try String(contentsOfFile: junit, encoding: .utf8).components(separatedBy: "<testsuite ").count - 1, 3)

        // The dashboard, in a real browser, in both languages: regressions
        // first with why, each image's history strip, links that resolve.
        for language in [Language.english, .chinese] {
            let page = dir + "/site/index-\(language.rawValue).html"
            try QueueDashboard.render(history, run: run2.runID, diff: diff, language: language, linksFrom: dir + "/site")
                .write(toFile: page, atomically: true, encoding: .utf8)
            let browser = try Shell.run("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + page])
            XCTAssertEqual(browser.status, 0, browser.stderr)
            let dom = browser.stdout
            let heading = language == .english ? "Regressed tonight (1)" : "今晚退化 (1)"
            XCTAssertTrue(dom.contains(heading), "\(language): \(dom.prefix(2000))")
            XCTAssertLessThan(try XCTUnwrap(dom.range(of: heading)).lowerBound, try XCTUnwrap(dom.range(of: "globex")).lowerBound,
                              "regressions come first")
            XCTAssertTrue(dom.contains("LNX-NO-SWAP"), "the regressed rule is named")
            // Each row names what keeps its image from passing, with what was found.
            XCTAssertTrue(dom.contains("✗ <b>LNX-NO-SWAP</b> "), "the failed rule in its row")
            XCTAssertTrue(dom.contains("? <b>LNX-MONITOR-AGENT</b> "), "an error rule that could not be checked in its row")
            XCTAssertEqual(dom.components(separatedBy: "class=\"v ").count - 1, 5, "history strips: web 2, db 2, new 1")
            let links = dom.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            XCTAssertEqual(links.count, 3, "a report link per entry")
            for link in links {
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/site/" + link), "link \(link) resolves")
            }
        }
    }

    /// `imagegate queue run` killed with SIGKILL after its first entry is
    /// recorded; `--resume` finishes the same run without checking that
    /// entry again.
    func testAKilledRunResumesWhereItStopped() async throws {
        try place("debian12-conformant", as: "a.qcow2")
        try place("swap-in-fstab", as: "b.qcow2")
        try place("debian12-conformant", as: "c.qcow2")
        let manifest = try writeManifest("""
            defaults: {boot: false, vendor: acme}
            entries:
              - {image: images/, product: all}
            """)
        let database = dir + "/history.sqlite"
        let binary = FixtureManifest.packageRoot + "/.build/debug/imagegate"
        let queue = Process()
        queue.executableURL = URL(fileURLWithPath: binary)
        // One appliance per image: the kill then loses at most the entry in flight.
        queue.arguments = ["queue", "run", manifest, "--db", database, "--batch", "1", "--jobs", "1"]
        queue.standardOutput = FileHandle.nullDevice
        queue.standardError = FileHandle.nullDevice
        try queue.run()
        var recorded: [QueueHistory.Entry] = []
        for _ in 0..<600 where recorded.isEmpty {
            try await Task.sleep(for: .milliseconds(200))
            if FileManager.default.fileExists(atPath: database) {
                recorded = (try? QueueHistory(path: database).entries(run: 1)) ?? []
            }
        }
        kill(queue.processIdentifier, SIGKILL)
        queue.waitUntilExit()
        let first = try XCTUnwrap(recorded.first, "an entry was recorded before the kill")
        let history = try QueueHistory(path: database)
        XCTAssertEqual(try history.run(1)?.status, "running", "killed: never marked finished")
        XCTAssertLessThan(try history.entries(run: 1).count, 3)

        let resumed = try Shell.run(binary, ["queue", "run", manifest, "--db", database, "--resume", "--json", dir + "/run.json"])
        XCTAssertEqual(resumed.status, 1, "every image is new, and b fails: \(resumed.stderr)")
        XCTAssertTrue(resumed.stderr.contains("resuming run 1"), resumed.stderr)
        XCTAssertEqual(try history.runs().count, 1, "the same run, continued")
        XCTAssertEqual(try history.run(1)?.status, "finished")
        let entries = try history.entries(run: 1)
        XCTAssertEqual(entries.count, 3)
        XCTAssertEqual(entries.first { $0.key == first.key }?.id, first.id, "the recorded entry was not checked again")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "imagegate-queue")
        XCTAssertEqual((json["entries"] as? [Any])?.count, 3)
    }

    /// Two nights of booting entries under the one-vCPU scenario, a core
    /// per boot on this machine, two at once (`jobs` 2).
    ///
    /// The first night: a boot-defect fixture, and beside it a panicking
    /// image checked three times (`repeat: 3`: one static phase, three
    /// boots), which records each check and how often each rule failed.
    /// The second: the first image re-uploaded as the `boot-slowed` fixture
    /// (a vendor unit holds cloud-init's last stage 90 s), checked at once
    /// with another boot-defect fixture. Both verdicts are complete while
    /// the guests share the machine; the slowed boot's rules hold and the
    /// boot-time trend warns.
    func testBootingEntriesAtOnceRepeatedAndSlowedAreRecordedAsTheyBooted() async throws {
        try place("auditd-fails-to-start", as: "audit.qcow2")
        try place("init-missing", as: "panic.qcow2")
        let scenario = "\(FixtureManifest.packageRoot)/Scenarios/one-vcpu.yaml"
        let manifest = try writeManifest("""
            defaults: {vendor: acme, scenario: \(scenario)}
            entries:
              - {image: images/audit.qcow2, product: audit}
              - {image: images/panic.qcow2, product: panic, repeat: 3}
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
        try place("cloud-init-bootcmd-fails", as: "bootcmd.qcow2")
        _ = try writeManifest("""
            defaults: {vendor: acme, scenario: \(scenario)}
            entries:
              - {image: images/audit.qcow2, product: audit}
              - {image: images/bootcmd.qcow2, product: bootcmd}
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
        XCTAssertLessThan(checking.max() ?? .max, verdicts.min() ?? .min, "both boots ran at once: \(lines)")

        let entries = try history.entries(run: run2.runID)
        let slowed = try XCTUnwrap(entries.first { $0.product == "audit" }), bootcmd = try XCTUnwrap(entries.first { $0.product == "bootcmd" })
        let slowedFindings = try history.findings(entry: slowed.id)
        XCTAssertEqual(slowedFindings.filter { $0.rule.hasPrefix("BOOT-") && $0.outcome == "fail" }.map(\.rule), [],
                       "slower, and no BOOT rule fails: \(slowed.problem ?? "")")
        XCTAssertEqual(bootcmd.verdict, .fail, bootcmd.problem ?? "")
        let bootcmdFindings = try history.findings(entry: bootcmd.id)
        XCTAssertEqual(bootcmdFindings.first { $0.rule == "BOOT-CLOUD-INIT" }?.outcome, "fail")
        for (name, findings) in [("slowed", slowedFindings), ("bootcmd", bootcmdFindings)] {
            let unjudged = findings.filter { $0.rule.hasPrefix("BOOT-") && $0.outcome == "could-not-check" }
            XCTAssertEqual(unjudged.map(\.rule), [], "\(name): \(unjudged.map(\.found))")
        }
        XCTAssertNil(bootcmd.flakyFirstVerdict, "bootcmd needed no second attempt")

        // The slowed boot against the first night's: the trend warns.
        let trend = try XCTUnwrap(try QueueBootTime.trend(of: slowed, in: history))
        XCTAssertEqual(trend.earlier, [auditTime])
        XCTAssertTrue(trend.slower, "\(trend.tonight) s against \(auditTime) s")
        XCTAssertEqual(try QueueBootTime.slower(in: history, run: run2.runID).map(\.key), [slowed.key])
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

    /// The manifest is strict: unknown keys, a missing vendor, a glob that
    /// matches nothing, an entry listed twice: each one line naming the
    /// file, line and field.
    func testTheManifestIsStrict() throws {
        try Data().write(to: URL(fileURLWithPath: dir + "/images/a.qcow2"))
        func refused(_ text: String, _ expected: String, line: UInt = #line) {
            XCTAssertThrowsError(try QueueManifest.parse(text, source: "q.yaml", base: dir), line: line) { error in
                XCTAssertTrue("\(error)".hasPrefix("q.yaml:") && "\(error)".contains(expected), "\(error)", line: line)
            }
        }
        refused("entries:\n  - {image: images/a.qcow2, vendor: v, product: p, colour: red}\n", "entries[0].colour: unknown key")
        refused("entries:\n  - {image: images/a.qcow2, product: p}\n", "vendor: missing")
        refused("entries:\n  - {image: images/*.raw, vendor: v, product: p}\n", "matches no file")
        refused("entries:\n  - {image: images/a.qcow2, vendor: v, product: p}\n  - {image: images/a.qcow2, vendor: v, product: p}\n", "listed twice")
        refused("defaults: {boot: maybe}\nentries:\n  - {image: images/a.qcow2, vendor: v, product: p}\n", "defaults.boot: expected true or false")
        let ok = try QueueManifest.parse("defaults: {vendor: v}\nentries:\n  - {image: 'images/*.qcow2', product: p, service_ports: [80]}\n",
                                         source: "q.yaml", base: dir)
        XCTAssertEqual(ok.entries.map(\.image), [dir + "/images/a.qcow2"])
        XCTAssertEqual(ok.entries.first?.servicePorts, [80])
    }
}
