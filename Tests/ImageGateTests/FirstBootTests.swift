import ImageGate
import ImageGateBoot
import ImageGateXCTest
import XCTest

/// The first-boot suite on `IMAGEGATE_IMAGE` (default: the conformant
/// fixture): one boot, one test per BOOT rule. This is the class a vendor
/// copies into their own package.
///
/// Here the facts must come over SSH (channel one), which proves that
/// channel; the boot-defect tests prove the serial one. A reboot is shown
/// by `KeptRunTests` (every other rule holds again after it), so this boot
/// is the default scenario's single one.
final class FirstBootConformantTests: FirstBootTestCase {
    static let scenario = try! Scenario.load(path: FixtureManifest.packageRoot + "/Scenarios/default-linux.yaml")

    override class var instance: InstanceMetadata { scenario.instances[0] }

    override class func configure(_ plan: inout BootPlan) {
        plan.factChannels = [.ssh]
        plan.cpus = TestHardware.cpus
    }

    func testFactsCameOverSSH() async throws {
        let result = try await firstBoot()
        XCTAssertEqual(result.observation.facts?.channel, "ssh", "\(result.observation.end); \(result.observation.sshProblem ?? "")")
    }

    /// A conformant boot shows no failure class, not even one that is only
    /// evidence: a class on a healthy console would be a false alarm in
    /// every report.
    func testNoFailureClassOnAConformantBoot() async throws {
        let result = try await firstBoot()
        let named = BootFailure.named(in: result.observation.console, end: result.observation.end)
        XCTAssertEqual(named.map(\.failureClass), [], "\(named.flatMap { $0.text(.english) })")
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
