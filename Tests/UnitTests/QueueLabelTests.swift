import Foundation
@testable import ImageGate
@testable import ImageGateModel
@testable import ImageGateQueue
import TestSupport
import XCTest

/// Known failures, carried over: a label set on one night's failure is
/// inherited by the same failure on another entry and another night
/// (its instance's addresses, MAC, hostname and timestamps all different),
/// shown as KNOWN after the new failures until its last day, then as a
/// plain failure again; a verdict never changes. Through the CLI and the
/// dashboard, on a real history.
final class QueueLabelTests: XCTestCase {
    var queue: TemporaryQueue!
    var dir: String { queue.dir }
    var history: QueueHistory { queue.history }
    var manifest: QueueManifest { queue.manifest }
    let imagegate = PackageRoot.imagegate

    override func setUpWithError() throws {
        queue = try TemporaryQueue("labels", entries: [("acme", "web"), ("acme", "db"), ("globex", "app")])
    }

    override func tearDownWithError() throws { queue.remove() }

    /// The network pinned to the build host's MAC, as instance `host` saw it.
    func pinned(_ host: String, ip: String, mac: String, line: Int) -> Finding {
        Finding(rule: "BOOT-NETWORK", severity: .error, title: "Network", outcome: .fail, required: "eth0 from the metadata",
                found: "eth0 \(mac) has no address, not \(ip)/24",
                evidence: [Evidence(path: "ttyS0", line: line, "[   \(line).5] \(host) systemd-networkd[3\(line)]: eth0: MAC 52:54:00:8a:3c:11 pinned, not \(mac)")])
    }

    func panic(line: Int) -> Finding {
        Finding(rule: "BOOT-NO-PANIC", severity: .error, title: "No panic", outcome: .fail, required: "no panic", found: "kernel panic",
                evidence: [Evidence(path: "ttyS0", line: line, "[    5.4] Kernel panic - not syncing: No working init found.")])
    }

    /// One finished night: entry index → (hostname, its failures); the rest pass.
    @discardableResult
    func night(_ failing: [Int: (String, [Finding])]) throws -> Int64 {
        let run = try history.startRun(manifest)
        for (index, entry) in manifest.entries.enumerated() {
            var outcome = QueueHistory.Outcome(entry: entry, imageSize: 1, failedWith: .infrastructure)
            let (host, findings) = failing[index] ?? ("pass-\(index)", [])
            outcome.record(findings.isEmpty ? .pass : .fail)
            outcome.findings = findings
            outcome.timelines = [host: ["first byte": 0.4]]
            try history.record(outcome, run: run)
        }
        try history.endRun(run, status: .finished)
        return run
    }

    func cli(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(imagegate, ["queue"] + arguments + ["--db", dir + "/queue.sqlite"])
    }

    func day(_ offset: Int) -> String {
        String(ISO8601DateFormatter().string(from: Date().addingTimeInterval(Double(offset) * 86400)).prefix(10))
    }

