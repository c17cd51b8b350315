import Foundation
import ImageGate
import ImageGateInspection
import ImageGateModel
import TestSupport
import XCTest

/// `imagegate check` end to end: the conformant fixture passes the
/// reinstance scenario; a static defect and a boot defect each exit 1 and
/// every report (JUnit validated against the schema, JSON, HTML rendered in
/// headless Chromium) names the failing rule.
final class CheckTests: XCTestCase {
    private var dir = ""

    override func setUp() async throws {
        dir = NSTemporaryDirectory() + "check-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Runs the CLI (`scenario`: a shipped scenario's name, or a path);
    /// returns its exit status and output.
    func check(_ image: String, scenario: String, lang: String = "en", profile: String? = nil, extra: [String] = []) throws -> (Int32, String) {
        let binary = FixtureManifest.packageRoot + "/.build/debug/imagegate"
        let result = try FixtureManifest.withCandidate(image) { candidate in
            try Shell.run(binary, [
                "check", candidate, "--scenario", scenario.hasPrefix("/") ? scenario : FixtureManifest.packageRoot + "/Scenarios/\(scenario).yaml",
                "--junit", dir + "/junit.xml", "--json", dir + "/report.json", "--html", dir + "/report.html", "--lang", lang,
            ] + (profile.map { ["--profile", $0] } ?? []) + extra)
        }
        return (result.status, result.stdout + result.stderr)
    }

    func assertReportsName(_ rule: String, verdict: String, file: StaticString = #filePath, line: UInt = #line) throws {
        // JUnit: valid against the schema, and the rule is a failed test case.
        let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", dir + "/junit.xml"])
        XCTAssertEqual(lint.status, 0, "JUnit does not validate: \(lint.stderr)", file: file, line: line)
        let junit = try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8)
        XCTAssertTrue(junit.contains("<testcase name=\"\(rule) "), file: file, line: line)
        if verdict == "fail" {
            let cases = junit.components(separatedBy: "<testcase name=\"\(rule) ").dropFirst().map { $0.components(separatedBy: "</testcase>")[0] }
            XCTAssertTrue(cases.contains { $0.contains("<failure") }, "\(rule) is not a failed test case in JUnit", file: file, line: line)
        }
        // JSON: the verdict and the rule's outcome.
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(json["schema"] as? String, "imagegate-check", file: file, line: line)
        XCTAssertEqual(json["verdict"] as? String, verdict, file: file, line: line)
        let findings = json["findings"] as? [[String: Any]] ?? []
        let finding = findings.first { $0["rule"] as? String == rule }
        XCTAssertEqual(finding?["outcome"] as? String, verdict == "fail" ? "fail" : "pass", "\(rule) in JSON", file: file, line: line)
        // HTML: rendered by a real browser, the verdict and the rule are visible.
        let browser = try Shell.run("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + dir + "/report.html"])
        XCTAssertEqual(browser.status, 0, browser.stderr, file: file, line: line)
        XCTAssertTrue(browser.stdout.contains("Verdict: \(verdict.uppercased())"), "verdict not in the rendered page", file: file, line: line)
        XCTAssertTrue(browser.stdout.contains(rule), "\(rule) not in the rendered page", file: file, line: line)
    }

    /// The conformant fixture leaves two error rules unchecked under the
    /// default profile (manifest: conformant_unchecked); a reviewer who
    /// accepts them says so with waivers, and only then is it a PASS.
    func testConformantPassesTheReinstanceScenario() throws {
        let waivers = try FixtureManifest.load().conformantUnchecked.map { "  - {rule: \($0), reason: \"fixture: accepted for this test\"}" }
        try ("waivers:\n" + waivers.joined(separator: "\n") + "\n").write(toFile: dir + "/profile.yaml", atomically: true, encoding: .utf8)
        // The platform's two instances on its smallest hardware (one vCPU
        // each): on a machine of two cores they boot side by side, the
        // first beside the static phase's appliance.
        let reinstance = try String(contentsOfFile: FixtureManifest.packageRoot + "/Scenarios/reinstance.yaml", encoding: .utf8)
        try (reinstance + "hardware:\n  cpus: 1\n  memory_mib: 1024\n").write(toFile: dir + "/reinstance.yaml", atomically: true, encoding: .utf8)
        let (status, output) = try check("debian12-conformant", scenario: dir + "/reinstance.yaml", profile: dir + "/profile.yaml")
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("VERDICT: PASS"), output)
        try assertReportsName("BOOT-REINSTANCE", verdict: "pass")
        let json = try String(contentsOfFile: dir + "/report.json", encoding: .utf8)
        XCTAssertTrue(json.contains("mkt-vm-0001") && json.contains("mkt-vm-0002"), "both instances reported")
        // The candidate's digest, before and after: equal.
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let image = try XCTUnwrap(report["image"] as? [String: Any])
        let before = try XCTUnwrap(image["sha256"] as? String), after = try XCTUnwrap(image["sha256After"] as? String)
        XCTAssertEqual(before.count, 64)
        XCTAssertEqual(before, after)
    }

    /// A static defect fails the check on its own; with --no-boot nothing
    /// is started, and every BOOT rule says it was not checked and why.
    func testStaticDefectFailsTheCheck() throws {
        let (status, output) = try check("ssh-host-keys", scenario: "default-linux", extra: ["--no-boot"])
        XCTAssertEqual(status, 1, output)
        try assertReportsName("SEC-SSH-HOST-KEYS", verdict: "fail")
        let report = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json")))
        XCTAssertEqual(report.instances.count, 0, "nothing booted")
        XCTAssertEqual(report.catalogueDigest, RuleCatalogue.digest, "the report names the rule catalogue it was judged by")
        // The commit is the checkout's own, as git names it.
        let head = try Shell.run("git", ["-C", FixtureManifest.packageRoot, "rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(head.count, 40, "the checkout is a git clone")
        XCTAssertTrue(report.commit?.hasPrefix(head) == true, "the report names the commit \(head): \(report.commit ?? "none")")
        let version = try Shell.run(FixtureManifest.packageRoot + "/.build/debug/imagegate", ["--version"])
        XCTAssertTrue(version.stdout.hasPrefix("\(ImageGateVersion.current) (commit \(head.prefix(12))"), version.stdout)
        XCTAssertTrue(version.stdout.contains("rule catalogue \(RuleCatalogue.digest.prefix(12)))"), version.stdout)
        for finding in report.findings where finding.rule.hasPrefix("BOOT-") && finding.rule != "BOOT-SERVICE-PORTS" && finding.rule != "BOOT-REINSTANCE" {
            XCTAssertEqual(finding.outcome, .couldNotCheck, finding.rule)
            XCTAssertTrue(finding.found.contains("static inspection only"), "\(finding.rule): \(finding.found)")
        }
    }

    func testTheJUnitSchemaRejectsABrokenReport() throws {
        try "<testsuites><testsuite name=\"x\" tests=\"1\"><testcase name=\"a\"/></testsuite></testsuites>"
            .write(toFile: dir + "/junit.xml", atomically: true, encoding: .utf8)
        let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", dir + "/junit.xml"])
        XCTAssertNotEqual(lint.status, 0, "a testcase without classname must not validate")
    }
}
