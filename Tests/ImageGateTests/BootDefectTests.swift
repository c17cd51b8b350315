import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import ImageGateXCTest
import TestSupport
import XCTest

/// Boot-defect fixtures: each fails its expected BOOT rule with the right
/// evidence, and no VM or run file is left behind afterwards.
final class BootDefectTests: XCTestCase {
    override func tearDown() async throws {
        BootLeftovers.assertNone()
    }

    func boot(_ name: String, postMortem: BootOptions.PostMortemWhen = .onFailure) async throws -> BootResult {
        try await FixtureManifest.withCandidate(name) { try await FirstBootTestCase.boot($0, postMortem: postMortem) { $0.cpus = TestHardware.cpus } }
    }

    func assertFails(_ result: BootResult, _ rule: String, evidence: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let finding = result.finding(rule) else { return XCTFail("no \(rule)", file: file, line: line) }
        XCTAssertEqual(finding.outcome, .fail, "\(rule): \(finding.found)", file: file, line: line)
        XCTAssertTrue(finding.evidence.contains { $0.text.contains(evidence) },
                      "\(rule) evidence lacks '\(evidence)': \(finding.evidence)", file: file, line: line)
        XCTAssertNotNil(finding.fix, file: file, line: line)
    }

    func testNICPinnedToTheBuildHostsMACFailsNetwork() async throws {
        let result = try await boot("nic-pinned-mac")
        assertFails(result, "BOOT-NETWORK", evidence: "eth0 \(result.plan.instance.mac)")
        XCTAssertTrue(result.finding("BOOT-NETWORK")!.found.contains("not \(result.plan.instance.ip)/24"), result.finding("BOOT-NETWORK")!.found)
        XCTAssertEqual(result.finding("BOOT-HOSTNAME")?.outcome, .pass, "only the network is pinned")
        // With the network broken, the facts came over channel two.
        XCTAssertEqual(result.observation.facts?.channel, "serial console (ttyS0)")
        // The Diagnosis, read from the stopped disk: the network
        // configuration the guest really has, matched to another MAC.
        let diagnosis = try diagnosis("BOOT-NETWORK", of: result)
        XCTAssertTrue(diagnosis.excerpts.contains { $0.source == "/etc/systemd/network/10-build-eth0.network" && $0.text == "MACAddress=52:54:00:8a:3c:11" },
                      "\(diagnosis.excerpts)")
        XCTAssertTrue(diagnosis.excerpts.contains { $0.source == "/var/log/cloud-init.log" && $0.text.contains("network config is disabled") },
                      "\(diagnosis.excerpts)")
    }

    /// The Diagnosis of `rule`, from the boot's post-mortem.
    func diagnosis(_ rule: String, of result: BootResult) throws -> Diagnosis {
        let postMortem = try XCTUnwrap(result.postMortem, "a failed boot is read post-mortem")
        XCTAssertEqual(postMortem.problems, [])
        return try XCTUnwrap(Diagnosis.diagnose(result.findings, from: postMortem).first { $0.rule == rule }, "no Diagnosis of \(rule)")
    }

    func testFstabWithoutNofailDropsToEmergencyMode() async throws {
        let result = try await boot("fstab-data-disk-no-nofail")
        assertFails(result, "BOOT-NO-PANIC", evidence: "emergency mode")
        guard case .fatal = result.observation.end else { return XCTFail("the boot should end at the emergency line: \(result.observation.end)") }
        // The guest's journal, flushed by SysRq before the VM was
        // destroyed, names the mount unit that failed and why; what
        // ImageGate's SysRq itself logged is not part of it.
        let diagnosis = try diagnosis("BOOT-NO-PANIC", of: result)
        XCTAssertTrue(diagnosis.excerpts.contains { $0.source == "journal" && $0.text.contains("Dependency failed for data.mount") }, "\(diagnosis.excerpts)")
        XCTAssertTrue(diagnosis.excerpts.contains { $0.source == "journal" && $0.text.contains("Timed out waiting for device") && $0.text.contains("vdb1") },
                      "\(diagnosis.excerpts)")
        XCTAssertFalse(diagnosis.excerpts.contains { $0.text.contains("sysrq") }, "\(diagnosis.excerpts)")
        XCTAssertTrue(diagnosis.excerpts.contains { $0.source == "/etc/fstab" && $0.text.contains("/data") }, "\(diagnosis.excerpts)")
    }

