import Foundation
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel
import XCTest

/// A bundle arrives from a vendor: it gives the plan's identity, never the
/// policy it is judged under.
final class ReplayPolicyTests: XCTestCase {
    let caps = ReplayPolicy.Caps(instances: 4, cpus: 2, memoryMiB: 4096, dataDiskBytes: 256 << 30)

    func scenario(_ extra: String, hardware: String = "{cpus: 2, memory_mib: 1024}") throws -> Scenario {
        try Scenario.parse("""
            name: crafted
            hardware: \(hardware)
            instances:
              - hostname: mkt-a
                mac: "52:54:00:3a:50:01"
                ip: 10.77.0.50
            \(extra)
            """, source: "bundle.tar.gz:scenario.yaml")
    }

    func testLimitsWaiversAndDeadlinesOfTheBundleAreNotApplied() throws {
        let recorded = try scenario("""
            waivers:
              - rule: SEC-MACHINE-ID
                reason: trust me
            timeouts: {boot_seconds: 7200}
            """)
        let raised = try PlatformProfile.parse("""
            waivers:
              - rule: BOOT-HOSTNAME
                reason: trust me too
            limits: {max_virtual_size_gib: 4096, max_console_mib: 4096}
            """, source: "bundle.tar.gz:profile.yaml")
        let plan = try ReplayPolicy(profile: .default, caps: caps).plan(recorded, recordedProfile: raised, source: "bundle.tar.gz")
        XCTAssertTrue(plan.scenario.waivers.isEmpty)
        XCTAssertNil(plan.scenario.bootTimeout)
        XCTAssertEqual(plan.scenario.instances, recorded.instances, "the plan's identity is kept")
        XCTAssertEqual(plan.scenario.hardware, recorded.hardware)
        for shown in ["SEC-MACHINE-ID (trust me): recorded, not applied", "BOOT-HOSTNAME (trust me too): recorded, not applied",
                      "boot_seconds 7200", "limits: not applied"] {
            XCTAssertTrue(plan.notApplied.contains { $0.contains(shown) }, "\(shown): \(plan.notApplied)")
        }
    }

    func testAPlanPastTheCapsIsRefusedInOneLine() throws {
        let policy = ReplayPolicy(profile: .default, caps: caps)
        for (hardware, cause) in [("{cpus: 64, memory_mib: 1024}", "64 vCPUs"), ("{cpus: 2, memory_mib: 262144}", "262144 MiB")] {
            XCTAssertThrowsError(try policy.plan(try scenario("", hardware: hardware), recordedProfile: nil, source: "b.tgz")) { error in
                let message = (error as? ImageGateError)?.message ?? "\(error)"
                XCTAssertTrue(message.hasPrefix("b.tgz: ") && message.contains(cause) && !message.contains("\n"), message)
            }
        }
        var many = try scenario("")
        many.instances = (0..<5).map { _ in many.instances[0] }
        XCTAssertThrowsError(try policy.plan(many, recordedProfile: nil, source: "b.tgz"))
    }
}
