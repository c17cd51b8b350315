import ImageGate
import ImageGateXCTest
import XCTest

/// The first-boot suite on `IMAGEGATE_IMAGE` (default: the conformant
/// fixture): one boot, one test per BOOT rule. This is the class a vendor
/// copies into their own package.
///
/// Here the facts must come over SSH (channel one), which proves that
/// channel; the boot-defect tests prove the serial one. The instance is
/// Scenarios/reboot.yaml's, rebooted once: every rule must hold on the
/// boot after the reboot as well.
final class FirstBootConformantTests: FirstBootTestCase {
    static let scenario = try! Scenario.load(path: FixtureManifest.packageRoot + "/Scenarios/reboot.yaml")

    override class var instance: InstanceMetadata { scenario.instances[0] }

    override class func configure(_ plan: inout BootPlan) {
        plan.factChannels = [.ssh]
        plan.reboot = scenario.reboot
    }

    func testTheInstanceSurvivedAReboot() async throws {
        let result = try await firstBoot()
        XCTAssertTrue(Self.scenario.reboot, "the scenario has its reboot step")
        let again = try XCTUnwrap(result.afterReboot, "rebooted after the first boot: \(result.observation.end)")
        XCTAssertEqual(again.end, .factsReceived, "\(again.end)")
        let first = try XCTUnwrap(result.observation.facts), second = try XCTUnwrap(again.facts)
        XCTAssertEqual(second.hostname, Self.scenario.instances[0].hostname)
        XCTAssertEqual(second.dataMount?.target, "/data", "/data mounted again")
        XCTAssertEqual(second.interfaces.first { $0.name == "eth0" }?.ipv4, first.interfaces.first { $0.name == "eth0" }?.ipv4, "the same address")
        XCTAssertNotNil(again.console.stages[.kernel], "a new kernel started: a real reboot")
        for finding in result.findings where finding.outcome == .pass && BootRules.catalogue.contains(where: { $0.id == finding.rule }) {
            XCTAssertTrue(finding.found.contains("again after a reboot"), "\(finding.rule): \(finding.found)")
        }
    }

    func testFactsCameOverSSH() async throws {
        let result = try await firstBoot()
        XCTAssertEqual(result.observation.facts?.channel, "ssh", "\(result.observation.end); \(result.observation.sshProblem ?? "")")
    }

    override func testBootConsole() async throws { try await super.testBootConsole() }
    override func testBootNoPanic() async throws { try await super.testBootNoPanic() }
    override func testBootNetwork() async throws { try await super.testBootNetwork() }
    override func testBootHostname() async throws { try await super.testBootHostname() }
    override func testBootDataDisk() async throws { try await super.testBootDataDisk() }
    override func testBootCloudInit() async throws { try await super.testBootCloudInit() }
    override func testBootAuditd() async throws { try await super.testBootAuditd() }
    override func testBootFirewalld() async throws { try await super.testBootFirewalld() }
}
