import Foundation
import ImageGate
import ImageGateModel
import TestSupport
import XCTest

/// The whole gate as a vendor runs it: a package of the vendor's own beside
/// the checkout (`.build/vendor-package`), depending on ImageGate by path,
/// whose test target is the three-line Swift Testing file of the README
/// (and the XCTest form, compiled). Its tests run as `swift test` runs them,
/// without `LIBVIRT_LOG_OUTPUTS` (make sets it), on a static-defect fixture
/// (the conformant image with one defect, so every other rule is the
/// conformant image's) under the conformant fixture's scenario (its two
/// waivers), while `imagegate check --no-boot` judges the same image. (The
/// conformant image's own check passing is `CheckTests`'; one more boot here
/// would cost CI minutes it does not have.)
final class VendorPackageTests: XCTestCase {
    let root = PackageRoot.path
    var package: String { root + "/.build/vendor-package" }
    var work = ""

    override func setUp() async throws {
        work = NSTemporaryDirectory() + "vendor-gate-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(atPath: work)
    }

    /// Writes `text` to `path` unless it is there already (an unchanged
    /// package rebuilds nothing).
    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if (try? String(contentsOfFile: path, encoding: .utf8)) == text { return }  // absent or other: written below
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func makePackage() throws {
        let identity = URL(fileURLWithPath: root).lastPathComponent.lowercased()
        try write("""
            // swift-tools-version:6.0
            import PackageDescription
            let package = Package(
                name: "VendorImage",
                dependencies: [.package(path: "\(root)")],
                targets: [.testTarget(name: "GateTests", dependencies: [
                    .product(name: "ImageGateTesting", package: "\(identity)"),
                    .product(name: "ImageGateXCTest", package: "\(identity)"),
                ])]
            )
            """, to: package + "/Package.swift")
        try write("""
            import ImageGateTesting
            import Testing
            @Test(arguments: GateRule.all) func gate(_ rule: GateRule) async throws { try await rule.check() }
            """, to: package + "/Tests/GateTests/GateTests.swift")
        try write("""
            import ImageGateXCTest
            final class VendorImageGateTests: GateTestCase {
                override func testGate() async throws { try await super.testGate() }
            }
            """, to: package + "/Tests/GateTests/GateXCTests.swift")
    }