    /// The image's cloud-init never speaks: judged once the silence after
    /// the login prompt outlasts its deadline, here 30 s instead of the
    /// default's 20 s times the TCG multiplier (the verdict, not the
    /// length of the wait, is what this test is about).
    func testCloudInitDisabledFailsHostnameAndCloudInit() async throws {
        let result = try await FixtureManifest.withCandidate("cloud-init-disabled") {
            try await FirstBootTestCase.boot($0, postMortem: .never) {
                $0.deadlines.cloudInitSilence = 30
                $0.cpus = TestHardware.cpus
            }
        }
        if case let .cloudInitSilent(seconds) = result.observation.end { XCTAssertEqual(seconds, 30) } else { XCTFail("\(result.observation.end)") }
        assertFails(result, "BOOT-HOSTNAME", evidence: "login:")
        XCTAssertEqual(result.finding("BOOT-CLOUD-INIT")?.outcome, .fail, result.finding("BOOT-CLOUD-INIT")!.found)
        // The data disk, read back by ImageGate: nothing made on it.
        assertFails(result, "BOOT-DATA-DISK", evidence: "nothing was made on it")
        XCTAssertEqual(result.finding("BOOT-DATA-DISK")?.evidence.first?.origin, .observed)
    }

    /// A vendor unit prints ImageGate's facts markers itself, recorded and
    /// built from the seed with the probe's nonce, before cloud-init
    /// finishes: BOOT-CONSOLE names the forgery, and the facts judged are
    /// the probe's own block, with the guest's real hostname.
    func testFactsTheImagePrintsItselfFailAndAreNotJudged() async throws {
        let result = try await boot("facts-forged", postMortem: .never)
        let console = try XCTUnwrap(result.finding("BOOT-CONSOLE"))
        XCTAssertEqual(console.outcome, .fail, console.found)
        XCTAssertTrue(console.found.contains("printed ImageGate's facts markers itself"), console.found)
        let standings = result.observation.factsBlocks?.blocks.map(\.standing) ?? []
        XCTAssertEqual(standings, [.noNonce, .beforeCloudInit, .accepted], "\(standings)")
        XCTAssertEqual(result.observation.facts?.hostname, result.plan.instance.hostname)
        XCTAssertTrue(result.failed)
        // The probe's facts, held against what ImageGate saw itself.
        let disk = try XCTUnwrap(result.finding("BOOT-DATA-DISK"))
        XCTAssertEqual(disk.outcome, .pass, disk.found)
        XCTAssertTrue(disk.evidence.contains { $0.origin == .observed && $0.text.contains("ext4") && $0.text.contains("label 'data'") }, "\(disk.evidence)")
        let network = try XCTUnwrap(result.finding("BOOT-NETWORK"))
        XCTAssertEqual(network.outcome, .pass, network.found)
        XCTAssertTrue(network.evidence.contains { $0.origin == .observed && $0.text.contains("SSH-2.0") }, "\(network.evidence)")
    }

    /// cloud-init told to use no datasource runs and finishes, and never
    /// reads the seed: judged at its finished line, naming the datasource,
    /// not at a deadline.
    func testCloudInitWithNoDatasourceFailsAtItsFinishedLine() async throws {
        let result = try await boot("cloud-init-no-datasource", postMortem: .never)
        guard case let .foreignDatasource(name) = result.observation.end else { return XCTFail("\(result.observation.end)") }
        XCTAssertEqual(name, "DataSourceNone")
        let finished = try XCTUnwrap(result.observation.console.stages[.cloudInitFinished])
        XCTAssertLessThan(result.observation.endedAt - finished.seconds, 60)
        let cloudInit = try XCTUnwrap(result.finding("BOOT-CLOUD-INIT"))
        XCTAssertEqual(cloudInit.outcome, .fail)
        XCTAssertTrue(cloudInit.found.contains("DataSourceNone"), cloudInit.found)
        assertFails(result, "BOOT-DATA-DISK", evidence: "nothing was made on it")
        for finding in result.findings where finding.outcome == .couldNotCheck {
            XCTAssertFalse(finding.found.contains("no kernel"), "\(finding.rule): \(finding.found)")
        }
    }

