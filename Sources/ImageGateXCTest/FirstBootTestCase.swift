import Foundation
import ImageGate
import XCTest

/// Subclass this in your own test target to prove an image's first boot,
/// then run `IMAGEGATE_IMAGE=vendor.qcow2 swift test`:
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
    /// The image to boot. Override to pin one.
    open class var imagePath: String {
        let env = ProcessInfo.processInfo.environment
        if let image = env["IMAGEGATE_IMAGE"], !image.isEmpty { return image }
        let fixtures = env["IMAGEGATE_FIXTURES"] ?? FileManager.default.currentDirectoryPath + "/Fixtures/cache"
        return fixtures + "/debian12-conformant.qcow2"
    }

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

    /// Boots `path` once with ImageGate's defaults and the environment's
    /// libvirt URI and artifacts folder.
    public static func boot(_ path: String, instance: InstanceMetadata = .fresh(),
                            configure: (inout BootPlan) -> Void = { _ in }) async throws -> BootResult {
        let env = ProcessInfo.processInfo.environment
        let image = try await ImageFile.validate(path)
        let host = try await LibvirtHost.connect(env["IMAGEGATE_CONNECT"].flatMap { $0.isEmpty ? nil : $0 })
        let accelerator = try await AcceleratorProbe(host: host).chooseOnce().accelerator
        var boot = FirstBoot(host: host)
        boot.artifacts = env["IMAGEGATE_ARTIFACTS"]
        return try await boot.run(image, instance: instance, accelerator: accelerator, configure: configure)
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
        var text = "\(finding.rule) \(finding.title)\n  required: \(finding.required)\n  found:    \(finding.found)\n"
        text += finding.evidence.prefix(10).map { "    at \($0)\n" }.joined()
        if let fix = finding.fix { text += "  fix:      \(fix)\n" }
        text += "  (boot of \(result.plan.image.path) as \(result.plan.instance.hostname); watch ended: \(result.observation.end))"
        return text
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
