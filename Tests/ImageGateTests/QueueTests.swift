import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// The review queue on fixture images, on static inspections only
/// (`boot: false`: each is the same whether an entry boots or not): the
/// history, comparison, labels, retry and resume. What only booting
/// entries have is `QueueNightTests`'.
final class QueueTests: QueueTestCase {
    /// The dashboard of `run` written to `site/PAGE-LANGUAGE.html`, as
    /// headless Chromium reads it (its DOM).
    private func dashboard(_ history: QueueHistory, run: Int64, diff: QueueDiff, language: Language, page: String) throws -> String {
        let file = dir + "/site/\(page)-\(language.rawValue).html"
        try QueueDashboard.render(history, run: run, diff: diff, language: language, linksFrom: dir + "/site")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let browser = try Shell.run("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + file])
        XCTAssertEqual(browser.status, 0, browser.stderr)
        return browser.stdout
    }

    /// `imagegate queue label TARGET` on this test's history, as a reviewer runs it.
    private func label(_ target: String, until: String) throws -> Shell.Result {
        try Shell.run(PackageRoot.imagegate, ["queue", "label", target, "--note", "swap accepted on this line, vendor ticket 4411",
                                              "--link", "https://tracker.example/IG-42", "--until", until, "--db", dir + "/history.sqlite"])
    }

    /// The day (YYYY-MM-DD, UTC) `days` after the one run `id` started on.
    private func day(of id: Int64, in history: QueueHistory, plus days: Int) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        let started = try XCTUnwrap(formatter.date(from: String(try XCTUnwrap(try history.run(id)).startedAt.prefix(10))))
        return formatter.string(from: started.addingTimeInterval(Double(days) * 86_400))
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
        first.check = { check in
            if check.entry.key == app, check.attempt == 1 { throw ImageGateError.infrastructure("injected: the host dropped the appliance") }
            return try await EntryCheck.real(check)
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
        XCTAssertEqual(try history.run(run1.runID)?.status, .finished)
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

        // A reviewer labels db's failure as known, until the day after.
        let dbEntry = try XCTUnwrap(entries1.first { $0.vendor == "globex" })
        let signature = try XCTUnwrap(try history.failureSignatures(of: dbEntry).first)
        let labelled = try label("\(run1.runID)/\(dbEntry.key)", until: try day(of: run1.runID, in: history, plus: 1))
        XCTAssertEqual(labelled.status, 0, labelled.stderr)
        XCTAssertTrue(labelled.stdout.contains("labelled \(signature.id) LNX-NO-SWAP"), labelled.stdout)

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

        // Tonight web fails as db did last night: it inherits the label, with
        // no step, and is KNOWN, listed after the new failures; its verdict
        // stays FAIL.
        let webTonight = try XCTUnwrap(try history.entries(run: run2.runID).first { $0.key == web.key })
        XCTAssertEqual(webTonight.verdict, .fail)
        XCTAssertEqual(try history.knownFailure(of: webTonight)?.map(\.signature), [signature.id])
        let knownText = try QueueReport.knownText(history, run: run2.runID)
        XCTAssertTrue(knownText.contains("KNOWN (1)") && knownText.contains("vendor ticket 4411"), knownText)
        for language in [Language.english, .chinese] {
            let dom = try dashboard(history, run: run2.runID, diff: diff, language: language, page: "known")
            let (known, notPassing, regressed) = language == .english
                ? ("Known failures (1)", "Not passing, by vendor (2)", "Regressed tonight (")
                : ("已知失败 (1)", "未通过（按厂商） (2)", "今晚退化 (")
            XCTAssertFalse(dom.contains(regressed), "\(language): a known failure is no new regression")
            let knownHeading = try XCTUnwrap(dom.range(of: known), "\(language): \(dom.prefix(3000))").lowerBound
            XCTAssertLessThan(try XCTUnwrap(dom.range(of: notPassing), "\(language)").lowerBound, knownHeading, "new failures first")
            XCTAssertGreaterThan(try XCTUnwrap(dom.range(of: "vendor ticket 4411")).lowerBound, knownHeading, "the note in the known row")
            XCTAssertTrue(dom.contains("href=\"https://tracker.example/IG-42\""), "the tracker link")
            XCTAssertTrue(dom.contains("<span class=\"knownmark\">"), "the row is marked")
        }
        // After the label's last day, the same failure is a plain one again.
        let expired = try label(signature.id, until: try day(of: run2.runID, in: history, plus: -1))
        XCTAssertEqual(expired.status, 0, expired.stderr)
        XCTAssertNil(try history.knownFailure(of: webTonight))
        XCTAssertEqual(try QueueReport.knownText(history, run: run2.runID), "")

        // The dashboard, in a real browser, in both languages: regressions
        // first with why, each image's history strip, links that resolve.
        for language in [Language.english, .chinese] {
            let dom = try dashboard(history, run: run2.runID, diff: diff, language: language, page: "index")
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
        XCTAssertEqual(try history.run(1)?.status, .running, "killed: never marked finished")
        XCTAssertLessThan(try history.entries(run: 1).count, 3)

        let resumed = try Shell.run(binary, ["queue", "run", manifest, "--db", database, "--resume", "--json", dir + "/run.json"])
        XCTAssertEqual(resumed.status, 1, "every image is new, and b fails: \(resumed.stderr)")
        XCTAssertTrue(resumed.stderr.contains("resuming run 1"), resumed.stderr)
        XCTAssertEqual(try history.runs().count, 1, "the same run, continued")
        XCTAssertEqual(try history.run(1)?.status, .finished)
        let entries = try history.entries(run: 1)
        XCTAssertEqual(entries.count, 3)
        XCTAssertEqual(entries.first { $0.key == first.key }?.id, first.id, "the recorded entry was not checked again")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "imagegate-queue")
        XCTAssertEqual((json["entries"] as? [Any])?.count, 3)
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