    /// The panic (or the missing root before it) ends the watch within
    /// the console's quiet tail (at most 3 s), and the boot returns soon
    /// after: nothing waits for a deadline or a shutdown. Timed from the
    /// watch's own start (the first byte's arrival less its mark), so the
    /// image's hashing and the VM's start, slow on a loaded host, are not
    /// counted.
    func testKernelPanicEndsTheBootWithinSecondsOfThePanicLine() async throws {
        let firstByte = FirstByteArrival()
        var request = BootRequest(instance: .fresh())
        request.options.postMortem = .never  // the verdict is what is timed
        request.progress = { if case let .stage(.firstByte, seconds) = $0 { firstByte.record(mark: seconds) } }
        let result = try await FixtureManifest.withCandidate("init-missing") { path in
            let image = try await ImageFile.validate(path)
            return try await LibvirtHost.with { try await request.run(image, on: $0) }
        }
        let returned = ContinuousClock.now
        assertFails(result, "BOOT-NO-PANIC", evidence: "Kernel panic")
        guard case let .fatal(hit) = result.observation.end else { return XCTFail("\(result.observation.end)") }
        let watchStarted = try XCTUnwrap(firstByte.watchStarted)
        let seen = result.observation.endedAt - hit.mark.seconds
        let afterTheWatch = (returned - watchStarted).seconds - result.observation.endedAt
        XCTAssertLessThan(seen, 3 + 1.5, "the watch ended \(seen) s after the panic line")
        XCTAssertLessThan(afterTheWatch, 5, "the boot returned \(afterTheWatch) s after its watch ended")
    }