    /// The vendor's test binary run as `swift test` runs its Swift Testing
    /// tests, on `image`; `artifacts` gets the shared check's reports.
    func gate(_ image: String, artifacts: String) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: package + "/.build/debug/VendorImagePackageTests.xctest")
        process.arguments = ["--testing-library", "swift-testing"]
        var environment = ProcessInfo.processInfo.environment
        environment["LIBVIRT_LOG_OUTPUTS"] = nil
        environment["IMAGEGATE_TRACE"] = nil
        environment["IMAGEGATE_IMAGE"] = image
        environment["IMAGEGATE_SCENARIO"] = root + "/Tests/Scenarios/conformant-fixture.yaml"
        environment["IMAGEGATE_ARTIFACTS"] = artifacts
        environment["LANG"] = "C.UTF-8"
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: package)
        return process
    }

    /// Runs the processes at once, each one's output in files of its own;
    /// each one's status, stdout and stderr.
    func runTogether(_ processes: [Process]) async throws -> [(status: Int32, out: String, err: String)] {
        var files: [(String, String)] = []
        for (index, process) in processes.enumerated() {
            let out = work + "/run-\(index).out", err = work + "/run-\(index).err"
            FileManager.default.createFile(atPath: out, contents: nil)
            FileManager.default.createFile(atPath: err, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: out)
            process.standardError = FileHandle(forWritingAtPath: err)
            process.standardInput = FileHandle.nullDevice
            try process.run()
            files.append((out, err))
        }
        var results: [(Int32, String, String)] = []
        for (process, (out, err)) in zip(processes, files) {
            while process.isRunning { try await Task.sleep(for: .milliseconds(500)) }
            results.append((process.terminationStatus, try String(contentsOfFile: out, encoding: .utf8), try String(contentsOfFile: err, encoding: .utf8)))
        }
        return results
    }

    /// The rules whose test case recorded an issue, from Swift Testing's lines.
    func failedCases(_ output: String) -> Set<String> {
        Set(output.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("recorded an issue with 1 argument rule → ") else { return nil }
            return line.components(separatedBy: "rule → ").last?.split(separator: " ").first.map(String.init)
        })
    }

    func testTheThreeLineFileJudgesEveryRuleOnOneCheckAsImagegateCheckDoes() async throws {
        try makePackage()
        let build = try Shell.run("swift", ["build", "--build-tests", "--package-path", package])
        XCTAssertEqual(build.status, 0, "the vendor's package builds: \(build.stdout.suffix(3000)) \(build.stderr.suffix(3000))")
        guard build.status == 0 else { return }

        try await FixtureManifest.withCandidate("ssh-host-keys") { defect in
            let cli = Process()
            cli.executableURL = URL(fileURLWithPath: PackageRoot.imagegate)
            cli.arguments = ["check", defect, "--no-boot", "--scenario", root + "/Tests/Scenarios/conformant-fixture.yaml", "--json", work + "/cli.json"]
            let runs = try await runTogether([gate(defect, artifacts: work + "/defect"), cli])
            let rules = TestSuiteCheck.rules.map(\.id)

            do {
                let (run, name) = (runs[0], "defect")
                // One test case per rule, and not one of libvirt's own log lines.
                XCTAssertTrue(run.err.contains("with \(rules.count) test cases"), "\(name): \(run.err.suffix(2000))")
                for libvirtLine in [" info : ", " warning : ", " error : ", "tainted", "security driver"] {
                    XCTAssertFalse(run.out.contains(libvirtLine) || run.err.contains(libvirtLine), "\(name): libvirt's log in the test's output")
                }
                // One check: one inspection's report, one boot (one console log for the scenario's one instance).
                let report = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/\(name)/check/report.json")))
                XCTAssertNotNil(report.staticInspection, name)
                XCTAssertEqual(report.instances.count, 1, name)
                let consoles = try FileManager.default.contentsOfDirectory(atPath: work + "/\(name)").filter { $0.hasSuffix("-console.log") }
                XCTAssertEqual(consoles.count, 1, "\(name): one boot, \(consoles)")
                // The failed cases are exactly the rules the check's verdict holds against the image.
                let blocking = Set(rules.filter { if case .failed = TestSuiteCheck.judgement(of: $0, in: report) { return true } else { return false } })
                XCTAssertEqual(failedCases(run.err), blocking, name)
                // The check's JUnit beside it: a test case for every rule the check judged (a rule
                // judged both statically and at boot has one in each suite).
                let junit = try String(contentsOfFile: work + "/\(name)/check/junit.xml", encoding: .utf8)
                let cases = Set(junit.components(separatedBy: "<testcase name=\"").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) })
                XCTAssertEqual(cases, Set(report.findings.map(\.rule)), name)
            }
            // Every rule but the defect's passes; the defect's fails with its evidence and fix.
            XCTAssertNotEqual(runs[0].status, 0)
            XCTAssertEqual(failedCases(runs[0].err), ["SEC-SSH-HOST-KEYS"], runs[0].err.suffix(3000).description)
            XCTAssertTrue(runs[0].err.contains("with \(rules.count) test cases failed after"), runs[0].err.suffix(500).description)
            XCTAssertTrue(runs[0].err.contains("with 1 issue"), runs[0].err.suffix(500).description)
            XCTAssertTrue(runs[0].err.contains("at /etc/ssh/ssh_host_ed25519_key: present"), runs[0].err.suffix(3000).description)
            XCTAssertTrue(runs[0].err.contains("fix:      rm -f /etc/ssh/ssh_host_*"), runs[0].err.suffix(3000).description)

            // The static findings are imagegate check's, rule for rule.
            XCTAssertEqual(runs[1].status, 1, runs[1].err)
            let cliReport = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/cli.json")))
            let gateReport = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/defect/check/report.json")))
            func staticOutcomes(_ report: CheckReport) -> [String: Outcome] {
                Dictionary(uniqueKeysWithValues: report.findings.filter { !$0.rule.hasPrefix("BOOT-") }.map { ($0.rule, $0.outcome) })
            }
            XCTAssertEqual(staticOutcomes(gateReport), staticOutcomes(cliReport))
            XCTAssertFalse(staticOutcomes(cliReport).isEmpty)
        }
    }
}
