import Foundation
import ImageGate
import ImageGateBoot
import ImageGateModel
import XCTest

/// For a vendor who uses XCTest (with Swift Testing, `ImageGateTesting`
/// does the same in three lines). Subclass this in your own test target to
/// prove an image's first boot, then run `IMAGEGATE_IMAGE=vendor.qcow2 swift test`:
///
///     import ImageGateXCTest
///     final class MyImageFirstBootTests: FirstBootTestCase {
///         // XCTest on Linux runs only test methods declared in the test
///         // target itself, so restate the inherited ones:
///         override func testBootConsole() async throws { try await super.testBootConsole() }
///         override func testBootNoPanic() async throws { try await super.testBootNoPanic() }
///         override func testBootNetwork() async throws { try await super.testBootNetwork() }
///         override func testBootHostname() async throws { try await super.testBootHostname() }
///         override func testBootDataDisk() async throws { try await super.testBootDataDisk() }
///         override func testBootCloudInit() async throws { try await super.testBootCloudInit() }
///         override func testBootAuditd() async throws { try await super.testBootAuditd() }
///         override func testBootFirewalld() async throws { try await super.testBootFirewalld() }
///     }
/// The class boots the
/// image once (as a new instance: overlay, fresh hostname, IP and MAC, a
/// data disk) and every test method checks one BOOT rule against that one
/// boot, failing with the rule's evidence and fix.
///
/// Environment: `IMAGEGATE_IMAGE` (default: the conformant fixture),
/// `IMAGEGATE_CONNECT` (libvirt URI; default the embedded driver),
/// `IMAGEGATE_ARTIFACTS` (where console logs go).
open class FirstBootTestCase: XCTestCase {
    /// The image to boot (`IMAGEGATE_IMAGE`, default the conformant
    /// fixture). Override to pin one.
    open class var imagePath: String { TestSuiteBoot.imagePath }

    /// The metadata the new instance gets. Override to set your own.
    open class var instance: InstanceMetadata { .fresh() }

    /// Adjusts the boot plan (memory, vCPUs, data disk size, deadlines).
    open class func configure(_ plan: inout BootPlan) {}

    /// The one boot of this class, started by the first test that asks.
    public func firstBoot() async throws -> BootResult {
        try await Self.boots.result(for: type(of: self)) { [imagePath = Self.imagePath, instance = Self.instance] in
            try await Self.boot(imagePath, instance: instance, configure: Self.configure)
        }
    }

    /// Boots `path` once (``TestSuiteBoot/boot(_:instance:postMortem:configure:)``).
    public static func boot(_ path: String, instance: InstanceMetadata = .fresh(), postMortem: BootOptions.PostMortemWhen = .onFailure,
                            configure: (inout BootPlan) -> Void = { _ in }) async throws -> BootResult {
        try await TestSuiteBoot.boot(path, instance: instance, postMortem: postMortem, configure: configure)
    }

    /// Fails the test unless `rule` passed on this class's boot; the failure
    /// carries what was required, what was found, the evidence and the fix.
    public func assertRule(_ rule: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let result = try await firstBoot()
        guard let finding = result.finding(rule) else {
            XCTFail("\(rule): no such BOOT rule", file: file, line: line)
            return
        }
        switch finding.outcome {
        case .pass, .info, .notApplicable:
            return
        case .couldNotCheck:
            XCTFail("\(rule) could not be checked: \(finding.found)", file: file, line: line)
        case .fail, .warning:
            XCTFail(Self.message(finding, result: result), file: file, line: line)
        }
    }

    static func message(_ finding: Finding, result: BootResult) -> String {
        TestSuiteBoot.failureMessage(finding, result: result)
    }

    // One test per BOOT rule.
    open func testBootConsole() async throws { try await assertRule("BOOT-CONSOLE") }
    open func testBootNoPanic() async throws { try await assertRule("BOOT-NO-PANIC") }
    open func testBootNetwork() async throws { try await assertRule("BOOT-NETWORK") }
    open func testBootHostname() async throws { try await assertRule("BOOT-HOSTNAME") }
    open func testBootDataDisk() async throws { try await assertRule("BOOT-DATA-DISK") }
    open func testBootCloudInit() async throws { try await assertRule("BOOT-CLOUD-INIT") }
    open func testBootAuditd() async throws { try await assertRule("BOOT-AUDITD") }
    open func testBootFirewalld() async throws { try await assertRule("BOOT-FIREWALLD") }

    private static let boots = BootCache()
}

/// One boot per test class, shared by its test methods.
actor BootCache {
    private var tasks: [ObjectIdentifier: Task<BootResult, Error>] = [:]

    func result(for type: AnyClass, start: @escaping @Sendable () async throws -> BootResult) async throws -> BootResult {
        let key = ObjectIdentifier(type)
        if let task = tasks[key] { return try await task.value }
        let task = Task { try await start() }
        tasks[key] = task
        return try await task.value
    }
}