    /// `imagegate boot` writes the same reports as `check`.
    func testBootCommandWritesTheReports() throws {
        let dir = NSTemporaryDirectory() + "boot-reports-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try FixtureManifest.withCandidate("init-missing") { candidate in
            try Shell.run(FixtureManifest.packageRoot + "/.build/debug/imagegate", [
                "boot", candidate, "--lang", "en", "--json", dir + "/r.json", "--junit", dir + "/j.xml", "--html", dir + "/r.html",
                "--post-mortem", "never",  // the reports are the point, not the Diagnosis
            ])
        }
        XCTAssertEqual(run.status, 1, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("VERDICT: FAIL"), run.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as? [String: Any])
        XCTAssertEqual(json["verdict"] as? String, "fail")
        XCTAssertEqual((json["instances"] as? [Any])?.count, 1)
        let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", dir + "/j.xml"])
        XCTAssertEqual(lint.status, 0, lint.stderr)
        let html = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        XCTAssertTrue(html.contains("BOOT-NO-PANIC") && html.contains("class=\"hit\""), "the panic line is highlighted")
    }

    /// `imagegate check --bundle` on a failing image, reported in Chinese
    /// (HTML and JUnit too): the bundle holds the plan, the seed, the
    /// domain XML, the console, what the guest wrote and the reports, not
    /// the image; `imagegate replay` refuses another image, and on a fresh
    /// state folder boots the same instance (same MAC, instance-id) to the
    /// same outcome for every rule.
    func testABundleReplaysToTheSameOutcomesAndRefusesAnotherImage() throws {
        let dir = NSTemporaryDirectory() + "bundle-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let imagegate = FixtureManifest.packageRoot + "/.build/debug/imagegate", bundle = dir + "/support case.tar.gz"
        try FixtureManifest.withCandidate("init-missing") { candidate in
            let arguments = ["check", candidate, "--lang", "zh", "--json", dir + "/recorded.json", "--html", dir + "/report.html",
                             "--junit", dir + "/junit.xml", "--bundle", bundle]
            let check = try Shell.run(imagegate, arguments)
            XCTAssertEqual(check.status, 1, check.stdout + check.stderr)
            // The reviewers' language: the verdict and the rule in Chinese,
            // the panic line highlighted; the JUnit report carries the
            // console log and validates.
            let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
            XCTAssertTrue(html.contains("审核结论: 不通过"), "Chinese verdict")
            XCTAssertTrue(html.contains("BOOT-NO-PANIC") && html.contains("无内核崩溃或紧急模式"), "the rule in Chinese")
            XCTAssertTrue(html.contains("class=\"hit\""), "the panic line is highlighted in the console log")
            XCTAssertTrue(try String(contentsOfFile: dir + "/junit.xml", encoding: .utf8).contains("Kernel panic"), "the console log is in JUnit")
            let lint = try Shell.run("xmllint", ["--noout", "--schema", FixtureManifest.packageRoot + "/Tests/Schemas/junit.xsd", dir + "/junit.xml"])
            XCTAssertEqual(lint.status, 0, lint.stderr)

            let recorded = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/recorded.json")))
            let instance = try XCTUnwrap(recorded.instances.first)
            let members = try Shell.run("tar", ["-tzf", bundle]).stdout.split(separator: "\n").map(String.init)
            let folder = "imagegate-bundle/instances/\(instance.hostname)/"
            for member in ["bundle.json", "scenario.yaml", "report.json", "report.html"].map({ "imagegate-bundle/" + $0 })
                + ["console.log", "domain.xml", "seed/user-data", "seed/meta-data", "seed/network-config", "post-mortem/problems.txt"].map({ folder + $0 }) {
                XCTAssertTrue(members.contains(member), "\(member) in \(members)")
            }
            XCTAssertFalse(members.contains { $0.hasSuffix(".qcow2") }, "the image is not in the bundle")
            let manifest = try JSONDecoder().decode(ReproductionBundle.Manifest.self,
                                                    from: Data(try Shell.run("tar", ["-xzOf", bundle, "imagegate-bundle/bundle.json"]).stdout.utf8))
            XCTAssertEqual(manifest.imageSHA256, String(try Shell.run("sha256sum", [candidate]).stdout.prefix(64)))
            XCTAssertEqual(Array(manifest.command.dropFirst()), arguments)
            let scenario = try Shell.run("tar", ["-xzOf", bundle, "imagegate-bundle/scenario.yaml"]).stdout
            XCTAssertTrue(scenario.contains("instance_id: \"\(try XCTUnwrap(instance.instanceID))\""), scenario)

            // Another image: refused, one line naming it and both digests.
            try FixtureManifest.withCandidate("machine-id-set") { other in
                let refused = try Shell.run(imagegate, ["replay", bundle, "--image", other])
                XCTAssertEqual(refused.status, 2, refused.stdout + refused.stderr)
                XCTAssertTrue(refused.stderr.contains("\(other): sha256 ") && refused.stderr.contains("is not the bundle's image"), refused.stderr)
                XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
            }
            // The same image on a fresh state folder: the same instance, the same outcomes.
            // Short: QEMU's monitor socket path in it must fit a sockaddr_un.
            let state = NSTemporaryDirectory() + "igs-" + UUID().uuidString.prefix(6)
            defer { try? FileManager.default.removeItem(atPath: state) }
            // (No post-mortem: it changes no outcome, and the recording's was read above.)
            let replay = try Shell.run(imagegate, ["replay", bundle, "--image", candidate, "--lang", "en", "--json", dir + "/replayed.json",
                                                   "--post-mortem", "never"],
                                       environment: ["IMAGEGATE_STATE_DIR": state, "IMAGEGATE_ACCEL": recorded.accelerator.rawValue])
            XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
            XCTAssertTrue(replay.stdout.contains("Every rule has the outcome it had when recorded."), replay.stdout)
            let replayed = try JSONDecoder().decode(CheckReport.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/replayed.json")))
            XCTAssertEqual(replayed.findings.map(\.outcome), recorded.findings.map(\.outcome))
            XCTAssertEqual(replayed.instances.map(\.mac), recorded.instances.map(\.mac))
            XCTAssertEqual(replayed.instances.map(\.instanceID), recorded.instances.map(\.instanceID))
            XCTAssertTrue(FileManager.default.fileExists(atPath: state + "/runs"), "the replay ran in the fresh state folder")
        }
    }
}

/// When the console's first byte was seen, and its mark: the watch began
/// that many seconds earlier.
private final class FirstByteArrival: @unchecked Sendable {
    private let lock = NSLock()
    private var started: ContinuousClock.Instant?

    func record(mark seconds: Double) {
        let now = ContinuousClock.now
        lock.withLock { started = started ?? now - .milliseconds(Int(seconds * 1000)) }
    }

    var watchStarted: ContinuousClock.Instant? { lock.withLock { started } }
}