    func testALabelIsCarriedToTheSameFailureElsewhereUntilItsLastDay() throws {
        let first = try night([0: ("mkt-vm-0001", [pinned("mkt-vm-0001", ip: "10.77.0.20", mac: "52:54:00:3a:10:01", line: 412)])])
        let web = manifest.entries[0].key
        // Bad input, one line each, exit 2.
        for (arguments, expected) in [
            (["label", "0123456789ab", "--note", "x"], "0123456789ab: no failure in the latest runs has this signature"),
            (["label", "\(first)/\(manifest.entries[1].key)", "--note", "x"], "the entry failed no rule"),
            (["label", "\(first)/\(web)", "--note", "x", "--until", "2026-02-30"], "--until 2026-02-30: expected a date"),
            (["label", "\(first)/\(web)", "--note", "x", "--link", "javascript:alert(1)"], "expected an http or https URL"),
            (["label", "tomorrow", "--note", "x"], "tomorrow: expected a failure signature"),
        ] {
            let refused = try cli(arguments)
            XCTAssertEqual(refused.status, 2, "\(arguments): \(refused.stdout)\(refused.stderr)")
            XCTAssertTrue(refused.stderr.contains(expected), "\(arguments): \(refused.stderr)")
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        }
        XCTAssertEqual(try cli(["labels"]).stdout, "No labels.\n")

        let labelled = try cli(["label", "\(first)/\(web)", "--note", "vendor rebuilds with cloud-init networking", "--link", "https://bugs.example/42",
                                "--until", day(1)])
        XCTAssertEqual(labelled.status, 0, labelled.stderr)
        let signature = try XCTUnwrap(history.failureSignatures(of: try XCTUnwrap(history.entries(run: first).first { $0.key == web })).first)
        XCTAssertTrue(labelled.stdout.hasPrefix("labelled \(signature.id) BOOT-NETWORK: vendor rebuilds"), labelled.stdout)

        // The next night: the same failure on another entry, its instance
        // another; and a new failure on a third. Both regressed (they
        // passed the night before), but only the new one leads the page.
        let second = try night([1: ("db-7", [pinned("db-7", ip: "172.20.5.41", mac: "52:54:00:aa:20:02", line: 398)]), 2: ("app-1", [panic(line: 77)])])
        let entries = try history.entries(run: second)
        let db = try XCTUnwrap(entries.first { $0.product == "db" }), app = try XCTUnwrap(entries.first { $0.product == "app" })
        XCTAssertEqual(try history.knownFailure(of: db)?.map(\.signature), [signature.id], "inherited without a step")
        XCTAssertNil(try history.knownFailure(of: app), "a new failure")
        XCTAssertEqual(db.verdict, .fail, "a label never changes a verdict")

        let page = try QueueDashboard.render(history, run: second, diff: QueueDiff.compare(history, after: second), language: .english, linksFrom: dir)
        let known = try XCTUnwrap(page.range(of: "<h2>Known failures (1)</h2>")), new = try XCTUnwrap(page.range(of: "<h2>Regressed tonight (1)</h2>"))
        XCTAssertLessThan(new.lowerBound, known.lowerBound, "new failures first")
        let knownTable = String(page[known.lowerBound...])
        XCTAssertTrue(knownTable.contains("KNOWN <code class=\"sig\">\(signature.id)</code> BOOT-NETWORK: vendor rebuilds with cloud-init networking"
            + " <a href=\"https://bugs.example/42\">https://bugs.example/42</a> (until \(day(1)))"), knownTable)
        XCTAssertTrue(knownTable.contains("<td class=\"fail\">FAIL <span class=\"knownmark\">KNOWN</span>"), knownTable)
        XCTAssertFalse(knownTable.contains("globex"), "the new failure is not among the known")
        // As a browser shows it.
        try page.write(toFile: dir + "/index.html", atomically: true, encoding: .utf8)
        let browser = try Shell.run("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + dir + "/index.html"])
        XCTAssertEqual(browser.status, 0, browser.stderr)
        XCTAssertTrue(browser.stdout.contains("Known failures (1)") && browser.stdout.contains("vendor rebuilds with cloud-init networking"), browser.stdout)
        let zh = try QueueDashboard.render(history, run: second, diff: QueueDiff.compare(history, after: second), language: .chinese, linksFrom: dir)
        XCTAssertTrue(zh.contains("<h2>已知失败 (1)</h2>") && zh.contains("已知 <code class=\"sig\">\(signature.id)</code>"), "in Chinese too")

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try QueueReport.json(history, run: second, diff: QueueDiff.compare(history, after: second)).utf8)) as? [String: Any])
        let jsonEntries = try XCTUnwrap(json["entries"] as? [[String: Any]])
        XCTAssertEqual(jsonEntries.compactMap { ($0["known"] as? [[String: Any]])?.first?["signature"] as? String }, [signature.id])
        XCTAssertTrue(try QueueReport.knownText(history, run: second).contains("KNOWN (1)\n  \(db.key): FAIL\n    \(signature.id) BOOT-NETWORK: vendor rebuilds"))

        let listed = try cli(["labels"]).stdout
        XCTAssertTrue(listed.hasPrefix("\(signature.id)  BOOT-NETWORK  until \(day(1))  vendor rebuilds with cloud-init networking  https://bugs.example/42\n"), listed)
        XCTAssertTrue(listed.contains("matched: run \(second)  \(db.key)  FAIL") && listed.contains("matched: run \(first)  \(web)  FAIL"), listed)

        // Past its last day, the same failure is a plain failure again.
        let bySignature = try cli(["label", signature.id, "--note", "vendor rebuilds", "--until", day(-1)])
        XCTAssertEqual(bySignature.status, 0, bySignature.stderr)
        XCTAssertNil(try history.knownFailure(of: db), "the label ended yesterday")
        XCTAssertTrue(try cli(["labels"]).stdout.contains("expired after \(day(-1))"))
        let after = try QueueDashboard.render(history, run: second, diff: QueueDiff.compare(history, after: second), language: .english, linksFrom: dir)
        XCTAssertFalse(after.contains("Known failures ("), "no known failure any more")
        XCTAssertTrue(after.contains("<h2>Regressed tonight (2)</h2>"), "both shown as tonight's regressions")
    }

    /// An entry is known only when every one of its failures is: one
    /// labelled failure beside a new one leaves it among the new.
    func testAnEntryWithOneNewFailureBesideAKnownOneIsNew() throws {
        let first = try night([2: ("app-1", [panic(line: 77)])])
        let app = try XCTUnwrap(history.entries(run: first).first { $0.product == "app" })
        try history.setLabel(try XCTUnwrap(history.failureSignatures(of: app).first), note: "known panic", link: nil, until: nil)
        let second = try night([2: ("app-2", [panic(line: 80), pinned("app-2", ip: "10.0.0.9", mac: "52:54:00:00:00:09", line: 90)])])
        let again = try XCTUnwrap(history.entries(run: second).first { $0.product == "app" })
        XCTAssertNil(try history.knownFailure(of: again))
        let third = try night([2: ("app-3", [panic(line: 81)])])
        XCTAssertEqual(try history.knownFailure(of: try XCTUnwrap(history.entries(run: third).first { $0.product == "app" }))?.map(\.note), ["known panic"],
                       "no last day: still known")
    }
}
